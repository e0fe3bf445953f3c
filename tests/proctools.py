"""Small helpers for tests that run real processes: HTTP GETs, waits, output, stopping."""

from __future__ import annotations

import collections
import re
import signal
import time
import urllib.request
from typing import Any

import gevent
from gevent import subprocess


def http_get(url: str, timeout: float = 10.0, source: str | None = None) -> bytes:
    """The body of a GET (from the local address ``source``, if given); raises on non-2xx."""
    if source is None:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    import http.client
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = conn.getresponse()
        body = response.read()
        if response.status >= 300:
            raise OSError(f"GET {url}: HTTP {response.status}")
        return body
    finally:
        conn.close()


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    """Call ``predicate`` until it returns something truthy (exceptions count as no)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 - a process starting refuses connections
            value, last = None, exc
        if value:
            return value
        gevent.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last!r})")


class ProcessOutput:
    """Lines a child writes to one pipe, read by a greenlet and kept for tests."""

    def __init__(self, pipe: Any, limit: int = 20000) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=limit)
        self._reader = gevent.spawn(self._read, pipe)

    def _read(self, pipe: Any) -> None:
        for raw in pipe:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()

    def text(self) -> str:
        return "\n".join(self.lines)

    def count(self, pattern: str) -> int:
        """How many lines match the regular expression ``pattern``."""
        found = re.compile(pattern)
        return sum(1 for line in list(self.lines) if found.search(line))

    def join(self, timeout: float = 5.0) -> None:
        self._reader.join(timeout)


def stop_process(proc: Any, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Signal a process we started (by its PID), then kill it if it does not end."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
