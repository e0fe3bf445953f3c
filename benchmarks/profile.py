"""Profile the geventsio bench app under one scenario: where CPU time or memory goes.

    python -m benchmarks.profile cpu echo1        # cProfile, top functions by own time
    python -m benchmarks.profile mem idle1k       # tracemalloc, what held sessions keep

The server runs in this process (so the profiler sees it) on core 0; the node load
generator drives it from core 1 exactly as in the benchmark. The numbers are per packet
or per session, which is what benchmarks/FINDINGS.md quotes.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

from .run import Settings, free_port, loadgen_argv, raise_fd_limit  # noqa: E402
from .scenarios import ROOT, SCENARIOS  # noqa: E402
from .servers.geventsio_app import Bench  # noqa: E402


def start_server(port: int) -> Any:
    """The bench app's SocketIOServer, started in this process."""
    from geventsio import SocketIOServer

    server = SocketIOServer(("127.0.0.1", port), None, namespaces={"": Bench}, log=None,
                            backlog=4096)
    server.start()
    return server


def drive(job: dict[str, Any], settings: Settings) -> subprocess.Popen:
    """Start the load generator (pinned) on ``job``; gevent's subprocess keeps us serving."""
    return subprocess.Popen(loadgen_argv(job, settings), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)


def profile_cpu(scenario: Any, port: int, settings: Settings, top: int) -> None:
    """cProfile the server for one run of a throughput scenario; print top functions."""
    job = {"scenario": scenario.job, "proto": "sio1", "port": port,
           "duration": settings.duration, "warmup": settings.warmup, **scenario.params}
    profiler = cProfile.Profile()
    proc = drive(job, settings)
    profiler.enable()
    out, _ = proc.communicate()
    profiler.disable()
    result = json.loads(out.strip().splitlines()[-1])
    print(f"loadgen: {result}")
    count = max(1, result.get("count", 1))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    print(text.getvalue())
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"server CPU in profile: {total:.2f} s for {count} counted messages "
          f"(~{total / count * 1e6:.1f} us each, profiler overhead included)")


def profile_memory(scenario: Any, port: int, settings: Settings, top: int) -> None:
    """tracemalloc the server while sessions are held; print what they keep, per session."""
    job = {"scenario": "idle", "proto": "sio1", "port": port, "timeout": 300,
           **scenario.params}
    tracemalloc.start(8)
    before = tracemalloc.take_snapshot()
    proc = drive(job, settings)
    ready = json.loads(proc.stdout.readline())["ready"]  # type: ignore[union-attr]
    gevent.sleep(1.0)
    after = tracemalloc.take_snapshot()
    proc.stdin.close()  # type: ignore[union-attr]
    proc.wait()
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(keep).compare_to(before.filter_traces(keep), "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"{ready} sessions held: {total / ready / 1024:.2f} KB per session seen by "
          "tracemalloc (Python allocations only; greenlet stacks and C buffers partly)")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        name = os.path.relpath(frame.filename, ROOT) if frame.filename.startswith(ROOT) \
            else frame.filename.rsplit("site-packages/", 1)[-1]
        print(f"  {stat.size_diff / ready:8.0f} B/session  {stat.count_diff / ready:5.1f} "
              f"blocks  {name}:{frame.lineno}")


def main(argv: list[str] | None = None) -> None:
    """Parse the options and profile."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["cpu", "mem"])
    parser.add_argument("scenario", choices=[s.name for s in SCENARIOS])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    scenario = next(s for s in SCENARIOS if s.name == args.scenario)
    settings = Settings(duration=args.duration)
    port = free_port()
    server = start_server(port)
    try:
        if args.kind == "cpu":
            profile_cpu(scenario, port, settings, args.top)
        else:
            profile_memory(scenario, port, settings, args.top)
    finally:
        server.stop(timeout=1)


if __name__ == "__main__":
    main()
