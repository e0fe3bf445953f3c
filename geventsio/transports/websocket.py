"""websocket: one RFC 6455 connection carries a session, one packet per text frame.

The handler's greenlet reads frames (through gevent-websocket) and dispatches them; a
writer greenlet owned by this transport waits on the session's outbox and writes
everything queued at that moment in one ``sendall``. When the connection ends the session
ends too (a websocket client that reconnects handshakes anew).
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

import gevent
from geventwebsocket.exceptions import WebSocketError
from geventwebsocket.websocket import Header, WebSocket

from ..session import SessionState

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["WebSocketTransport", "LimitedWebSocket", "encode_text_frames", "close_frame"]

log = logging.getLogger("geventsio.transports.websocket")

_TEXT = WebSocket.OPCODE_TEXT
_DATA_OPCODES = (WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY)
#: Seconds a closed session's last packets may take to reach a peer before the
#: connection is cut (a peer that reads nothing would otherwise hold it open).
FLUSH_GRACE = 5.0
_CLOSE_TOO_BIG = 1009
_CLOSE_BAD_DATA = 1007


def encode_text_frames(texts: list[str]) -> bytes:
    """Unmasked server text frames for ``texts``, concatenated."""
    parts: list[bytes] = []
    for text in texts:
        data = text.encode("utf-8")
        parts.append(bytes(Header.encode_header(True, _TEXT, b"", len(data), 0)))
        parts.append(data)
    return b"".join(parts)


def close_frame(code: int) -> bytes:
    """An unmasked server close frame carrying status ``code``."""
    return bytes(Header.encode_header(True, WebSocket.OPCODE_CLOSE, b"", 2, 0)) + code.to_bytes(
        2, "big")


class LimitedWebSocket(WebSocket):
    """gevent-websocket's WebSocket that refuses messages larger than ``max_size`` bytes.

    Lengths are checked from frame headers before any payload is read, for one frame and
    for the fragments of one message together, so a client announcing a huge frame costs
    nothing; the connection is closed with 1009.
    """

    __slots__ = ("max_size", "message_size")

    def __init__(self, environ: dict[str, Any], stream: Any, handler: Any, max_size: int) -> None:
        super().__init__(environ, stream, handler)
        self.max_size = max_size
        self.message_size = 0

    def read_message(self) -> str | bytes | None:
        """The next whole message (text as str, binary as bytes); None after a close frame.

        Replaces gevent-websocket's version, which validates UTF-8 twice per message in
        pure Python; ``bytes.decode`` validates it once, in C. Raises UnicodeDecodeError
        for invalid UTF-8 and WebSocketError for frames out of order or of unknown type.
        """
        opcode: int | None = None
        parts: list[bytes] = []
        while True:
            header, payload = self.read_frame()
            frame_opcode = header.opcode
            if frame_opcode in _DATA_OPCODES:
                if opcode is not None:
                    raise WebSocketError("a new message started inside a fragmented one")
                opcode = frame_opcode
            elif frame_opcode == WebSocket.OPCODE_CONTINUATION:
                if opcode is None:
                    raise WebSocketError("a continuation frame with no message to continue")
            elif frame_opcode == WebSocket.OPCODE_PING:
                self.handle_ping(header, payload)
                continue
            elif frame_opcode == WebSocket.OPCODE_PONG:
                continue
            elif frame_opcode == WebSocket.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise WebSocketError(f"unknown frame opcode {frame_opcode}")
            parts.append(payload)
            if header.fin:
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return data.decode("utf-8") if opcode == _TEXT else data

    def read_frame(self) -> tuple[Header, bytes]:
        """Read one frame, refusing an oversize one before reading its payload."""
        header = Header.decode_header(self.stream)
        if header.flags:
            raise WebSocketError("reserved bits set in a frame header")
        if header.opcode in _DATA_OPCODES:  # a new message starts
            self.message_size = 0
        if header.opcode in _DATA_OPCODES or header.opcode == WebSocket.OPCODE_CONTINUATION:
            self.message_size += header.length  # fragments of one message add up
        if self.message_size > self.max_size or header.length > self.max_size:
            raise _FrameTooLarge(max(self.message_size, header.length), self.max_size)
        if not header.length:
            return header, b""
        payload = self.raw_read(header.length)
        if len(payload) != header.length:
            raise WebSocketError("Unexpected EOF reading frame payload")
        if header.mask:
            payload = _unmask(payload, header.mask)
        return header, payload


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
    """Carries one session over one websocket until either side ends."""

    name = "websocket"
    streaming = True

    def __init__(self, session: "Session", ws: LimitedWebSocket, sock: socket.socket) -> None:
        self.session = session
        self.ws = ws
        self.sock = sock
        self._closing = False
        self._writing = False
        self._close_sent = False
        self._grace_timer: Any = None
        self._writer: gevent.Greenlet | None = None

    def run(self) -> None:
        """Serve the session until the connection or the session ends (blocks)."""
        session = self.session
        session.attach(self)
        self._writer = gevent.spawn(self._write_loop)
        try:
            self._read_loop()
        finally:
            self._closing = True
            session.detach(self, final=True)
            session.outbox.wake()
            self._finish_writer()
            self._shutdown()
            if self._grace_timer is not None:
                self._grace_timer.stop()
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
            if message is None:  # close frame
                return
            if not isinstance(message, str):
                log.warning("session %s: binary frame refused (protocol 1 is text)", session.sid)
                continue
            session.receive(message)

    def _write_loop(self) -> None:
        """Write whatever is queued, batched; after the session ends, flush and close."""
        session = self.session
        outbox = session.outbox
        sendall = self.sock.sendall
        while True:
            outbox.wait()
            texts = outbox.take_all()
            if texts:
                self._writing = True
                try:
                    sendall(encode_text_frames(texts))
                except OSError:
                    self._closing = True
                    return
                finally:
                    self._writing = False
            if session.state is SessionState.CLOSED:
                self._send_close(1000)
                self._shutdown()
                return
            if self._closing:
                return

    def _finish_writer(self) -> None:
        writer = self._writer
        if writer is None:
            return
        writer.join(timeout=1.0)
        if not writer.dead:
            writer.kill(block=True, timeout=1.0)

    def _send_close(self, code: int) -> None:
        """Send one close frame carrying ``code`` (gevent-websocket's close() drops it)."""
        if self._close_sent:
            return
        self._close_sent = True
        self.ws.closed = True
        try:
            self.sock.sendall(close_frame(code))
        except OSError:  # the peer may already be gone
            pass

    def _shutdown(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def ready_for_volatile(self) -> bool:
        """True unless the writer is stuck sending to a peer that does not keep up
        (or the connection is ending): a packet queued now goes out at once."""
        return not self._writing and not self._closing

    def replaced(self) -> None:
        """Another transport took the session over: end this connection."""
        self._closing = True
        self.session.outbox.wake()
        self._shutdown()

    def session_closed(self) -> None:
        """The session ended: the writer flushes what is queued (``0::``), then closes.

        A peer that reads nothing can leave the writer blocked for ever, and the reader
        with it; after FLUSH_GRACE seconds the connection is shut down regardless.
        """
        self._closing = True
        self.session.outbox.wake()
        if self._grace_timer is None:
            self._grace_timer = gevent.get_hub().loop.timer(FLUSH_GRACE)
            self._grace_timer.start(self._shutdown)
