"""The bounded queue of encoded packets between a session and its transport.

Emitting greenlets put packets in; whichever transport is attached takes *everything*
queued at that moment (one poll response, one websocket write), so writes batch naturally.

A transport learns that packets arrived in one of two ways. A polling request *waits*
(:meth:`Outbox.wait`, a gevent Event made on first use). A websocket *listens*
(:meth:`Outbox.listen`): a plain callback, called when the queue goes from empty to not
empty and on :meth:`Outbox.wake`, so that an idle websocket session needs no greenlet
parked on an Event.
"""

from __future__ import annotations

from typing import Callable

from gevent.event import Event

__all__ = ["Outbox"]


def utf8_size(text: str) -> int:
    """How many bytes ``text`` takes in UTF-8 (cheap for ASCII: no encoding)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class Budget:
    """Bytes queued for all clients of one server together, and the most allowed."""

    __slots__ = ("used", "limit")

    def __init__(self, limit: int) -> None:
        self.used = 0
        self.limit = limit


class Outbox:
    """The bounded queue of encoded packets waiting for a transport to write them.

    Two bounds: ``limit`` packets and ``max_bytes`` bytes of UTF-8 (what the packets
    take on the wire, before framing). A broadcast's text is one object shared by every
    recipient's queue, so it costs memory once but counts in each queue.
    """

    __slots__ = ("_items", "_ready", "_listener", "limit", "max_bytes", "size", "budget")

    def __init__(self, limit: int, max_bytes: int = 1 << 62,
                 budget: Budget | None = None) -> None:
        self._items: list[str] = []
        self._ready: Event | None = None  # made by the first wait() or wake()
        self._listener: Callable[[], None] | None = None
        self.limit = limit
        self.max_bytes = max_bytes
        #: UTF-8 bytes of the packets queued now.
        self.size = 0
        #: The server-wide count this queue adds to (None once released).
        self.budget = budget

    def __len__(self) -> int:
        return len(self._items)

    def put(self, text: str) -> bool:
        """Queue one packet; False (nothing queued) when it would pass a bound: this
        queue's packets or bytes, or the server-wide budget (see :meth:`over_budget`)."""
        items = self._items
        size = len(text) if text.isascii() else utf8_size(text)  # ASCII: no call
        if len(items) >= self.limit or self.size + size > self.max_bytes:
            return False
        budget = self.budget
        if budget is not None:
            if budget.used + size > budget.limit:
                return False
            budget.used += size
        items.append(text)
        self.size += size
        if len(items) == 1:  # wake a waiting poll, tell a listening websocket (inline)
            if self._ready is not None:
                self._ready.set()
            listener = self._listener
            if listener is not None:
                listener()
        return True

    def take_all(self) -> list[str]:
        """Everything queued right now, in order; the queue is left empty."""
        items = self._items
        if self._ready is not None:
            self._ready.clear()
        if not items:
            return []
        self._items = []
        if self.budget is not None:
            self.budget.used -= self.size
        self.size = 0
        return items

    def over_budget(self, text: str) -> bool:
        """Whether ``text`` was refused by the server-wide budget (not this queue's own
        bounds)."""
        budget = self.budget
        return budget is not None and budget.used + utf8_size(text) > budget.limit

    def release(self) -> None:
        """Stop counting towards the server-wide budget (the session has ended; what a
        transport still writes from here on is bounded by this queue alone)."""
        if self.budget is not None:
            self.budget.used -= self.size
            self.budget = None

    def listen(self, listener: Callable[[], None] | None) -> None:
        """Call ``listener()`` (no blocking allowed) whenever packets arrive; None stops."""
        self._listener = listener

    def wait(self, timeout: float | None = None) -> bool:
        """Block until something is queued (or :meth:`wake` is called); False on timeout."""
        return self._event().wait(timeout)

    def wake(self) -> None:
        """Release every waiter (and call the listener), e.g. because the session closed."""
        self._event().set()
        if self._listener is not None:
            self._listener()

    def rearm(self) -> None:
        """Make :meth:`wait` block again if a wake-up left nothing to take."""
        if not self._items and self._ready is not None:
            self._ready.clear()

    def _event(self) -> Event:
        ready = self._ready
        if ready is None:
            ready = self._ready = Event()
            if self._items:
                ready.set()
        return ready
