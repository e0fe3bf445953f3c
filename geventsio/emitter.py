"""Emitters: send one packet to a chosen set of clients of a namespace.

``self.broadcast`` (everyone in the namespace but me), ``self.io`` and ``server.of(ns)``
(everyone in the namespace) and ``self.volatile`` (me, if my transport can take it now)
are :class:`Emitter` objects. Their flags chain in any order, as in Socket.IO 0.7:
``self.broadcast.volatile.to('room').emit(...)``. Each step returns a new emitter; the
packet is encoded once and handed to :meth:`Manager.deliver`, the one function that
targets sessions.

``server.of(ns).socket(sid)`` is the emitter of one client, as ``io.sockets.socket(id)``
in Socket.IO 0.9: ``emit``, ``send`` and ``disconnect()`` from any greenlet. For a sid that
is not connected to the namespace (gone, never there) it is still an emitter, whose packets
go nowhere (``emit`` returns 0) and whose ``disconnect()`` does nothing (returns False),
as node's gives a fresh socket for an unknown id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .protocol import encode_event, encode_packet, message_packet

if TYPE_CHECKING:
    from .core.manager import Manager

__all__ = ["Emitter"]


class Emitter:
    """A target (one client, or the members of a namespace or of some of its rooms) and
    the volatile flag.

    ``sid`` set and ``broadcast`` False: that client only. Otherwise: the members of
    ``endpoint`` (only those in ``rooms``, if any), except ``sid`` and ``exclude``.
    """

    __slots__ = ("manager", "endpoint", "sid", "exclude", "rooms", "is_volatile",
                 "is_broadcast")

    def __init__(self, manager: "Manager", endpoint: str, exclude: Iterable[str] = (), *,
                 sid: str | None = None, rooms: Iterable[str] = (), volatile: bool = False,
                 broadcast: bool | None = None) -> None:
        self.manager = manager
        self.endpoint = endpoint
        #: The client this emitter belongs to (``self.volatile``, ``self.broadcast``).
        self.sid = sid
        self.exclude = frozenset(exclude)
        self.rooms = frozenset(rooms)
        self.is_volatile = volatile
        #: False only for an emitter aimed at its own client (``self.volatile``).
        self.is_broadcast = sid is None if broadcast is None else broadcast

    def __repr__(self) -> str:
        flags = [name for name, on in (("broadcast", self.is_broadcast),
                                       ("volatile", self.is_volatile)) if on]
        return (f"<Emitter {self.endpoint!r} sid={self.sid} rooms={sorted(self.rooms)} "
                f"minus {len(self.exclude)} {' '.join(flags)}>")

    def _key(self) -> tuple[Any, ...]:
        return (id(self.manager), self.endpoint, self.sid, self.exclude, self.rooms,
                self.is_volatile, self.is_broadcast)

    def __eq__(self, other: object) -> bool:
        """Emitters are values: ``server.of('/chat') == self.io`` inside a /chat handler."""
        if not isinstance(other, Emitter):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _with(self, *, rooms: frozenset[str] | None = None, volatile: bool | None = None,
              broadcast: bool | None = None) -> "Emitter":
        return Emitter(self.manager, self.endpoint, self.exclude, sid=self.sid,
                       rooms=self.rooms if rooms is None else rooms,
                       volatile=self.is_volatile if volatile is None else volatile,
                       broadcast=self.is_broadcast if broadcast is None else broadcast)

    # -- flags -------------------------------------------------------------------------
    @property
    def volatile(self) -> "Emitter":
        """The same targets, but each gets the packet only if its transport can take it
        now; it is dropped for the others, never queued."""
        return self._with(volatile=True)

    @property
    def broadcast(self) -> "Emitter":
        """Everyone this emitter's client shares the namespace (or rooms) with, but it."""
        return self._with(broadcast=True)

    def to(self, room: str) -> "Emitter":
        """Only the members of ``room`` (chained: of any of the rooms named).

        On an emitter of one client (``self.volatile``) it implies ``broadcast``: the
        room minus that client.
        """
        if not isinstance(room, str):
            raise TypeError(f"room names are strings, got {type(room).__name__}")
        return self._with(rooms=self.rooms | {room}, broadcast=True)

    #: ``in`` is a Python keyword: ``self.io.in_('room')`` as ``io.sockets.in('room')``.
    in_ = to

    def socket(self, sid: str) -> "Emitter":
        """The one client ``sid`` of this namespace (``io.sockets.socket(id)``).

        Keeps the volatile flag; ``broadcast`` or ``to(room)`` on the result target the
        others (the room minus that client). A sid that is not connected here gets
        nothing: its ``emit`` returns 0 and ``disconnect()`` returns False.
        """
        if not isinstance(sid, str):
            raise TypeError(f"session ids are strings, got {type(sid).__name__}")
        return Emitter(self.manager, self.endpoint, sid=sid, volatile=self.is_volatile,
                       broadcast=False)

    # -- sending -----------------------------------------------------------------------
    def emit(self, event: str, *args: Any) -> int:
        """Send event ``event`` to every target; returns how many clients got it."""
        return self._deliver(encode_event(event, args, self.endpoint))

    def send(self, message: Any, json: bool = False) -> int:
        """Send a message (``json=True``: any JSON-able value) to every target."""
        return self._deliver(encode_packet(message_packet(message, self.endpoint, json=json)))

    def disconnect(self, silent: bool = False) -> bool:
        """Disconnect this emitter's one client from the namespace, as its namespace's
        ``disconnect(silent)`` would (on ``''``: end its session); the client is told
        unless ``silent``. False if that client is not connected here.

        Only for the emitter of one client (``server.of(ns).socket(sid)``): a room or a
        namespace is not disconnected at once (TypeError).
        """
        if self.is_broadcast or self.sid is None:
            raise TypeError("disconnect() needs one client: use server.of(ns).socket(sid)")
        return self.manager.disconnect(self.sid, self.endpoint, notify=not silent)

    def clients(self, room: str | None = None) -> list[str]:
        """The sids this emitter would reach now; with ``room``, the members of that room
        instead of this emitter's rooms."""
        manager = self.manager
        if not self.is_broadcast:
            if manager.cluster is not None and self.sid not in manager.sessions:
                return [self.sid] if self.sid in manager.clients(self.endpoint) else []
            here = manager.index.members(self.endpoint)
            return [self.sid] if self.sid in here and self.sid in manager.sessions else []
        rooms = self.rooms if room is None else {room}
        found = manager.clients(self.endpoint, rooms or None)
        skip = self.exclude if self.sid is None else self.exclude | {self.sid}
        return [sid for sid in found if sid not in skip]

    def _deliver(self, text: str) -> int:
        manager = self.manager
        if not self.is_broadcast:
            return manager.deliver(text, self.endpoint, sid=self.sid,
                                   volatile=self.is_volatile)
        exclude = self.exclude if self.sid is None else self.exclude | {self.sid}
        return manager.deliver(text, self.endpoint, rooms=self.rooms or None,
                               exclude=exclude, volatile=self.is_volatile)
