"""Run a server in a child process (``python -m geventsio``, ``pserve``) for a test.

The child prints ``geventsio: serving on http://HOST:PORT/`` on stderr once it listens
(:func:`geventsio.cli.serve` does); :class:`ServedProcess` waits for that line, keeps the
rest of the output for failure messages, and stops the child by SIGTERM.
"""

from __future__ import annotations

import collections
import os
import re
import signal
from typing import Any

import gevent
import gevent.event
from gevent import subprocess

from .conftest import ROOT

_SERVING = re.compile(rb"serving on (http://[0-9.]+:([0-9]+))/")


class ServedProcess:
    """A child process that serves HTTP; ``url`` and ``port`` once it listens."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> None:
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self._listening = gevent.event.AsyncResult()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = gevent.spawn(self._read)
        try:
            self.url, self.port = self._listening.get(timeout=timeout)
        except BaseException:
            self.kill()
            raise AssertionError(f"{argv} did not start:\n{self.tail()}") from None

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line.decode("utf-8", "replace").rstrip())
            found = _SERVING.search(line)
            if found and not self._listening.ready():
                self._listening.set((found.group(1).decode(), int(found.group(2))))
        if not self._listening.ready():
            self._listening.set_exception(AssertionError("ended before listening"))

    def tail(self) -> str:
        return "\n".join(self.output)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, then the exit status (AssertionError if it does not end in time)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {timeout}s after SIGTERM:\n{self.tail()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> "ServedProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()
