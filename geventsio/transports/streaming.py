"""Streaming HTTP transports: one response held open, one chunk per write.

htmlfile (the forever iframe) and xhr-multipart answer their GET with a chunked response
that stays open: a prelude first, then whatever the session queues, each batch written as
HTTP chunks by a writer greenlet this transport owns. The client sends with POSTs, handled
as xhr-polling POSTs. The handler's greenlet watches the connection. When the client goes
away the session ends too (the 0.9 client never reopens a stream; it handshakes anew),
but only after GOODBYE_GRACE seconds: the 0.9 client closes its iframe right after
POSTing ``0::``, and that goodbye, which may arrive after the connection's end, must
still find the session.
When the session ends or another transport takes it over, the writer ends the chunked
response properly (``0\\r\\n\\r\\n``) and the connection is closed.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, ClassVar

from ..core.session import CLOSED
from ..core.timers import HubTimer
from ..protocol import (
    HTMLFILE_PRELUDE,
    MULTIPART_BOUNDARY,
    MULTIPART_END,
    MULTIPART_PRELUDE,
    encode_payload,
    htmlfile_chunk,
    multipart_part,
)
from .held import HeldTransport
from .polling import decode_text_body

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = ["StreamingHTTPTransport", "HTMLFileTransport", "XHRMultipartTransport",
           "http_chunk", "LAST_CHUNK"]

log = logging.getLogger("geventsio.transports.streaming")

#: The chunk that ends a chunked HTTP body.
LAST_CHUNK = b"0\r\n\r\n"
#: Packets that may wait in the outbox while a volatile packet is still written.
VOLATILE_SLACK = 8
#: Seconds a session outlives its stream's connection, for a goodbye POST still on its way.
GOODBYE_GRACE = 2.0


def http_chunk(data: bytes) -> bytes:
    """``data`` as one HTTP/1.1 chunk (``<hex length>\\r\\n<data>\\r\\n``); empty -> b""."""
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


class StreamingHTTPTransport(HeldTransport):
    """Base of the streaming HTTP transports; subclasses say how the body looks."""

    content_type: ClassVar[str]
    answer_headers: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, session: "Session", sock: socket.socket) -> None:
        super().__init__(session, sock)
        self._replaced = False  # another transport owns the outbox now
        self._writing = False  # the writer is inside sendall
        self._abandon_timer: HubTimer | None = None

    # -- how the body looks (subclasses) -----------------------------------------------
    @staticmethod
    def parse_index(query: dict[str, str]) -> int:
        """Streaming transports name no callback index."""
        return 0

    @staticmethod
    def decode_post(body: bytes) -> str:
        """POSTs carry a raw payload, as xhr-polling's (raises ProtocolError)."""
        return decode_text_body(body)

    @classmethod
    def prelude(cls) -> str:
        """The body's first text, written with the response head."""
        raise NotImplementedError

    @classmethod
    def pieces(cls, texts: list[str]) -> list[str]:
        """The body text for one write of ``texts`` (encoded packets), one HTTP chunk each."""
        raise NotImplementedError

    @classmethod
    def epilogue(cls) -> str:
        """Text written before the last chunk when the response ends."""
        return ""

    @classmethod
    def first_bytes(cls) -> bytes:
        """The prelude as one HTTP chunk: what follows the response head."""
        return http_chunk(cls.prelude().encode("utf-8"))

    @classmethod
    def whole_body(cls, payload: str) -> bytes:
        """A complete (not chunked) body carrying one payload, for a one-off answer."""
        return (cls.prelude() + "".join(cls.pieces([payload])) + cls.epilogue()).encode("utf-8")

    @classmethod
    def encode_write(cls, texts: list[str]) -> bytes:
        """The chunks carrying ``texts``."""
        return b"".join(http_chunk(piece.encode("utf-8")) for piece in cls.pieces(texts))

    @classmethod
    def encode_end(cls, texts: list[str]) -> bytes:
        """The chunks carrying ``texts``, then the epilogue and the last chunk."""
        return cls.encode_write(texts) + http_chunk(cls.epilogue().encode("utf-8")) + LAST_CHUNK

    @classmethod
    def ended_answer(cls, payload: str, index: int, opened: bool) -> bytes:
        """``payload`` (``7:::1+0`` or a farewell) as a whole body, or, once the head and
        prelude are out, as the chunks that end the response."""
        return cls.encode_end([payload]) if opened else cls.whole_body(payload)

    # -- running -----------------------------------------------------------------------
    def run(self) -> None:
        """Serve the session until the connection, the session or this transport ends.

        The response head and :meth:`first_bytes` must already be written. Raises
        InvalidStateError (before writing anything) if the session has closed.
        """
        session = self.session
        session.attach(self)
        self._spawn_writer(self._write_loop)
        try:
            self._wait_for_end()
        finally:
            self._closing = True
            session.detach(self)
            session.outbox.wake()
            self._release()
            self._end_abandoned_session_later()

    def _end_abandoned_session_later(self) -> None:
        """Close the session GOODBYE_GRACE seconds from now unless it has ended or another
        transport has taken it by then (its own close timeout would wait much longer)."""
        session = self.session
        if session.transport is not None or session.state is CLOSED:
            return
        self._abandon_timer = HubTimer.started(
            min(GOODBYE_GRACE, session.config.close_timeout / 2), self._on_abandoned)

    def _on_abandoned(self) -> None:
        if self._abandon_timer is not None:
            self._abandon_timer.close()
            self._abandon_timer = None
        session = self.session
        if session.transport is None and session.state is not CLOSED:
            session.manager.spawn(session.close, "transport closed", False)

    def _wait_for_end(self) -> None:
        """Block until the peer closes (or the writer shuts the socket down)."""
        try:
            data = self.sock.recv(4096)
        except OSError as exc:
            log.debug("session %s: %s connection ended: %r", self.session.sid, self.name, exc)
            return
        if data:
            log.warning("session %s: %s client sent data while its response streams; "
                        "closing", self.session.sid, self.name)

    def _write_loop(self) -> None:
        """Write what is queued, batched; end the response when this transport is done."""
        session = self.session
        outbox = session.outbox
        while True:
            outbox.wait()
            if self._replaced:
                break
            texts = outbox.take_all()
            if texts and not self._send(self.encode_write(texts)):
                return
            if session.state is CLOSED or self._closing:
                break
        self._send(self.encode_end([]))
        self._shutdown()

    def _send(self, data: bytes) -> bool:
        """sendall ``data`` (noting that a write is under way); False if it failed."""
        self._writing = True
        try:
            return super()._send(data)
        finally:
            self._writing = False

    def _wake_writer(self) -> None:
        """The writer waits on the outbox: wake it to write what is queued, or end."""
        self.session.outbox.wake()

    # -- what the session calls --------------------------------------------------------
    def ready_for_volatile(self) -> bool:
        """Whether a packet written now goes out at once: no write blocked, little queued."""
        return (not self._writing and not self._closing and not self._replaced
                and len(self.session.outbox) < VOLATILE_SLACK)

    def replaced(self) -> None:
        """Another transport took the session over: end this response properly (its
        last chunk), taking no more packets, as when the session ends."""
        self._replaced = True
        self.session_closed()


