"""gevent-socketio 0.3's namespace mixins, on top of the room index.

Apps written for gevent-socketio mix these into their namespaces; they keep working after
``from socketio.mixins import ...`` becomes ``from geventsio.mixins import ...``. Rooms
are the ones of :meth:`BaseNamespace.join`: an index lookup per send, where
gevent-socketio scanned every socket of the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emitter import Emitter

__all__ = ["RoomsMixin", "BroadcastMixin"]


class RoomsMixin:
    """``join``/``leave`` (from BaseNamespace) and ``emit_to_room``, as in gevent-socketio.

    A plain mixin, as there: ``class Chat(BaseNamespace, RoomsMixin, BroadcastMixin)``
    is the usual order and must keep a consistent MRO.
    """

    broadcast: "Emitter"
    io: "Emitter"

    def emit_to_room(self, room: str, event: str, *args: Any) -> int:
        """Send ``event`` to everyone in ``room`` of this namespace but this client.

        Returns how many clients got it.
        """
        return self.broadcast.to(room).emit(event, *args)


class BroadcastMixin:
    """``broadcast_event`` and ``broadcast_event_not_me``, as in gevent-socketio."""

    broadcast: "Emitter"
    io: "Emitter"

    def broadcast_event(self, event: str, *args: Any) -> int:
        """Send ``event`` to every client of this namespace, this one included.

        gevent-socketio sent it to every socket of the server, joined to the namespace
        or not; clients that have not joined it have no use for it, so they are skipped.
        """
        return self.io.emit(event, *args)

    def broadcast_event_not_me(self, event: str, *args: Any) -> int:
        """Send ``event`` to every client of this namespace but this one."""
        return self.broadcast.emit(event, *args)
