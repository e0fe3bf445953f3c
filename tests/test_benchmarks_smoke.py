"""Keep the benchmark code working: every scenario once, tiny, against geventsio and the
raw gevent-websocket baseline (no peers needed, nothing timed).

The real comparison is ``python -m benchmarks.run`` (see docs/benchmarks.md); here the
load generator, the bench servers and the runner's plumbing must simply produce sane
counts. Without node or the ``ws`` package this is skipped with a reason, and fails in CI.
"""

import os
import shutil
import sys
from dataclasses import replace

import pytest

from benchmarks import report
from benchmarks.run import Cell, Settings, run_once
from benchmarks.scenarios import ROOT, SCENARIOS, server_specs

#: A few clients and messages per scenario: enough to cross every code path once.
TINY = {
    "echo1": {"clients": 1, "inflight": 5},
    "echo100": {"clients": 4, "inflight": 1},
    "bcast1000": {"clients": 20, "inflight": 2, "concurrency": 10},
    "idle1k": {"clients": 20, "concurrency": 10},
    "idle10k": {"clients": 30, "concurrency": 10},
    "connect": {"concurrency": 2},
    "poll1": {"clients": 1},
    "poll50": {"clients": 3},
    "xbcast200": {"clients": 20, "inflight": 2, "concurrency": 10},
    "xpoll50": {"clients": 4, "sources": 2},
}
SETTINGS = Settings(runs=1, duration=0.4, warmup=0.1, pin=False)


def _loadgen_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "ws")):
        return "node_modules/ws is missing: run `npm install`"
    return None


@pytest.fixture(scope="module", autouse=True)
def _need_loadgen() -> None:
    missing = _loadgen_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"benchmark smoke test cannot run in CI: {missing}")
        pytest.skip(missing)


SERVERS = server_specs(python=sys.executable)
#: The many-process servers (Redis, workers, nginx) once each in the scenarios made for them.
CASES = [(scenario, name) for scenario in SCENARIOS
         for name in ("geventsio", "raw", "nginx1", "cluster2", "cluster2-affinity")
         if SERVERS[name].serves(scenario)]


@pytest.mark.parametrize(("scenario", "server"), CASES,
                         ids=[f"{s.name}-{n}" for s, n in CASES])
def test_scenario_runs_and_counts(scenario, server):
    tiny = replace(scenario, params={**scenario.params, **TINY[scenario.name]})
    sample = run_once(SERVERS[server], tiny, SETTINGS)
    assert sample.error is None, sample.error
    if scenario.metric == "kb_per_session":
        assert sample.raw["sessions"] == TINY[scenario.name]["clients"]
        assert sample.raw["rss_after_kb"] > 0
        return
    assert sample.raw["count"] > 0, sample.raw
    assert sample.raw["errors"] == 0, sample.raw
    assert 0 <= sample.loadgen_cpu < 4
    if scenario.job == "bcast":  # every delivery of a finished broadcast was counted
        assert sample.raw["count"] >= sample.raw["broadcasts"] * TINY[scenario.name]["clients"] - \
            TINY[scenario.name]["clients"] * TINY[scenario.name]["inflight"]
    if scenario.job in ("echo", "polling", "connect"):
        assert sample.p50_ms is not None and sample.p50_ms <= sample.p99_ms


def test_report_tables_from_results():
    scenario = replace(SCENARIOS[0], params={**SCENARIOS[0].params, **TINY["echo1"]})
    cell = Cell([run_once(SERVERS["geventsio"], scenario, SETTINGS)])
    machine = {"date": "now", "runs": 1, "duration": 0.4, "warmup": 0.1, "pinned": False,
               "cpu": "cpu", "cores": 2, "kernel": "k", "python": "p", "json": "j",
               "node": "n", "load_start": "0"}
    data = report.to_json({scenario.name: {"geventsio": cell}}, [scenario],
                          [SERVERS["geventsio"]], machine)
    text = report.markdown_tables(data)
    assert "| echo, 1 ws client, 100 in flight (msg/s) |" in text
    assert "echo 1 client >= 80% of raw gevent-websocket | not measured" in text
    assert report.machine_text(data).startswith("- Date: now")


def test_an_older_checkout_runs_side_by_side(monkeypatch, tmp_path):
    """GEVENTSIO_BEFORE adds the same app served by another checkout (here a copy of
    this one's package), which the servers import instead of the repository's."""
    shutil.copytree(os.path.join(ROOT, "geventsio"), tmp_path / "geventsio")
    init = tmp_path / "geventsio" / "__init__.py"  # leaves a mark when it is imported
    init.write_text(init.read_text() + "\nimport pathlib as _p\n"
                    "_p.Path(__file__).with_name('imported').touch()\n")
    monkeypatch.setenv("GEVENTSIO_BEFORE", str(tmp_path))
    before = server_specs(python=sys.executable)["geventsio-before"]
    assert before.env["PYTHONPATH"] == str(tmp_path)
    echo = next(s for s in SCENARIOS if s.name == "echo1")
    tiny = replace(echo, params={**echo.params, **TINY["echo1"]})
    sample = run_once(before, tiny, SETTINGS)
    assert sample.error is None and sample.raw["count"] > 0, sample.raw
    assert (tmp_path / "geventsio" / "imported").exists()
    monkeypatch.delenv("GEVENTSIO_BEFORE")
    assert "geventsio-before" not in server_specs(python=sys.executable)


def test_the_micro_benchmarks_run() -> None:
    """`python -m benchmarks.micro` (quoted by benchmarks/FINDINGS.md) runs to its end."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "benchmarks.micro"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    for line in ("per echo (us):", "greenlets (us):", "memory per connected session"):
        assert line in done.stdout
