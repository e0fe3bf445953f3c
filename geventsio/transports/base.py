"""What the rest of the server asks of a transport, as ``typing.Protocol`` classes.

Two sides, both checked by mypy against every transport class:

- :class:`Transport`, the lifecycle side: what a session asks of the transport instance
  that carries it (the session knows transports only through it);
- the HTTP side, asked of a transport *class* by the handler before (or instead of) making
  one: :class:`HTTPSide` for every transport, :class:`RequestSide` for those whose requests
  are plain HTTP, and, per way of serving a GET, :class:`PollingSide`,
  :class:`StreamingSide` and :class:`UpgradeSide`. The registries in
  :mod:`geventsio.transports` are typed with them.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = ["Transport", "HTTPSide", "RequestSide", "PollingSide", "StreamingSide",
           "UpgradeSide"]


class Transport(Protocol):
    """A connection that moves one session's packets."""

    #: The wire name (``'websocket'``, ``'xhr-polling'``, ...).
    name: ClassVar[str]
    #: True when the connection stays open and the session sends heartbeats over it.
    streaming: ClassVar[bool]

    def ready_for_volatile(self) -> bool:
        """Whether a packet queued now would be written at once (else it is dropped)."""
        ...

    def replaced(self) -> None:
        """Another transport took the session over: let go of the connection."""
        ...

    def session_closed(self) -> None:
        """The session ended: write what is queued (its farewell), then end."""
        ...


class HTTPSide(Protocol):
    """What the handler asks of every transport class."""

    name: ClassVar[str]
    streaming: ClassVar[bool]

    @classmethod
    def ended_answer(cls, payload: str, index: int, opened: bool) -> bytes:
        """How this transport tells a client that its session is unknown or over.

        ``payload`` is ``7:::1+0`` (client not handshaken) or a kicked session's farewell;
        ``index`` the callback index the request named (jsonp). Without ``opened``, the
        result is a whole GET answer's body; with it (a stream's head or a websocket's
        ``101`` is already written), the rest of that response or connection, ending it.
        """
        ...


class RequestSide(HTTPSide, Protocol):
    """A transport whose requests are plain HTTP: long polls and streams, and POSTs."""

    #: Content type of a GET's answer, and the headers it carries besides CORS ones.
    content_type: ClassVar[str]
    answer_headers: ClassVar[tuple[tuple[str, str], ...]]

    @staticmethod
    def parse_index(query: dict[str, str]) -> int:
        """The callback index a GET names (jsonp; 0 for the others); may raise ProtocolError."""
        ...

    @staticmethod
    def decode_post(body: bytes) -> str:
        """The payload a POST body carries; raises ProtocolError."""
        ...


class PollingSide(RequestSide, Protocol):
    """A long-polling transport: a GET is answered with one payload."""

    def __init__(self, session: "Session") -> None: ...

    @staticmethod
    def render(payload: str, index: int) -> str:
        """The body answering a poll with ``payload``."""
        ...

    def poll(self, duration: float) -> str:
        """Wait for packets (at most ``duration`` seconds); the payload to answer with."""
        ...


class StreamingSide(RequestSide, Protocol):
    """A streaming HTTP transport: a GET's chunked answer stays open."""

    def __init__(self, session: "Session", sock: socket.socket) -> None: ...

    @classmethod
    def first_bytes(cls) -> bytes:
        """What follows the response head (the prelude, as one chunk)."""
        ...

    def run(self) -> None:
        """Serve the session until the connection, the session or the transport ends."""
        ...


class UpgradeSide(HTTPSide, Protocol):
    """A transport reached by a websocket upgrade (websocket, flashsocket)."""

    def __init__(self, session: "Session", read: Callable[[int], bytes] | None,
                 sock: socket.socket) -> None: ...

    def open(self, head: bytes = b"") -> None:
        """Start carrying the session, ``head`` (the ``101``) written before its first
        frames (raises InvalidStateError once it has ended)."""
        ...

    def serve(self) -> None:
        """Serve the opened session in this greenlet until the connection or it ends."""
        ...

    def watch(self, sock: Any, leftover: bytes) -> None:
        """Serve the opened session from the hub, owning ``sock``; returns at once."""
        ...
