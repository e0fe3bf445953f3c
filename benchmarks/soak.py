"""The soak: thousands of clients connect, chat and vanish for minutes; the server's RSS,
greenlets, sessions and file descriptors are sampled every second and charted.

    python -m benchmarks.soak                       # 2,000 clients, 10 minutes
    python -m benchmarks.soak --clients 50 --duration 20 --cooldown 10 --chart /tmp/s.png

The server (benchmarks/servers/soak_app.py) runs in its own process and prints its vital
signs once a second; the clients are benchmarks/soakclients.js (node, the ``ws``
package), which churns sessions as docs/soak.md describes. After ``duration`` s of churn
the clients go away and the server is watched for ``cooldown`` s more, long enough for the
heartbeat and close timeouts (60 s each by default) to end the sessions of clients that
vanished without a word. Everything talks to 127.0.0.1 only.

Writes the samples as JSON (``--json``), the chart (``--chart``, needs matplotlib) and
prints a summary: RSS and greenlets after warm-up, at the end of the churn and after the
cooldown, and the slope of RSS over the churn once warmed up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from .run import free_port, raise_fd_limit
from .scenarios import ROOT

SERVER = os.path.join(ROOT, "benchmarks", "servers", "soak_app.py")
CLIENTS = os.path.join(ROOT, "benchmarks", "soakclients.js")


class Lines(threading.Thread):
    """Collects the JSON lines a child process prints (anything else is kept as text)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.records: list[dict[str, Any]] = []
        self.other: list[str] = []

    def run(self) -> None:
        for raw in self.stream:
            line = raw.decode("utf-8", "replace").strip()
            try:
                self.records.append(json.loads(line))
            except ValueError:
                self.other.append(line)


