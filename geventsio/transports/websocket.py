"""websocket: one RFC 6455 connection carries a session, one packet per text frame.

The handler's greenlet reads frames (through gevent-websocket) and dispatches them.
Writing needs no greenlet while the peer keeps up: the session's outbox calls back when
packets arrive, and a hub callback writes everything queued at that moment with one
non-blocking ``send``; a writer greenlet owned by this transport exists only while the
peer's socket buffer is full. When the connection ends the session
ends too (a websocket client that reconnects handshakes anew).
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import TYPE_CHECKING, Any

import gevent
from gevent.socket import socket as GeventSocket
from gevent.ssl import SSLSocket as GeventSSLSocket
from geventwebsocket.exceptions import FrameTooLargeException, WebSocketError
from geventwebsocket.exceptions import ProtocolError as GeventWebSocketProtocolError
from geventwebsocket.websocket import WebSocket

from ..fairness import TurnTaker
from ..session import SessionState
from ..timers import HubTimer
from .ending import finish_writer, shutdown_quietly

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "WebSocketTransport", "LimitedWebSocket", "encode_text_frames", "text_frame_header",
    "close_frame",
]

log = logging.getLogger("geventsio.transports.websocket")

_TEXT = WebSocket.OPCODE_TEXT
_DATA_OPCODES = (WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY)
#: Seconds a closed session's last packets may take to reach a peer before the
#: connection is cut (a peer that reads nothing would otherwise hold it open).
FLUSH_GRACE = 5.0
_CLOSE_TOO_BIG = 1009
_CLOSE_BAD_DATA = 1007


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, final server text frame carrying ``length`` bytes."""
    if length < 126:
        return _SMALL_HEADERS[length]
    if length < 0x10000:
        return b"\x81\x7e" + length.to_bytes(2, "big")
    return b"\x81\x7f" + length.to_bytes(8, "big")


#: Headers of the frames that fit a 7-bit length: most packets, built once.
_SMALL_HEADERS = tuple(bytes((0x81, n)) for n in range(126))


class _LastFrame:
    """The last text framed and its frame: a broadcast puts the *same* str object in
    every recipient's outbox, so it is UTF-8-encoded and framed once, not once per
    recipient. Keyed on identity (``is``): the reference held here keeps the id from
    being reused by another string."""

    __slots__ = ("text", "frame")

    def __init__(self) -> None:
        self.text: str | None = None
        self.frame = b""


_last = _LastFrame()


def _frame(text: str) -> bytes:
    last = _last
    if text is last.text:
        return last.frame
    data = text.encode("utf-8")
    frame = text_frame_header(len(data)) + data
    last.text, last.frame = text, frame
    return frame


def encode_text_frames(texts: list[str]) -> bytes:
    """Unmasked server text frames for ``texts``, concatenated (one bytes for one send)."""
    if len(texts) == 1:
        return _frame(texts[0])
    return b"".join([_frame(text) for text in texts])


def close_frame(code: int) -> bytes:
    """An unmasked server close frame carrying status ``code``."""
    return _control_frame(WebSocket.OPCODE_CLOSE, code.to_bytes(2, "big"))


