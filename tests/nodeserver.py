"""Run the reference server, node socket.io 0.9.19 (``tests/js/node_server.js``), from pytest.

``npm install`` brings it (``package.json`` pins ``socket.io`` 0.9.19). The process
listens on 127.0.0.1 and reports what its namespaces see as JSON lines; a reader greenlet
keeps them, and :meth:`NodeServer.wait_for` waits for one without fixed sleeps.
"""

from __future__ import annotations

import collections
import json
import os
from typing import Any

import gevent
import gevent.event
from gevent import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "js", "node_server.js")


class NodeServer:
    """One ``node tests/js/node_server.js`` process; ``port`` 0 picks a free one."""

    def __init__(self, port: int = 0, start_timeout: float = 30.0) -> None:
        if not os.path.isfile(os.path.join(ROOT, "node_modules", "socket.io", "package.json")):
            raise RuntimeError("node_modules/socket.io is missing: run `npm install`")
        self.reports: list[dict[str, Any]] = []
        self.stderr: collections.deque[str] = collections.deque(maxlen=100)
        self._changed = gevent.event.Event()
        self.proc = subprocess.Popen(["node", SCRIPT, str(port)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._readers = [gevent.spawn(self._read_stdout), gevent.spawn(self._read_stderr)]
        try:
            self.port = self.wait_for("listening", timeout=start_timeout)["listening"]
        except BaseException:
            self.close()
            raise
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            if not line.startswith(b"{"):  # a log line of socket.io's own
                self.stderr.append(line.decode("utf-8", "replace").rstrip())
                continue
            self.reports.append(json.loads(line))
            self._changed.set()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def find(self, key: str, **match: Any) -> list[dict[str, Any]]:
        """Reports that have ``key`` and whose other fields equal ``match``."""
        return [r for r in self.reports
                if key in r and all(r.get(k) == v for k, v in match.items())]

    def wait_for(self, key: str, timeout: float = 15.0, **match: Any) -> dict[str, Any]:
        """The first report with ``key`` (a field name, or an ``ev`` value) matching
        ``match``; AssertionError after ``timeout`` seconds."""
        failure = AssertionError(f"node server: no {key} {match} in {self.reports[-10:]};"
                                 f" stderr: {list(self.stderr)[-10:]}")
        with gevent.Timeout(timeout, failure):
            while True:
                found = self.find(key, **match) or [
                    r for r in self.find("ev", ev=key, **match)]
                if found:
                    return found[0]
                self._changed.clear()
                self._changed.wait()

    def close(self) -> None:
        """End the process (closing stdin ends it; killed if it lingers)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        gevent.joinall(self._readers, timeout=5)
