"""Turn benchmark results into the table, the target check, docs/benchmarks.md and the chart.

Results travel as one JSON-able dict (``benchmarks/.results/latest.json``), so the chart can
be drawn by another interpreter (the peers venv has matplotlib) and the docs rewritten
without measuring again: ``python -m benchmarks.report benchmarks/.results/latest.json``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from typing import Any, Iterable

from . import peers
from .scenarios import ROOT, TARGETS, Scenario, ServerSpec

DOC = os.path.join(ROOT, "docs", "benchmarks.md")
CHART = os.path.join(ROOT, "docs", "benchmarks.png")
START = "<!-- results:start (written by python -m benchmarks.run) -->"
END = "<!-- results:end -->"


def machine_info(settings: Any, fd_limit: int, started: float) -> dict[str, Any]:
    """What the numbers depend on: CPU, cores, versions, load, date, settings."""
    return {
        "date": datetime.datetime.fromtimestamp(started, datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": _version([_servers_python(), "-c",
                            "import sys, gevent; print(sys.version.split()[0], 'gevent', gevent.__version__)"]),
        "json": _version([_servers_python(), "-c",
                          "from geventsio.protocol import codec; print(codec.JSON_BACKEND)"],
                         env={"PYTHONPATH": ROOT}),
        "node": _version(["node", "--version"]),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "runs": settings.runs,
        "duration": settings.duration,
        "warmup": settings.warmup,
        "pinned": settings.pin,
        "fd_limit": fd_limit,
    }


def _servers_python() -> str:
    from .scenarios import python_for_servers
    return python_for_servers()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              env={**os.environ, **(env or {})})
        return done.stdout.strip() or done.stderr.strip()[-200:]
    except OSError as exc:
        return f"unavailable ({exc})"


def to_json(results: dict[str, dict[str, Any]], scenarios: Iterable[Scenario],
            specs: Iterable[ServerSpec], machine: dict[str, Any]) -> dict[str, Any]:
    """Everything measured, as plain data."""
    return {
        "machine": machine,
        "servers": [{"name": s.name, "label": s.label} for s in specs],
        "scenarios": [
            {"name": sc.name, "title": sc.title, "unit": sc.unit,
             "lower_is_better": sc.lower_is_better,
             "cells": {name: _cell_json(cell) for name, cell in results[sc.name].items()}}
            for sc in scenarios
        ],
    }


def _cell_json(cell: Any) -> dict[str, Any]:
    return {
        "median": cell.median, "values": cell.values, "errors": cell.errors,
        "p50_ms": cell.median_of("p50_ms"), "p99_ms": cell.median_of("p99_ms"),
        "loadgen_cpu": cell.median_of("loadgen_cpu"), "server_cpu": cell.median_of("server_cpu"),
        "load": [round(s.load, 2) for s in cell.samples],
    }


# -- text --------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "failed"
    if unit == "KB":
        return f"{value:.1f} KB"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown_tables(data: dict[str, Any]) -> str:
    """The results table (medians; latency and CPU notes) and the targets table."""
    servers = data["servers"]
    lines = ["| scenario | " + " | ".join(s["label"] for s in servers) + " |",
             "| --- |" + " --- |" * len(servers)]
    for sc in data["scenarios"]:
        row = [f"{sc['title']} ({sc['unit']})"]
        for s in servers:
            cell = sc["cells"].get(s["name"])
            row.append("-" if cell is None else _cell_text(cell, sc["unit"]))
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Each cell: median of the runs; under it p50/p99 latency (ms) where "
              "measured, and the CPU share of one core used by the load generator (lg) and "
              "the server (srv) during the run (srv well under 100% with lg under 100%: "
              "the server did not get its core, or waited on the network).", "",
              targets_table(data)]
    return "\n".join(lines)


def _cell_text(cell: dict[str, Any], unit: str) -> str:
    text = _fmt(cell["median"], unit)
    notes = []
    if cell.get("p50_ms") is not None:
        notes.append(f"{cell['p50_ms']:.1f}/{cell['p99_ms']:.1f} ms")
    if cell.get("loadgen_cpu") is not None:
        notes.append(f"lg {cell['loadgen_cpu']:.0%} srv {cell['server_cpu']:.0%}")
    if cell["errors"]:
        notes.append(f"{len(cell['errors'])} failed")
    return text + ("<br>" + ", ".join(notes) if notes else "")


def targets_table(data: dict[str, Any]) -> str:
    """The targets (issues 5 and 14), as ratios from this run: met or not.

    For throughput targets a second ratio divides each server's rate by the CPU share it
    actually got (work per server CPU-second). On a quiet machine both ratios agree; on a
    shared one the first measures who got the core, the second still measures the code.
    """
    cells_by = {sc["name"]: sc["cells"] for sc in data["scenarios"]}
    lines = ["| target | geventsio / baseline | met | per server CPU-second (approx.) |",
             "| --- | --- | --- | --- |"]
    for target in TARGETS:
        cells = cells_by.get(target.scenario, {})
        ours, base = cells.get("geventsio"), cells.get(target.baseline)
        if ours is None or base is None or ours["median"] is None or not base["median"]:
            lines.append(f"| {target.text} | not measured | - | - |")
            continue
        ratio = ours["median"] / base["median"]
        met = ratio >= target.ratio if target.at_least else ratio <= target.ratio
        lines.append(f"| {target.text} | {ratio:.2f}x | {'yes' if met else '**no**'} | "
                     f"{_per_cpu_ratio(ours, base)} |")
    return "\n".join(lines)


def _per_cpu_ratio(ours: dict[str, Any], base: dict[str, Any]) -> str:
    """(our rate / our server CPU) over (its rate / its server CPU), or '-'."""
    if not ours.get("server_cpu") or not base.get("server_cpu"):
        return "-"
    ratio = (ours["median"] / ours["server_cpu"]) / (base["median"] / base["server_cpu"])
    return f"{ratio:.2f}x"


def machine_text(data: dict[str, Any]) -> str:
    """The machine and settings of a run, as a short list."""
    m = data["machine"]
    return "\n".join([
        f"- Date: {m['date']}; {m['runs']} run(s) per cell of {m['duration']:g} s after "
        f"{m['warmup']:g} s warm-up, a fresh server per run; took {m.get('minutes', '?')} min.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; servers pinned to "
        f"core 0, load generator to core 1: {'yes' if m['pinned'] else 'no'}.",
        f"- Python servers: Python {m['python']}; geventsio JSON backend: {m['json']}; "
        f"node {m['node']}.",
        f"- Load average (1/5/15 min) at start: {m['load_start']}, at end: "
        f"{m.get('load_end', '?')}. A load above ~0.5 at start means other work shared "
        "the machine and the numbers are noisy.",
    ])


# -- files -------------------------------------------------------------------------------


def write_docs(data: dict[str, Any], json_path: str) -> None:
    """Rewrite the results block of docs/benchmarks.md and draw docs/benchmarks.png."""
    block = "\n".join([START, "", machine_text(data), "", markdown_tables(data), "",
                       "![benchmark chart](benchmarks.png)", "", END])
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(DOC, "w", encoding="utf-8") as fh:
        fh.write(text)
    draw_chart(json_path)
    print(f"benchmarks: wrote {os.path.relpath(DOC, ROOT)} and {os.path.relpath(CHART, ROOT)}")


def draw_chart(json_path: str) -> None:
    """Draw the chart with the peers venv's matplotlib (``benchmarks/chart.py``)."""
    python = peers.VENV_PYTHON if os.path.isfile(peers.VENV_PYTHON) else sys.executable
    subprocess.run([python, os.path.join(ROOT, "benchmarks", "chart.py"), json_path, CHART],
                   check=True)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        loaded = json.load(fh)
    print(markdown_tables(loaded))
    if "--docs" in sys.argv:
        write_docs(loaded, sys.argv[1])
