"""The chat example works in a real browser (headless Chromium, the 0.9.16 browser client).

Once per browser transport; for htmlfile the driver adds the ActiveXObject shim of the
browser tests (tests/browser/harness.js) to the page, since the client offers htmlfile
only where ``new ActiveXObject('htmlfile')`` works.

Chromium comes from Debian's ``chromium`` package (``.ci/run`` installs it). Without it
the test is skipped on a developer machine, visibly; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
sys.path.insert(0, os.path.join(ROOT, "examples", "chat"))

import chat  # noqa: E402  (the example module itself)


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")):
        return
    message = f"needs {CHROMIUM} (Debian package chromium) and `npm install` (playwright-core)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("transport", ["websocket", "htmlfile", "xhr-polling", "jsonp-polling"])
def test_chat_example_in_chromium(transport, tmp_path):
    _require_chromium()
    # A closed page stops polling without a goodbye: a short close timeout lets the test
    # see "bob disconnected" on xhr-polling without waiting the default 60 s.
    server = chat.make_server("127.0.0.1", 0, log=None, close_timeout=2, polling_duration=1)
    server.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        shot = tmp_path / f"chat-{transport}.png"
        done = subprocess.run(["node", os.path.join(ROOT, "tests", "js", "browser_chat.js"),
                               url, transport, str(shot)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.stop(timeout=2)
    assert result["status"] == f"connected via {transport}"
    text = "hi bob </script><b>x</b> \u00e9 \U0001F600"
    assert result["lines"][-1] == f"alice: {text}"
    assert result["boldInLines"] == ["alice: "]  # the message's <b> was not parsed as HTML
    assert result["nicknames"] == ["alice", "bob"]
    assert result["afterLeave"] == ["alice"]
    assert result["errors"] == []
    assert shot.stat().st_size > 10_000
    if os.environ.get("GEVENTSIO_SCREENSHOTS"):   # a directory; one file per transport
        os.makedirs(os.environ["GEVENTSIO_SCREENSHOTS"], exist_ok=True)
        shutil.copy(shot, os.environ["GEVENTSIO_SCREENSHOTS"])
