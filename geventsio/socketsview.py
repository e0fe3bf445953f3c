"""``server.sockets``: an emitter of the default namespace that is also a mapping.

In Socket.IO 0.7, ``io.sockets`` is the default namespace (``io.sockets.emit(...)``); in
gevent-socketio, ``server.sockets`` was the dict of session id -> socket that apps
iterate (``for sid, socket in server.sockets.items()``). :class:`SocketsView` is both:
an :class:`~geventsio.emitter.Emitter` of ``''`` and a read-only view of the server's
sessions by sid. The listing methods return lists taken at the moment of the call, so
a loop may send (or a client may leave) while it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from .emitter import Emitter

if TYPE_CHECKING:
    from .core.session import Session

__all__ = ["SocketsView"]


class SocketsView(Emitter):
    """``server.of('')`` plus ``[sid]``, ``get``, ``keys``, ``values``, ``items``,
    ``len``, ``iter`` and ``in`` over every live session of the server."""

    __slots__ = ()

    def __getitem__(self, sid: str) -> "Session":
        """The live session ``sid``; KeyError if there is none."""
        return self.manager.sessions[sid]

    def get(self, sid: str, default: Any = None) -> Any:
        """The live session ``sid``, or ``default``."""
        return self.manager.sessions.get(sid, default)

    def __contains__(self, sid: object) -> bool:
        return sid in self.manager.sessions

    def __len__(self) -> int:
        return len(self.manager.sessions)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.manager.sessions))

    def keys(self) -> list[str]:
        """The sids of the live sessions (a list taken now)."""
        return list(self.manager.sessions)

    def values(self) -> list["Session"]:
        """The live sessions (a list taken now)."""
        return list(self.manager.sessions.values())

    def items(self) -> list[tuple[str, "Session"]]:
        """(sid, session) pairs of the live sessions (a list taken now)."""
        return list(self.manager.sessions.items())
