"""Draw the picture of docs/scaling.md as SVG, with the helpers of figures.py.

    python docs/images/scaling_figure.py      # rewrites cluster.svg next to this script

tests/test_cluster_docs.py checks that the committed SVG is what this script draws.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from figures import ACCENT, SOFT, arrow, box, svg, text  # noqa: E402


def cluster() -> str:
    body: list[str] = []
    body += box(330, 20, 340, 60, "balancer (nginx, gunicorn)", ["any request to any process"])
    xs = (40, 370, 700)
    for n, x in enumerate(xs):
        title = "process A (owner of s1)" if n == 0 else f"process {'ABC'[n]}"
        body += box(x, 130, 260, 170, title, [
            "handler: handshake, transports", "sessions it owns (namespaces)",
            "room index of its own clients", "manager.deliver / disconnect",
            "Dispatcher: envelopes", "Backend: bytes only"])
        body += arrow(500, 80, x + 130, 128)
    for x, target in zip(xs, (300, 500, 700)):
        body += arrow(x + 110, 300, target - 20, 378)
        body += arrow(target + 20, 378, x + 150, 302, dashed=True)
    body += box(200, 380, 600, 110, "Redis", [
        "channel <prefix>all: broadcasts, published once",
        "channel <prefix>node:<id>: one process (a client's packets, relayed requests)",
        "keys: owner:<sid>, hs:<sid>, alive:<id>, ns:/room: sets, store:<sid> hashes"])
    body.append(text(500, 520, "solid: publish and commands; dashed: what a process's "
                     "subscriber receives", 11, color=SOFT))
    body.append(text(500, 540, "a poll of s1 reaching B: B publishes it on A's channel, "
                     "A serves it, the answer comes back on B's", 11, color=ACCENT))
    return svg(1000, 560, body, "Processes sharing one Redis")


def main() -> None:
    with open(os.path.join(HERE, "cluster.svg"), "w", encoding="utf-8") as fh:
        fh.write(cluster())


if __name__ == "__main__":
    main()
