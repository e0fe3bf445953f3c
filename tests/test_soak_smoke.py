"""Keep the soak script working: a few clients churn for a few seconds against the soak
app in its own process, and the samples and counters it reports are sane.

The real soak is ``python -m benchmarks.soak`` (10 minutes, 2,000 clients; docs/soak.md).
Without node or the ``ws`` package this is skipped with a reason, and fails in CI.
"""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import soak

from .test_benchmarks_smoke import _loadgen_missing


@pytest.fixture(autouse=True)
def _need_loadgen() -> None:
    missing = _loadgen_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"soak smoke test cannot run in CI: {missing}")
        pytest.skip(missing)


def test_a_tiny_soak_churns_sessions_and_samples_the_server(tmp_path, capsys):
    out = tmp_path / "soak.json"
    options = {"lifetime": [0.5, 1.5], "chatEvery": 0.3, "pingEvery": 0.5, "rooms": 2,
               "pollingShare": 0.5, "ghostShare": 0.2, "pause": 0.5}
    code = soak.main(["--clients", "8", "--duration", "3", "--ramp", "0.5", "--ghost-hold",
                      "0.5", "--cooldown", "1", "--warmup", "1", "--sample", "0.25",
                      "--json", str(out), "--client-options", json.dumps(options)])
    assert code == 0
    result = json.loads(out.read_text())
    clients = result["summary"]["clients"]
    assert clients["errors"] == 0, clients
    assert clients["opened"] > 8  # slots came back after vanishing
    assert clients["websocket"] > 0 and clients["polling"] > 0
    assert clients["chats_sent"] > 0 and clients["chats_received"] > 0
    assert 0 < clients["acks"] <= clients["pings"]
    assert clients["live"] == 0 and clients.get("done") is True
    samples = result["samples"]
    assert len(samples) >= 8
    assert max(s["sessions"] for s in samples) > 0
    assert max(s["greenlets"] for s in samples) > 1  # connections hold greenlets
    assert all(s["rss"] > 1 << 20 and s["fds"] > 0 for s in samples)
    assert json.loads(capsys.readouterr().out)["sessions_max"] > 0
