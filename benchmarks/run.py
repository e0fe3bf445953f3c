"""The benchmark runner: every scenario against every server, medians, ratios, docs, chart.

    python -m benchmarks.run            # the whole comparison (~12 min), writes docs/
    python -m benchmarks.run --quick    # one short run of each, to check the set-up
    python -m benchmarks.run --only echo1,bcast1000 --servers geventsio,raw

Each server runs pinned to core 0 (``taskset -c 0``), the node load generator pinned to
core 1; every run starts a fresh server, so runs do not share memory or warm state. The
load generator warms up before it measures and reports its own CPU use; the runner adds
the server's CPU use and the machine's load average, so a noisy run shows as one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from . import peers
from .scenarios import QUICK_OVERRIDES, ROOT, SCENARIOS, Scenario, ServerSpec, server_specs

LOADGEN = os.path.join(ROOT, "benchmarks", "loadgen.js")
RESULTS_DIR = os.path.join(ROOT, "benchmarks", ".results")
SERVER_CORE = "0"
LOADGEN_CORE = "1"


@dataclass
class Settings:
    """How long and how often to measure."""

    runs: int = 3
    duration: float = 5.0
    warmup: float = 1.0
    pin: bool = True


@dataclass
class Sample:
    """One run of one scenario against one server."""

    value: float | None
    loadgen_cpu: float | None = None
    server_cpu: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    load: float = 0.0
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


# -- processes ---------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(argv: list[str], core: str, settings: Settings) -> list[str]:
    """``argv`` run on one CPU core (when pinning is possible)."""
    if settings.pin and shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", core, *argv]
    return argv


def raise_fd_limit() -> int:
    """Raise this process's (and so its children's) open-file limit to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


class RunningServer:
    """A started server process; stopped by PID (its whole process group)."""

    def __init__(self, spec: ServerSpec, settings: Settings) -> None:
        self.spec = spec
        self.port = free_port()
        env = {**os.environ, **spec.env}
        self.proc = subprocess.Popen(
            pinned([*spec.argv, str(self.port)], SERVER_CORE, settings),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"{self.spec.name} exited at start: {err[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.spec.name} did not listen on {self.port} in {timeout}s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        """Resident memory of the server process, KB (from /proc)."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far: every live process of its
        group (a many-process server's workers, Redis and nginx count too)."""
        ticks = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if int(fields[2]) == self.pid:  # its process group is the server's
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the server (by its PID's process group: SIGTERM, so a server that started
        others can clean up, then SIGKILL) and reap it."""
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        self.proc.wait(timeout=10)
        try:  # whatever of its group is still there (a worker that ignored SIGTERM)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.stderr:
            self.proc.stderr.close()


def loadgen_argv(job: dict[str, Any], settings: Settings) -> list[str]:
    """The command line that runs the node load generator with ``job``."""
    node = shutil.which("node") or "node"
    return pinned([node, LOADGEN, json.dumps(job)], LOADGEN_CORE, settings)


def run_loadgen(job: dict[str, Any], settings: Settings, timeout: float) -> dict[str, Any]:
    """Run one load-generator job to the end; its JSON result."""
    done = subprocess.run(loadgen_argv(job, settings), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- one run -----------------------------------------------------------------------------


def job_for(scenario: Scenario, server: RunningServer, settings: Settings) -> dict[str, Any]:
    """The load generator's job for ``scenario`` against ``server``."""
    return {"scenario": scenario.job, "proto": server.spec.proto, "port": server.port,
            "duration": settings.duration, "warmup": settings.warmup,
            "timeout": settings.duration + settings.warmup + 120, **scenario.params}


def measure_rate(scenario: Scenario, server: RunningServer, settings: Settings) -> Sample:
    """One throughput run: the load generator's rate, plus both sides' CPU use."""
    job = job_for(scenario, server, settings)
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    result = run_loadgen(job, settings, timeout=job["timeout"] + 30)
    server_cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
    if result.get("errors"):
        result["note"] = f"{result['errors']} errors"
    return Sample(result["rate"], result.get("loadgen_cpu"), server_cpu,
                  result.get("p50_ms"), result.get("p99_ms"), raw=result)


def measure_idle(scenario: Scenario, server: RunningServer, settings: Settings) -> Sample:
    """Server memory per held session: RSS with N sessions minus RSS before, over N.

    A few sessions are opened and closed first, so code paths are loaded before the
    baseline is read.
    """
    _hold_sessions(server, settings, {**scenario.params, "clients": 20}, settle=0.2)
    time.sleep(0.5)
    before = server.rss_kb()
    ready, after = _hold_sessions(server, settings, scenario.params, settle=1.0)
    per_session = (after - before) / max(1, ready)
    return Sample(per_session, raw={"rss_before_kb": before, "rss_after_kb": after,
                                    "sessions": ready})


def _hold_sessions(server: RunningServer, settings: Settings, params: dict[str, Any],
                   settle: float) -> tuple[int, int]:
    """Open ``params['clients']`` sessions, wait ``settle`` s, read RSS, release them."""
    job = {"scenario": "idle", "proto": server.spec.proto, "port": server.port,
           "timeout": 300, **params}
    proc = subprocess.Popen(loadgen_argv(job, settings), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"loadgen idle failed: {err.strip()[-1500:]}")
        ready = json.loads(line)["ready"]
        time.sleep(settle)
        rss = server.rss_kb()
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)
        return ready, rss
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_once(spec: ServerSpec, scenario: Scenario, settings: Settings) -> Sample:
    """Start a fresh server, measure ``scenario`` once, stop the server (always)."""
    load = os.getloadavg()[0]
    try:
        server = RunningServer(spec, settings)
    except (RuntimeError, OSError) as exc:
        return Sample(None, error=f"server did not start: {exc}"[:300], load=load)
    try:
        if scenario.metric == "kb_per_session":
            sample = measure_idle(scenario, server, settings)
        else:
            sample = measure_rate(scenario, server, settings)
    except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
        sample = Sample(None, error=str(exc)[:300])
    finally:
        server.stop()
    sample.load = load
    return sample


# -- many runs ---------------------------------------------------------------------------


@dataclass
class Cell:
    """All runs of one scenario against one server, and their median."""

    samples: list[Sample]

    @property
    def values(self) -> list[float]:
        return [s.value for s in self.samples if s.value is not None]

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def median_of(self, name: str) -> float | None:
        found = [getattr(s, name) for s in self.samples if getattr(s, name) is not None]
        return statistics.median(found) if found else None

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.samples if s.error]