def start_server(port: int, every: float) -> tuple[subprocess.Popen, Lines]:
    """The soak app on 127.0.0.1:``port``, and the thread reading its samples."""
    proc = subprocess.Popen([sys.executable, SERVER, str(port), str(every)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    lines = Lines(proc.stdout)
    lines.start()
    deadline = time.monotonic() + 30
    while not lines.records:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError("the soak server did not start")
        time.sleep(0.1)
    return proc, lines


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """End a child we started (by its PID) and wait for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the soak; return the samples, the clients' counters and what was run."""
    raise_fd_limit()
    port = free_port()
    server, samples = start_server(port, args.sample)
    t_start = samples.records[-1]["t"]
    options = {"port": port, "clients": args.clients, "duration": args.duration,
               "ramp": args.ramp, "ghostHold": args.ghost_hold,
               **json.loads(args.client_options)}
    clients = subprocess.Popen(["node", CLIENTS, json.dumps(options)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    progress = Lines(clients.stdout)
    progress.start()
    try:
        limit = args.duration + args.ghost_hold + 120
        clients.wait(limit)
        t_churn_end = samples.records[-1]["t"]
        time.sleep(args.cooldown)
    finally:
        stop(clients)
        stop(server)
    progress.join(5)
    samples.join(5)
    return {
        "options": {**options, "cooldown": args.cooldown, "sample": args.sample},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "t_start": t_start, "t_churn_end": t_churn_end,
        "clients_exit": clients.returncode,
        "clients_stderr": clients.stderr.read().decode("utf-8", "replace")[-2000:]
        if clients.stderr else "",
        "progress": progress.records,
        "samples": samples.records,
    }


def _at(samples: list[dict[str, Any]], t: float) -> dict[str, Any]:
    """The first sample taken at or after ``t`` (the last one if none)."""
    return next((s for s in samples if s["t"] >= t), samples[-1])


def _slope_mb_per_min(samples: list[dict[str, Any]], start: float, end: float) -> float:
    """Least-squares slope of RSS (MB per minute) over the samples in [start, end]."""
    points = [(s["t"], s["rss"] / 2**20) for s in samples if start <= s["t"] <= end]
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_r = sum(r for _, r in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points) or 1.0
    return 60 * sum((t - mean_t) * (r - mean_r) for t, r in points) / var


def summarize(result: dict[str, Any], warmup: float) -> dict[str, Any]:
    """The numbers docs/soak.md reports."""
    samples = result["samples"]
    start, churn_end = result["t_start"], result["t_churn_end"]
    warm = _at(samples, start + warmup)
    in_churn = [s for s in samples if warm["t"] <= s["t"] <= churn_end]
    last = result["progress"][-1] if result["progress"] else {}

    def view(s: dict[str, Any]) -> dict[str, Any]:
        return {"t": round(s["t"] - start), "rss_mb": round(s["rss"] / 2**20, 1),
                "greenlets": s["greenlets"], "sessions": s["sessions"], "fds": s["fds"],
                "objects": s.get("objects"), "server_cpu_s": s.get("cpu_s")}

    return {
        "before": view(samples[0]),
        "after_warmup": view(warm),
        "churn_end": view(_at(samples, churn_end)),
        "after_cooldown": view(samples[-1]),
        "rss_mb_min_max_after_warmup": [round(min(s["rss"] for s in in_churn) / 2**20, 1),
                                        round(max(s["rss"] for s in in_churn) / 2**20, 1)]
        if in_churn else None,
        "rss_slope_mb_per_min_after_warmup": round(
            _slope_mb_per_min(samples, warm["t"], churn_end), 3),
        "greenlets_max": max(s["greenlets"] for s in samples),
        "sessions_max": max(s["sessions"] for s in samples),
        "clients": {k: v for k, v in last.items() if k != "t"},
    }


def chart(result: dict[str, Any], summary: dict[str, Any], out: str) -> None:
    """RSS, greenlets, sessions (with fds) and gc-tracked objects over time, one panel
    each, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples, start = result["samples"], result["t_start"]
    minutes = [(s["t"] - start) / 60 for s in samples]
    fig, axes = plt.subplots(4, 1, figsize=(9, 9.5), sharex=True)
    series = [("rss", "server RSS (MB)", lambda s: s["rss"] / 2**20, "#2b7bba"),
              ("greenlets", "live greenlets", lambda s: s["greenlets"], "#e69138"),
              ("sessions", "sessions / open fds", lambda s: s["sessions"], "#6aa84f"),
              ("objects", "objects tracked by gc\n(thousands)",
               lambda s: s.get("objects", 0) / 1000, "#8e7cc3")]
    axes[2].plot(minutes, [s["fds"] for s in samples], color="#7f7f7f", linewidth=0.8,
                 label="open fds")
    for ax, (name, label, value, color) in zip(axes, series):
        ax.plot(minutes, [value(s) for s in samples], color=color, linewidth=1, label=name)
        ax.set_ylabel(label, fontsize=8)
        ax.axvline((result["t_churn_end"] - start) / 60, color="#999999", linestyle="--",
                   linewidth=0.8)
        ax.axvline(summary["after_warmup"]["t"] / 60, color="#cccccc", linestyle=":",
                   linewidth=0.8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[2].legend(fontsize=7, loc="upper right")
    axes[3].set_xlabel("minutes (dotted: end of warm-up; dashed: clients stop)", fontsize=8)
    options = result["options"]
    fig.suptitle(f"geventsio soak: {options['clients']} churning clients for "
                 f"{options['duration'] / 60:.3g} min, then {options['cooldown']:g} s idle "
                 f"({result['date']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of churn")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds to start all clients")
    parser.add_argument("--warmup", type=float, default=120.0,
                        help="seconds after the start before RSS must be flat")
    parser.add_argument("--cooldown", type=float, default=150.0,
                        help="seconds the server is watched after the clients stop")
    parser.add_argument("--ghost-hold", type=float, default=90.0)
    parser.add_argument("--client-options", default="{}",
                        help="JSON merged into benchmarks/soakclients.js's options")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--json", default=os.path.join(ROOT, "benchmarks", ".results",
                                                       "soak.json"))
    parser.add_argument("--chart", default=None, help="PNG to write (docs/soak.png)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 5000 or not 0 < args.duration <= 3600:
        parser.error("keep to 1-5000 clients and at most an hour")
    result = run(args)
    result["summary"] = summarize(result, min(args.warmup, args.duration / 2))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    if args.chart:
        chart(result, result["summary"], args.chart)
    print(json.dumps(result["summary"], indent=1))
    return 0 if result["clients_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
