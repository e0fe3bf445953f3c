"""The quick start's shutdown recipe, run as written: SIGTERM stops the server (every
``recv_disconnect`` runs, clients are not told), SIGINT stops it with ``goodbye=True``
(clients get ``0::``: reason ``booted``), and ``serve_forever()`` returns in both cases.

The snippet is taken from docs/quickstart.md; only its port becomes 0, and a wrapper
around ``start()`` prints the port bound so the test can connect the real 0.9.16 client.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sys

import gevent
import pytest
from gevent import subprocess

from .conftest import ROOT
from .nodeclient import NodeSocket

_ids = itertools.count(1)

PROLOGUE = '''\
from gevent import monkey; monkey.patch_all()
from geventsio import BaseNamespace, SocketIOServer

class Main(BaseNamespace):
    def recv_disconnect(self):
        print('left', self.socket.sid, flush=True)

page = None
_start = SocketIOServer.start
def _start_and_tell(self):
    _start(self)
    print('port', self.server_port, flush=True)
SocketIOServer.start = _start_and_tell
'''


def _recipe() -> str:
    with open(os.path.join(ROOT, "docs", "quickstart.md"), encoding="utf-8") as fh:
        blocks = re.findall(r"```python\n(.*?)```", fh.read(), re.S)
    (block,) = [b for b in blocks if "signal.SIGTERM" in b]
    assert "('127.0.0.1', 8080)" in block
    return block.replace("('127.0.0.1', 8080)", "('127.0.0.1', 0)")


class Script:
    """The recipe in a child Python process, its output lines collected."""

    def __init__(self) -> None:
        source = PROLOGUE + _recipe() + "\nprint('stopped', flush=True)\n"
        self.proc = subprocess.Popen([sys.executable, "-c", source], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []

    def wait_line(self, prefix: str, timeout: float = 20) -> str:
        with gevent.Timeout(timeout, False):
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                raw = self.proc.stdout.readline()
                if not raw:
                    break
                self.lines.append(raw.decode().rstrip("\n"))
        raise AssertionError(f"no line {prefix!r} in {self.lines}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def script():
    running = Script()
    try:
        yield running
    finally:
        running.close()


@pytest.mark.parametrize("signum, booted", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGINT"])
def test_the_quickstart_shutdown_recipe(node, script, signum, booted):
    port = int(script.wait_line("port ").split()[1])
    sock = NodeSocket(node, f"sig{next(_ids)}", f"http://127.0.0.1:{port}", "websocket")
    sock.connect()
    since = node.mark()
    os.kill(script.proc.pid, signum)
    assert script.wait_line("left ") == f"left {sock.sid}"     # recv_disconnect ran
    script.wait_line("stopped")                                # serve_forever() returned
    assert script.proc.wait(timeout=20) == 0
    report = sock.wait_report("disconnect", ns="", since=since)
    assert (report["reason"] == "booted") is booted
