"""A connection's request deadlines, with timers made once per connection.

Every request of a kept-alive connection runs under deadlines: its first byte within
``keepalive_timeout`` (``request_head_timeout`` for a connection's first request), its
line and headers within ``request_head_timeout``, its body within
``request_body_timeout``. A ``gevent.Timeout`` per deadline made two or three timer
objects per request (benchmarks/FINDINGS.md, issue 14); :class:`Deadlines` keeps one
:class:`~geventsio.core.timers.HubTimer` per duration for the connection's life and
restarts it, so a request costs a restart and a stop instead.

At most one deadline runs at a time. When it passes, its exception is thrown into the
greenlet that started it, exactly as ``gevent.Timeout`` does; the caller catches it.

:func:`peek_within` waits for a connection's next request under such a deadline.
"""

from __future__ import annotations

from typing import Any

from gevent import getcurrent

from ..core.timers import HubTimer

__all__ = ["BodyTimeout", "Deadlines", "HeadTimeout", "peek_within"]


class _Idle(BaseException):
    """Thrown into a connection's greenlet when its next request did not start in time."""


_IDLE = _Idle()


class HeadTimeout(BaseException):
    """Raised in a connection's greenlet when a request's head is late (a BaseException,
    like gevent.Timeout, so that no ``except Exception`` on the way swallows it)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"request head not received within {seconds}s")
        self.seconds = seconds


class BodyTimeout(BaseException):
    """Raised in a connection's greenlet when a request's body is late (caught by the
    reader, which answers 408)."""


class Deadlines:
    """One connection's deadlines: start one, stop it, close them all with the connection."""

    __slots__ = ("_timers", "_running", "_greenlet", "_error")

    def __init__(self) -> None:
        self._timers: dict[float, HubTimer] = {}
        self._running: HubTimer | None = None
        self._greenlet: Any = None
        self._error: BaseException | None = None

    def start(self, seconds: float, error: BaseException) -> None:
        """From now, ``error`` is thrown into the calling greenlet unless :meth:`stop` is
        called within ``seconds`` (a running deadline is replaced)."""
        running = self._running
        if running is not None:  # stop() inline: once per request
            running.stop()
        timer = self._timers.get(seconds)
        if timer is None:
            timer = self._timers[seconds] = HubTimer(seconds, self._expire)
        self._greenlet = getcurrent()
        self._error = error
        self._running = timer
        timer.restart()

    def stop(self) -> None:
        """End the running deadline, if any (safe to call at any time)."""
        timer = self._running
        if timer is not None:
            self._running = self._error = None
            timer.stop()

    def close(self) -> None:
        """Stop and release the timers (the connection is done with requests); a later
        :meth:`start` makes new ones."""
        self._running = self._error = None
        timers, self._timers = self._timers, {}
        for timer in timers.values():
            timer.close()
        self._greenlet = None

    def _expire(self) -> None:
        """In the hub: the deadline passed; raise its error in the waiting greenlet."""
        error, self._error = self._error, None
        self._running = None
        greenlet = self._greenlet
        if error is not None and greenlet is not None and not greenlet.dead:
            greenlet.throw(error)


def peek_within(rfile: Any, deadlines: Deadlines, seconds: float) -> bytes:
    """The connection's next byte, not consumed; b"" if none came within ``seconds`` or
    the peer closed."""
    deadlines.start(seconds, _IDLE)
    try:
        return bytes(rfile.peek(1)[:1])
    except _Idle:
        return b""
    finally:
        deadlines.stop()
