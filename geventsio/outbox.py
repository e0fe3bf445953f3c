"""The bounded queue of encoded packets between a session and its transport.

Emitting greenlets put packets in; whichever transport is attached takes *everything*
queued at that moment (one poll response, one websocket write), so writes batch naturally.
"""

from __future__ import annotations

from collections import deque

from gevent.event import Event

__all__ = ["Outbox"]


class Outbox:
    """The bounded queue of encoded packets waiting for a transport to write them."""

    __slots__ = ("_items", "_ready", "limit")

    def __init__(self, limit: int) -> None:
        self._items: deque[str] = deque()
        self._ready = Event()
        self.limit = limit

    def __len__(self) -> int:
        return len(self._items)

    def put(self, text: str) -> bool:
        """Queue one packet; False (nothing queued) when the queue is full."""
        if len(self._items) >= self.limit:
            return False
        self._items.append(text)
        self._ready.set()
        return True

    def take_all(self) -> list[str]:
        """Everything queued right now, in order; the queue is left empty."""
        items = list(self._items)
        self._items.clear()
        self._ready.clear()
        return items

    def wait(self, timeout: float | None = None) -> bool:
        """Block until something is queued (or :meth:`wake` is called); False on timeout."""
        return self._ready.wait(timeout)

    def wake(self) -> None:
        """Release every waiter, e.g. because the session closed."""
        self._ready.set()

    def rearm(self) -> None:
        """Make :meth:`wait` block again if a wake-up left nothing to take."""
        if not self._items:
            self._ready.clear()