class HTMLFileTransport(StreamingHTTPTransport):
    """The forever iframe: ``<script>_("<packet>");</script>`` per packet."""

    name: ClassVar[str] = "htmlfile"
    content_type = "text/html; charset=UTF-8"

    @classmethod
    def prelude(cls) -> str:
        """Defines ``_`` and pads to 256 bytes, as the reference."""
        return HTMLFILE_PRELUDE

    @classmethod
    def pieces(cls, texts: list[str]) -> list[str]:
        """One script chunk per packet, as the reference writes them."""
        return [htmlfile_chunk(text) for text in texts]


class XHRMultipartTransport(StreamingHTTPTransport):
    """``multipart/x-mixed-replace``: one part per write, its body the payload as JSON."""

    name: ClassVar[str] = "xhr-multipart"
    content_type = f'multipart/x-mixed-replace; boundary="{MULTIPART_BOUNDARY}"'

    @classmethod
    def prelude(cls) -> str:
        """The first delimiter line."""
        return MULTIPART_PRELUDE

    @classmethod
    def pieces(cls, texts: list[str]) -> list[str]:
        """One part carrying everything queued, framed as a polling payload."""
        return [multipart_part(encode_payload(texts))]

    @classmethod
    def epilogue(cls) -> str:
        """The close delimiter."""
        return MULTIPART_END