def _control_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final control frame (payloads of control frames are <= 125 bytes)."""
    return bytes((0x80 | opcode, len(payload))) + payload


class LimitedWebSocket(WebSocket):
    """gevent-websocket's WebSocket that refuses messages larger than ``max_size`` bytes.

    Lengths are checked from frame headers before any payload is read, for one frame and
    for the fragments of one message together, so a client announcing a huge frame costs
    nothing; the connection is closed with 1009.
    """

    __slots__ = ("max_size", "message_size", "on_ping", "close_code", "_turns")

    def __init__(self, environ: dict[str, Any], stream: Any, handler: Any, max_size: int) -> None:
        super().__init__(environ, stream, handler)
        self.max_size = max_size
        self.message_size = 0
        #: Called with each ping's payload; the transport writes the pong in order with
        #: its other frames (never in the middle of one).
        self.on_ping: Any = None
        #: The status code of the peer's close frame, once one arrived.
        self.close_code: int | None = None
        self._turns = TurnTaker()

    def read_message(self) -> str | bytes | None:
        """The next whole message (text as str, binary as bytes); None after a close frame.

        Replaces gevent-websocket's version, which validates UTF-8 twice per message in
        pure Python; ``bytes.decode`` validates it once, in C. Raises UnicodeDecodeError
        for invalid UTF-8 and WebSocketError for frames out of order or of unknown type.
        """
        opcode: int | None = None
        parts: list[bytes] = []
        while True:
            frame_opcode, fin, payload = self.read_frame()
            if frame_opcode in _DATA_OPCODES:
                if opcode is not None:
                    raise WebSocketError("a new message started inside a fragmented one")
                opcode = frame_opcode
            elif frame_opcode == WebSocket.OPCODE_CONTINUATION:
                if opcode is None:
                    raise WebSocketError("a continuation frame with no message to continue")
            elif frame_opcode == WebSocket.OPCODE_PING:
                if self.on_ping is not None:
                    self.on_ping(payload)
                continue
            elif frame_opcode == WebSocket.OPCODE_PONG:
                continue
            elif frame_opcode == WebSocket.OPCODE_CLOSE:
                self.close_code = _close_code_of(payload)
                return None
            else:
                raise WebSocketError(f"unknown frame opcode {frame_opcode}")
            parts.append(payload)
            if fin:
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return data.decode("utf-8") if opcode == _TEXT else data

    def read_frame(self) -> tuple[int, bool, bytes]:  # type: ignore[override]
        """Read one frame: ``(opcode, fin, unmasked payload)``.

        The header is decoded here rather than by gevent-websocket's ``Header`` (two reads
        at most, no struct, no object per frame), and an oversize frame is refused from
        its header, before its payload is read.
        """
        self._turns.tick()  # a flood of buffered frames must not hold the hub
        read = self.stream.read
        head = read(2)
        if len(head) != 2:
            raise WebSocketError("Unexpected EOF while decoding header")
        first, second = head[0], head[1]
        opcode = first & 0x0F
        fin = first & 0x80 == 0x80
        length = second & 0x7F
        if opcode > 0x07:
            if not fin:
                raise GeventWebSocketProtocolError(f"Received fragmented control frame: {head!r}")
            if length > 125:
                raise FrameTooLargeException(
                    f"Control frame cannot be larger than 125 bytes: {head!r}")
        if first & 0x70:
            raise WebSocketError("reserved bits set in a frame header")
        mask = b""
        extra = (2 if length == 126 else 8 if length == 127 else 0) + (4 if second & 0x80 else 0)
        if extra:
            more = read(extra)
            if len(more) != extra:
                raise WebSocketError("Unexpected EOF while decoding header")
            if length == 126:
                length = int.from_bytes(more[:2], "big")
            elif length == 127:
                length = int.from_bytes(more[:8], "big")
            if second & 0x80:
                mask = more[-4:]
        self._check_size(opcode, length)
        if not length:
            return opcode, fin, b""
        payload = self.raw_read(length)
        if len(payload) != length:
            raise WebSocketError("Unexpected EOF reading frame payload")
        if mask:
            payload = _unmask(payload, mask)
        return opcode, fin, payload

    def _check_size(self, opcode: int, length: int) -> None:
        """Count a data frame towards its message; refuse it if either is too large.

        Control frames are not messages: read_frame already holds them to 125 bytes."""
        if opcode > 0x07:
            return
        if opcode in _DATA_OPCODES:  # a new message starts
            self.message_size = 0
        if opcode in _DATA_OPCODES or opcode == WebSocket.OPCODE_CONTINUATION:
            self.message_size += length  # fragments of one message add up
        if self.message_size > self.max_size or length > self.max_size:
            raise _FrameTooLarge(max(self.message_size, length), self.max_size)


def _close_code_of(payload: bytes) -> int:
    """The status code of a peer's close frame (1000 when it carries none); raises
    WebSocketError for a malformed one (a 1-byte body, a code peers may not send, a
    reason that is not UTF-8)."""
    if not payload:
        return 1000
    if len(payload) < 2:
        raise WebSocketError(f"close frame with a 1-byte body: {payload!r}")
    code = int.from_bytes(payload[:2], "big")
    if not (1000 <= code <= 1011 and code not in (1004, 1005, 1006) or 3000 <= code <= 4999):
        raise WebSocketError(f"close frame with code {code}, which a peer may not send")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketError("close frame whose reason is not UTF-8") from None
    return code


class _FrameTooLarge(WebSocketError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"websocket message of {length} bytes exceeds the limit of {limit}")


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` (fast: one big-int operation)."""
    length = len(payload)
    key = (mask * (length // 4 + 1))[:length]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(
        length, "little")


class WebSocketTransport:
    """Carries one session over one websocket until either side ends.

    Writing costs no greenlet while the peer keeps up: the outbox calls back when packets
    arrive, a hub callback (once per loop iteration, so whatever was queued meanwhile goes
    out together) writes them with one non-blocking ``send``. Only when the socket buffer
    is full does a writer greenlet take over the rest, blocking on the socket until the
    peer reads, and end once the outbox is empty again.
    """

    name = "websocket"
    streaming = True

    __slots__ = ("session", "ws", "sock", "_raw_send", "_closing", "_close_sent",
                 "_close_code", "_pong", "_flush_scheduled", "_grace_timer", "_writer")

    def __init__(self, session: "Session", ws: LimitedWebSocket, sock: socket.socket) -> None:
        self.session = session
        self.ws = ws
        self.sock = sock
        #: The OS socket's send (non-blocking) when writing from the hub is safe: a plain
        #: gevent socket, not TLS (whose bytes must go through the SSL object).
        self._raw_send: Any = _raw_send_of(sock)
        self._closing = False
        self._close_sent = False
        self._close_code = 1000  # what our close frame will say
        self._pong: bytes | None = None  # the pong to write next (only the latest ping's)
        self._flush_scheduled = False
        self._grace_timer: HubTimer | None = None
        self._writer: gevent.Greenlet | None = None

    def run(self) -> None:
        """Serve the session until the connection or the session ends (blocks)."""
        session = self.session
        _no_delay(self.sock)
        self.ws.on_ping = self._queue_pong
        session.outbox.listen(self._on_packets)
        session.attach(self)
        self._on_packets()  # "1::" was queued before anyone listened
        try:
            self._read_loop()
        finally:
            self._closing = True
            session.detach(self, final=True)
            if self._writer is None:
                self._flush()  # now, before the shutdown below: e.g. the 0:: of a kick
            session.outbox.listen(None)
            self._finish_writer()
            self._shutdown()
            if self._grace_timer is not None:
                self._grace_timer.close()

    def _read_loop(self) -> None:
        session = self.session
        ws = self.ws
        while session.state is not SessionState.CLOSED:
            try:
                message = ws.read_message()
            except _FrameTooLarge as exc:
                log.warning("session %s: %s; closing", session.sid, exc)
                self._send_close(_CLOSE_TOO_BIG)
                return
            except UnicodeDecodeError:
                log.warning("session %s: text frame that is not UTF-8; closing", session.sid)
                self._send_close(_CLOSE_BAD_DATA)
                return
            except (WebSocketError, OSError) as exc:
                log.debug("session %s: websocket ended: %r", session.sid, exc)
                return
            except Exception as exc:  # gevent-websocket's own ProtocolError and kin
                log.info("session %s: bad websocket frame: %r", session.sid, exc)
                return
            if message is None:  # close frame: ours will echo its code
                self._close_code = self.ws.close_code or 1000
                return
            if not isinstance(message, str):
                log.warning("session %s: binary frame refused (protocol 1 is text)", session.sid)
                continue
            session.receive(message)

    # -- writing -------------------------------------------------------------------------
    def _on_packets(self) -> None:
        """The outbox got packets (or a wake-up): flush at the end of this loop iteration."""
        if self._flush_scheduled or self._writer is not None:
            return  # already coming, or the writer greenlet drains the outbox itself
        self._flush_scheduled = True
        gevent.get_hub().loop.run_callback(self._flush)

    def _flush(self) -> None:
        """Hub callback: write what is queued without blocking; hand any rest to a greenlet."""
        self._flush_scheduled = False
        if self._writer is not None or self._close_sent:
            return
        data = self._pending_bytes()
        if not data:
            return
        raw_send = self._raw_send
        sent = 0
        if raw_send is not None:
            try:
                sent = raw_send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._closing = True
                return
        if sent < len(data):
            self._writer = gevent.spawn(self._write_loop, data[sent:])
        elif self._close_sent:
            self._shutdown()

    def _queue_pong(self, payload: bytes) -> None:
        """Answer a ping: the pong goes out with the next write, between whole frames.

        Only the latest ping is answered if several arrive before a write (RFC 6455
        5.5.3 allows it), so a client that pings without reading grows nothing.
        """
        self._pong = _control_frame(WebSocket.OPCODE_PONG, payload)
        self._on_packets()

    def _pending_bytes(self) -> bytes:
        """The pending pong, frames for everything queued, and the close frame once the
        session has ended: every write of this connection is made of whole frames."""
        texts = self.session.outbox.take_all()
        data = encode_text_frames(texts) if texts else b""
        pong, self._pong = self._pong, None
        if pong is not None:
            data = pong + data
        if self.session.state is SessionState.CLOSED and not self._close_sent:
            self._close_sent = True
            self.ws.closed = True
            data += close_frame(self._close_code)
        return data

    def _write_loop(self, data: bytes) -> None:
        """Writer greenlet: send ``data`` (blocking), then whatever is queued, until empty."""
        sendall = self.sock.sendall
        try:
            while data:
                sendall(data)
                if self._close_sent:
                    self._shutdown()
                    return
                data = self._pending_bytes()
        except OSError:
            self._closing = True
        finally:
            self._writer = None

    def _finish_writer(self) -> None:
        finish_writer(self._writer)

    def _send_close(self, code: int) -> None:
        """Make the close frame that ends this connection carry ``code``; it is written
        after whatever frame is being written, as the session ends."""
        self._close_code = code

    def _shutdown(self) -> None:
        shutdown_quietly(self.sock)

    def ready_for_volatile(self) -> bool:
        """True unless the peer does not keep up (a writer greenlet exists only while the
        socket buffer is full) or the connection is ending: a packet queued now goes out
        at once."""
        return self._writer is None and not self._closing

    def replaced(self) -> None:
        """Another transport took the session over: end this connection."""
        self._closing = True
        self._shutdown()

    def session_closed(self) -> None:
        """The session ended: queued packets (``0::``) and a close frame go out, then the
        connection is shut down.

        A peer that reads nothing can leave the writer blocked for ever, and the reader
        with it; after FLUSH_GRACE seconds the connection is shut down regardless.
        """
        self._closing = True
        self._on_packets()
        if self._grace_timer is None:
            self._grace_timer = HubTimer.started(FLUSH_GRACE, self._shutdown)


def _raw_send_of(sock: Any) -> Any:
    """The non-blocking OS-level ``send`` under a plain gevent socket, else None (TLS, or
    a socket of unknown kind: those are written by the writer greenlet only)."""
    if isinstance(sock, (ssl.SSLSocket, GeventSSLSocket)):
        return None
    raw = getattr(sock, "_sock", None)
    if raw is None or not isinstance(sock, GeventSocket):
        return None
    return getattr(raw, "send", None)


def _no_delay(sock: Any) -> None:
    """Turn Nagle off: every write is a whole batch already, and after the 101 head the
    ``1::`` frame would otherwise wait for the client's delayed ACK (~40 ms)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
