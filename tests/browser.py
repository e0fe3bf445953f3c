"""Drive one headless Chromium from pytest: the Python side of ``tests/js/browser_driver.js``.

One node process (playwright-core) launches Debian's ``chromium`` once and keeps it for a
whole test module; Python sends it JSON commands and waits, as a greenlet, for the answer
with the same id, so a gevent server in this process keeps serving while a test waits.

    with Chromium() as browser:
        page = browser.open("http://127.0.0.1:8000/page.html")
        page.eval("(a) => T.connect('a', a)", {"transport": "websocket"})
        page.wait("() => T.connected('a')")
        page.close()

``eval`` and ``wait`` take the *source* of a JavaScript function and one JSON argument, so
test data never has to be spliced into JavaScript source. ``wait`` polls the function in the
page (every 25 ms) until it returns something truthy and returns that value.

:func:`require_chromium` is the policy for machines without Chromium: the test is skipped,
with the reason, on a developer machine, and fails when ``CI`` is set.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
from typing import Any

import gevent
import gevent.event
import gevent.lock
import pytest
from gevent import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DRIVER_JS = os.path.join(ROOT, "tests", "js", "browser_driver.js")


def require_chromium() -> None:
    """Skip (or, under ``CI``, fail) unless Chromium and playwright-core are installed."""
    if os.path.exists(CHROMIUM) and os.path.isdir(
            os.path.join(ROOT, "node_modules", "playwright-core")):
        return
    message = f"needs {CHROMIUM} (Debian package chromium) and `npm install` (playwright-core)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class BrowserError(AssertionError):
    """A command failed in the browser (a JS exception, a wait that timed out, ...)."""


class Chromium:
    """One ``node tests/js/browser_driver.js`` process and its browser."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self._ids = itertools.count(1)
        self._pages = itertools.count(1)
        self._waiting: dict[int, gevent.event.AsyncResult] = {}
        self._write_lock = gevent.lock.Semaphore()
        self._ready = gevent.event.AsyncResult()
        self.stderr_lines: collections.deque[str] = collections.deque(maxlen=200)
        self.proc = subprocess.Popen(
            ["node", DRIVER_JS], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self._readers = [gevent.spawn(self._read_stdout), gevent.spawn(self._read_stderr)]
        try:
            self.version = self._ready.get(timeout=start_timeout)
        except BaseException:
            self.close()
            raise

    def _read_stdout(self) -> None:
        for raw in self.proc.stdout:
            message = json.loads(raw)
            if message.get("ready"):
                self._ready.set(message["version"])
                continue
            waiter = self._waiting.pop(message["id"], None)
            if waiter is not None:
                waiter.set(message)
        failure = BrowserError(f"browser driver ended:\n{self.stderr_tail()}")
        self._ready.set_exception(failure)
        for waiter in self._waiting.values():
            waiter.set_exception(failure)

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def stderr_tail(self) -> str:
        return "\n".join(self.stderr_lines)

    def call(self, op: str, timeout: float = 30.0, **fields: Any) -> Any:
        """Run one command and return its value; a failed command raises BrowserError."""
        command_id = next(self._ids)
        waiter = self._waiting[command_id] = gevent.event.AsyncResult()
        line = json.dumps({"id": command_id, "op": op, **fields}) + "\n"
        with self._write_lock:
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        try:
            answer = waiter.get(timeout=timeout)
        except gevent.Timeout:
            raise BrowserError(f"no answer to {op} in {timeout} s") from None
        finally:
            self._waiting.pop(command_id, None)
        if not answer["ok"]:
            raise BrowserError(f"{op} failed: {answer['error']}")
        return answer["value"]

    def open(self, url: str) -> "Page":
        """A new page (its own browser context) showing ``url``."""
        name = f"p{next(self._pages)}"
        self.call("open", page=name, url=url)
        return Page(self, name)

    def close(self) -> None:
        """Close stdin (the driver closes the browser and exits); kill it if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        gevent.joinall(self._readers, timeout=5)

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Page:
    """One page of the browser."""

    def __init__(self, browser: Chromium, name: str) -> None:
        self.browser = browser
        self.name = name
        self.closed = False

    def eval(self, fn: str, arg: Any = None, timeout: float = 30.0) -> Any:
        """``fn(arg)`` in the page (``fn`` is JS function source); its awaited result."""
        return self.browser.call("eval", page=self.name, fn=fn, arg=arg, timeout=timeout)

    def wait(self, fn: str, arg: Any = None, timeout: float = 15.0) -> Any:
        """Poll ``fn(arg)`` in the page until truthy and return it; BrowserError on timeout."""
        try:
            return self.browser.call("wait", timeout=timeout + 10, page=self.name, fn=fn,
                                     arg=arg, limit=int(timeout * 1000))
        except BrowserError as exc:
            raise BrowserError(f"{exc}\nwhile waiting for {fn} with {arg!r}") from None

    def errors(self) -> list[str]:
        """Page errors (uncaught exceptions) and console errors seen so far."""
        return self.browser.call("errors", page=self.name)

    def screenshot(self, path: str) -> None:
        self.browser.call("screenshot", page=self.name, path=str(path))

    def close(self) -> list[str]:
        """Close the page (like closing the tab, no goodbye); returns its errors."""
        if self.closed:
            return []
        self.closed = True
        return self.browser.call("close", page=self.name)
