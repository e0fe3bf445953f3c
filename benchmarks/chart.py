"""Draw docs/benchmarks.png from a results JSON: one panel per scenario, one bar per server.

Run by the runner with the peers venv's python (it has matplotlib):
``python benchmarks/chart.py benchmarks/.results/latest.json docs/benchmarks.png``.
"""

from __future__ import annotations

import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"geventsio": "#2b7bba", "geventsio-stdjson": "#8fbce0",
"raw": "#7f7f7f",
          "node09": "#6aa84f", "pysio5": "#e69138"}


def draw(data: dict, out: str) -> None:
    """One bar chart per scenario (medians), saved as a PNG at ``out``."""
    scenarios = data["scenarios"]
    labels = {s["name"]: s["label"] for s in data["servers"]}
    cols = 4
    rows = math.ceil(len(scenarios) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.4 * rows), squeeze=False)
    for ax, sc in zip(axes.flat, scenarios):
        names = [n for n in labels if n in sc["cells"]]
        values = [sc["cells"][n]["median"] or 0 for n in names]
        ax.bar(range(len(names)), values, color=[COLORS.get(n, "#999999") for n in names])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([labels[n].replace(" (", "\n(") for n in names], rotation=30,
                           ha="right", fontsize=6)
        better = "lower is better" if sc["lower_is_better"] else "higher is better"
        ax.set_title(f"{sc['title']}\n{sc['unit']}, {better}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(scenarios):]:
        ax.axis("off")
    fig.suptitle(f"geventsio benchmarks, {data['machine']['date']} (median of "
                 f"{data['machine']['runs']} runs)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        draw(json.load(fh), sys.argv[2])
