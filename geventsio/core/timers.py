"""Hub timers with one meaning of "start": the full delay, counted from now.

Every deadline of the server (close timeout, heartbeats, the grace after a stream ends,
ack timeouts, kept farewells) is a hub timer: a libev/libuv watcher, not a greenlet, so a
waiting session costs no stack. The raw watchers have a trap: on gevent's libev loop,
``stop()`` followed by ``start()`` resumes the time that was left instead of counting the
delay again. A session that reused one close timer across polls was therefore closed once
the gaps between its polls *added up* to ``close_timeout``.

:class:`HubTimer` is the only way the package makes a timer. ``restart()`` always counts the
whole delay from the moment it is called, whether the timer was running, stopped or had
fired; ``stop()`` and ``close()`` are safe to call in any state.
"""

from __future__ import annotations

from typing import Any, Callable

import gevent

__all__ = ["HubTimer"]


class HubTimer:
    """A restartable timer on the gevent hub that runs ``callback(*args)`` in the hub.

    One-shot by default: it fires once per :meth:`restart`. With ``repeat=True`` it fires
    every ``seconds`` until stopped (heartbeats). The callback runs in the hub, so it must
    not block: spawn a greenlet for anything that may switch.
    """

    __slots__ = ("seconds", "repeat", "_callback", "_args", "_watcher")

    def __init__(self, seconds: float, callback: Callable[..., Any], *args: Any,
                 repeat: bool = False) -> None:
        self.seconds = seconds
        self.repeat = repeat
        self._callback = callback
        self._args = args
        # ``again()`` re-arms with the watcher's repeat value, counted from now: that is
        # what makes a restart a real restart (see the module docstring).
        self._watcher: Any = gevent.get_hub().loop.timer(seconds, seconds)

    @classmethod
    def started(cls, seconds: float, callback: Callable[..., Any], *args: Any,
                repeat: bool = False) -> "HubTimer":
        """A new timer, already counting."""
        timer = cls(seconds, callback, *args, repeat=repeat)
        timer.restart()
        return timer

    @property
    def active(self) -> bool:
        """True while the timer is counting down."""
        watcher = self._watcher
        return watcher is not None and bool(watcher.active)

    def restart(self) -> None:
        """Count the whole delay again from now (running, stopped or fired alike).

        Raises RuntimeError once the timer is closed.
        """
        if self._watcher is None:
            raise RuntimeError("restart() of a closed HubTimer")
        self._watcher.again(self._fire)

    def stop(self) -> None:
        """Stop counting; a later :meth:`restart` counts the whole delay."""
        if self._watcher is not None:
            self._watcher.stop()

    def close(self) -> None:
        """Stop and release the watcher for good. Closing twice does nothing."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
            watcher.close()

    def _fire(self) -> None:
        if not self.repeat and self._watcher is not None:
            self._watcher.stop()
        self._callback(*self._args)
