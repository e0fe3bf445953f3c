"""Emitters: send one packet to many clients of a namespace.

``self.broadcast`` (everyone in the namespace but me), ``self.io`` and ``server.of(ns)``
(everyone in the namespace) are :class:`Emitter` objects. The packet is encoded once and
handed to :meth:`Manager.deliver`, the one function that targets sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .protocol import EventPacket, JsonPacket, MessagePacket, encode_packet

if TYPE_CHECKING:
    from .manager import Manager

__all__ = ["Emitter"]


class Emitter:
    """Targets every client joined to ``endpoint`` except the sids in ``exclude``."""

    __slots__ = ("manager", "endpoint", "exclude")

    def __init__(self, manager: "Manager", endpoint: str, exclude: Iterable[str] = ()) -> None:
        self.manager = manager
        self.endpoint = endpoint
        self.exclude = frozenset(exclude)

    def __repr__(self) -> str:
        return f"<Emitter {self.endpoint!r} minus {len(self.exclude)}>"

    def __eq__(self, other: object) -> bool:
        """Emitters are values: ``server.of('/chat') == self.io`` inside a /chat handler."""
        if not isinstance(other, Emitter):
            return NotImplemented
        return (self.manager, self.endpoint, self.exclude) == (
            other.manager, other.endpoint, other.exclude)

    def __hash__(self) -> int:
        return hash((id(self.manager), self.endpoint, self.exclude))

    def emit(self, event: str, *args: Any) -> int:
        """Send event ``event`` to every target; returns how many clients got it."""
        return self._deliver(encode_packet(EventPacket(event, args, self.endpoint)))

    def send(self, message: Any, json: bool = False) -> int:
        """Send a message (``json=True``: any JSON-able value) to every target."""
        if json:
            packet: Any = JsonPacket(message, self.endpoint)
        else:
            packet = MessagePacket(message, self.endpoint)
        return self._deliver(encode_packet(packet))

    def clients(self, room: str | None = None) -> list[str]:
        """The sids this emitter would reach now.

        Rooms are not in this release: naming one raises NotImplementedError rather than
        answering as if the room were empty.
        """
        if room is not None:
            raise NotImplementedError("rooms are not available in this release")
        return [sid for sid, session in self.manager.sessions.items()
                if self.endpoint in session.namespaces and sid not in self.exclude]

    def _deliver(self, text: str) -> int:
        return self.manager.deliver(text, self.endpoint, exclude=self.exclude)
