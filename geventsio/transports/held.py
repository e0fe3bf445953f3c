"""Held connections: what the websocket and the streaming HTTP transports share.

websocket, flashsocket, htmlfile and xhr-multipart keep one connection open for as long
as they carry a session and write whatever it queues. :class:`HeldTransport` holds the
parts of that which do not depend on the framing, written once:

- the connection (``sock``) and the ``_closing`` flag (no more writes: the connection or
  the session is ending);
- at most one writer greenlet, owned by the transport (:meth:`HeldTransport._spawn_writer`),
  which sends with :meth:`HeldTransport._send`; when the transport ends it is given a
  moment to finish its last write, then killed (:meth:`HeldTransport._release`);
- the grace timer: once the session has ended, its last packets have FLUSH_GRACE seconds
  to reach the peer before the connection is cut, so a peer that reads nothing cannot hold
  the connection (and the greenlets blocked on it) for ever;
- what the session calls: :meth:`HeldTransport.session_closed` has the queued packets
  written and arms the grace timer; :meth:`HeldTransport.replaced` cuts the connection.

Subclasses say how to have queued packets written (:meth:`HeldTransport._wake_writer`:
the websocket schedules a hub callback and spawns its writer only while the peer is slow,
the streaming transports wake the writer they run all along) and what the writer does.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import gevent

from ..core.timers import HubTimer

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = ["HeldTransport", "FLUSH_GRACE", "hold_socket", "let_go_socket"]

#: Seconds a closed session's last packets may take to reach a peer before the
#: connection is cut (a peer that reads nothing would otherwise hold it open).
FLUSH_GRACE = 5.0
#: Seconds the writer greenlet may take to finish when its transport ends, then again
#: for it to die once killed.
WRITER_EXIT_TIMEOUT = 1.0


class HeldTransport:
    """Base of the transports that hold their connection open (see the module docstring)."""

    name: ClassVar[str]
    streaming: ClassVar[bool] = True

    __slots__ = ("session", "sock", "_closing", "_grace_timer", "_writer", "_shut")

    def __init__(self, session: "Session", sock: socket.socket) -> None:
        self.session = session
        self.sock = sock
        self._closing = False  # no more writes: the connection or the session is ending
        self._grace_timer: HubTimer | None = None
        self._writer: gevent.Greenlet | None = None
        self._shut = False  # the connection was shut down (once is enough)

    # -- what the session calls --------------------------------------------------------
    def replaced(self) -> None:
        """Another transport took the session over: cut this connection."""
        self._closing = True
        self._shutdown()

    def session_closed(self) -> None:
        """The session ended: its queued packets (``0::``) and the end of the stream go
        out, then the connection is shut down; after FLUSH_GRACE seconds it is shut down
        regardless (a peer that reads nothing could leave the writer blocked for ever)."""
        self._closing = True
        self._wake_writer()
        self._arm_grace()

    # -- for subclasses ----------------------------------------------------------------
    def _wake_writer(self) -> None:
        """Have what is queued (and the stream's end, once closing) written soon."""
        raise NotImplementedError

    def _spawn_writer(self, loop: Callable[..., None], *args: Any) -> None:
        """Start the writer greenlet, running ``loop(*args)``; this transport owns it."""
        self._writer = gevent.spawn(loop, *args)

    def _send(self, data: bytes) -> bool:
        """sendall ``data``; False (and the transport closing) if the connection failed."""
        try:
            self.sock.sendall(data)
        except OSError:
            self._closing = True
            return False
        return True

    def _arm_grace(self) -> None:
        """Cut the connection after FLUSH_GRACE if the writer cannot finish (peer not reading)."""
        if self._grace_timer is None:
            self._grace_timer = HubTimer.started(FLUSH_GRACE, self._shutdown)

    def _shutdown(self) -> None:
        """Shut both directions of the connection (once: a second shutdown would cost a
        failing system call); a peer that already left is no error."""
        if self._shut:
            return
        self._shut = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _release(self) -> None:
        """The transport is ending: let the writer finish (else kill it), shut the
        connection down, stop the grace timer."""
        writer = self._writer
        if writer is not None:
            writer.join(timeout=WRITER_EXIT_TIMEOUT)
            if not writer.dead:
                writer.kill(block=True, timeout=WRITER_EXIT_TIMEOUT)
        self._shutdown()
        if self._grace_timer is not None:
            self._grace_timer.close()


def hold_socket(sock: Any) -> None:
    """Take a hold on a gevent socket object that others may ``close()`` too (the server
    that accepted it does when its handler's greenlet ends): counted the way
    ``makefile()`` counts its readers, so their ``close()`` only marks it closed while
    the hold lasts."""
    sock._io_refs += 1


def let_go_socket(sock: Any) -> bool:
    """Let go of a :func:`hold_socket`: the connection closes now if the socket was
    closed meanwhile (True), else at that ``close()`` (False)."""
    sock._decref_socketios()
    return bool(sock._closed and sock._io_refs <= 0)
