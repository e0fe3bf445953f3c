"""Callbacks waiting for a client's acknowledgements, each with a timeout.

One :class:`AckRegistry` per namespace instance. ``emit``/``send`` with a callback
register it and put the returned id in the packet; the client's ack packet resolves it;
a client that never answers lets its timer expire, so nothing accumulates. Timers are
hub timers, not greenlets; they are stopped when the ack comes or the namespace ends.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..exceptions import AckTimeout
from .signatures import accepts_arguments
from .timers import HubTimer

__all__ = ["AckRegistry", "accepts_arguments", "ack_args", "NO_ACK"]

log = logging.getLogger("geventsio.acks")

OnTimeout = Callable[[AckTimeout], Any]


class _Pending:
    """One callback waiting for its ack."""

    __slots__ = ("callback", "accepts", "timer", "on_timeout", "event")

    def __init__(self, callback: Callable[..., Any], accepts: bool, timer: Any,
                 on_timeout: OnTimeout | None, event: str) -> None:
        self.callback = callback
        self.accepts = accepts
        self.timer = timer
        self.on_timeout = on_timeout
        self.event = event

    def stop(self) -> None:
        self.timer.close()


class AckRegistry:
    """The pending acks of one namespace instance.

    ``owner`` names the namespace in log lines; ``spawn`` runs ``on_timeout`` handlers
    in greenlets the namespace owns (killed when it ends).
    """

    __slots__ = ("owner", "spawn", "_pending", "_counter")

    def __init__(self, owner: Any, spawn: Callable[..., Any]) -> None:
        self.owner = owner
        self.spawn = spawn
        self._pending: dict[int, _Pending] = {}
        self._counter = 0

    def __len__(self) -> int:
        return len(self._pending)

    def register(self, callback: Callable[..., Any], timeout: float,
                 on_timeout: OnTimeout | None, event: str) -> tuple[int, bool]:
        """Keep ``callback`` for ``timeout`` seconds; returns (ack id, whether it takes
        arguments, i.e. whether to ask the client for a data ack)."""
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._counter += 1
        ack_id = self._counter
        timer = HubTimer.started(timeout, self._expired, ack_id, timeout)
        accepts = accepts_arguments(callback)
        self._pending[ack_id] = _Pending(callback, accepts, timer, on_timeout, event)
        return ack_id, accepts

    def resolve(self, ack_id: int, args: tuple[Any, ...]) -> None:
        """The client acknowledged ``ack_id``: run its callback (errors are logged)."""
        pending = self._pending.pop(ack_id, None)
        if pending is None:
            log.debug("%r: ack %d matches no callback", self.owner, ack_id)
            return
        pending.stop()
        try:
            if pending.accepts:
                pending.callback(*args)
            else:
                pending.callback()
        except Exception:
            log.exception("%r: ack callback %r raised", self.owner, pending.callback)

    def drop_all(self) -> None:
        """Forget every pending callback and stop its timer (the namespace ended)."""
        for pending in self._pending.values():
            pending.stop()
        self._pending.clear()

    def _expired(self, ack_id: int, timeout: float) -> None:
        """Hub timer callback: the client never answered ack ``ack_id``."""
        pending = self._pending.pop(ack_id, None)
        if pending is None:
            return
        pending.stop()
        log.info("%r: no ack for %r (ack %d) within %gs; callback dropped",
                 self.owner, pending.event, ack_id, timeout)
        if pending.on_timeout is not None:
            self.spawn(_run_timeout_handler, self.owner, pending.on_timeout,
                       AckTimeout(pending.event, ack_id, timeout))


def _run_timeout_handler(owner: Any, on_timeout: OnTimeout, error: AckTimeout) -> None:
    try:
        on_timeout(error)
    except Exception:
        log.exception("%r: on_timeout %r raised", owner, on_timeout)


class _NoAck:
    """Marker returned by a namespace when no data ack may be sent (the handler failed)."""

    def __repr__(self) -> str:
        return "NO_ACK"


NO_ACK = _NoAck()


def ack_args(result: Any) -> tuple[Any, ...]:
    """A handler's return value as the arguments of a data ack: ``None`` -> none, a tuple
    -> several, anything else -> one."""
    if result is None:
        return ()
    if isinstance(result, tuple):
        return result
    return (result,)