def run_all(specs: Iterable[ServerSpec], scenarios: Iterable[Scenario],
            settings: Settings, log: Any = print) -> dict[str, dict[str, Cell]]:
    """Every scenario against every server that serves it: ``{scenario: {server: Cell}}``.

    Runs are interleaved (server A, B, C, then A, B, C again) so that a burst of load
    from elsewhere on the machine hits every server rather than one.
    """
    specs = list(specs)
    results: dict[str, dict[str, Cell]] = {}
    for scenario in scenarios:
        cells = {spec.name: Cell([]) for spec in specs if spec.serves(scenario)}
        results[scenario.name] = cells
        for run in range(settings.runs):
            for spec in specs:
                if spec.name not in cells:
                    continue
                sample = run_once(spec, scenario, settings)
                cells[spec.name].samples.append(sample)
                log(_progress(scenario, spec, run, sample))
    return results


def _progress(scenario: Scenario, spec: ServerSpec, run: int, sample: Sample) -> str:
    if sample.value is None:
        return f"  {scenario.name:10} {spec.name:18} run {run + 1}: FAILED {sample.error}"
    extra = ""
    if sample.loadgen_cpu is not None:
        extra = f"  (loadgen cpu {sample.loadgen_cpu:.0%}, server cpu {sample.server_cpu:.0%})"
    return (f"  {scenario.name:10} {spec.name:18} run {run + 1}: "
            f"{sample.value:,.1f} {scenario.unit}{extra}  load {sample.load:.2f}")


# -- command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The runner's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one short run per cell, fewer sessions (checks the set-up)")
    parser.add_argument("--only", default="",
                        help="comma-separated scenarios: " + ",".join(s.name for s in SCENARIOS))
    parser.add_argument("--servers", default="",
                        help="comma-separated servers (default: all)")
    parser.add_argument("--runs", type=int, default=None, help="runs per cell (default 3)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds measured per run (default 5)")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    parser.add_argument("--no-install", action="store_true",
                        help="do not install missing peers (servers needing them are skipped)")
    parser.add_argument("--no-docs", action="store_true",
                        help="print the table only; leave docs/ alone")
    return parser.parse_args(argv)


def chosen(names: str, known: Iterable[str], what: str) -> list[str]:
    """The names picked by a comma-separated option (all when empty)."""
    known = list(known)
    if not names:
        return known
    picked = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in picked if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return picked


def settings_for(args: argparse.Namespace) -> tuple[Settings, list[Scenario]]:
    """Settings and scenarios the options ask for (``--quick`` shrinks both)."""
    settings = Settings(pin=not args.no_pin)
    scenarios = list(SCENARIOS)
    if args.quick:
        settings = replace(settings, runs=1, duration=2.0, warmup=0.5)
        scenarios = [replace(s, params={**s.params, **QUICK_OVERRIDES.get(s.name, {})})
                     for s in scenarios]
    if args.runs is not None:
        settings.runs = args.runs
    if args.duration is not None:
        settings.duration = args.duration
    names = chosen(args.only, [s.name for s in scenarios], "scenarios")
    return settings, [s for s in scenarios if s.name in names]


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print the table; write docs/benchmarks.md and .png."""
    from . import report

    args = parse_args(argv)
    settings, scenarios = settings_for(args)
    if shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "ws")):
        raise SystemExit("benchmarks need node and the `ws` package: run `npm install` first")
    if not args.no_install:
        peers.ensure()
    specs = server_specs()
    names = chosen(args.servers, specs, "servers")
    if not peers.node_ready():
        names = [n for n in names if n != "node09"]
    fd_limit = raise_fd_limit()
    started = time.time()
    machine = report.machine_info(settings, fd_limit, started)
    print(f"benchmarks: {len(scenarios)} scenarios x {len(names)} servers, "
          f"{settings.runs} run(s) of {settings.duration:g} s; load {machine['load_start']}",
          flush=True)
    results = run_all([specs[n] for n in names], scenarios, settings,
                      log=lambda line: print(line, flush=True))
    machine["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    machine["minutes"] = round((time.time() - started) / 60, 1)
    data = report.to_json(results, scenarios, [specs[n] for n in names], machine)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, "latest.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    print()
    print(report.markdown_tables(data))
    if not args.no_docs:
        report.write_docs(data, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
