"""websocket: one RFC 6455 connection carries a session, one packet per text frame.

Reading needs no greenlet while the client is silent: after the upgrade the transport
owns the socket and the hub's read watcher waits on it (:meth:`WebSocketTransport.watch`).
When bytes arrive a worker greenlet (:mod:`geventsio.core.workers`) reads them, feeds them
to the pure frame parser (:mod:`geventsio.protocol.frames`) and dispatches every message
they complete, in order, then gives the socket back to the watcher. Over TLS, whose socket
may hold decrypted bytes the watcher cannot see, the handler's greenlet reads instead.
Writing needs no greenlet while the peer keeps up: the session's outbox calls back when
packets arrive, and a hub callback writes everything queued at that moment with one
non-blocking ``send`` (the replies to a read are written by the worker that handled it,
at its end, and that callback is cancelled); a writer greenlet owned by this transport
exists only while the peer's socket buffer is full. When the connection ends the session
ends too (a websocket client that reconnects handshakes anew).
"""

from __future__ import annotations

import logging
import socket
import ssl
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import gevent
from gevent.socket import socket as GeventSocket
from gevent.ssl import SSLSocket as GeventSSLSocket

from ..core.fairness import TurnTaker
from ..core.session import CLOSED
from ..protocol.frames import (
    SMALL_TEXT_HEADERS,
    Close,
    FrameError,
    FrameParser,
    Message,
    Opcode,
    Ping,
    close_frame,
    encode_frame,
    text_frame_header,
)
from .held import HeldTransport, hold_socket, let_go_socket

if TYPE_CHECKING:
    from ..core.session import Session

__all__ = [
    "WebSocketTransport", "encode_text_frames", "text_frame_header",
    "close_frame",
]

log = logging.getLogger("geventsio.transports.websocket")

#: Bytes asked of the connection per read; every frame they complete is handled.
READ_SIZE = 65536


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


def _readable(transport: "WebSocketTransport") -> None:
    """Hub: the client sent something (or left); a worker takes it from here. The read
    watcher's callback is a plain function, not a bound method: gevent treats the owner
    of a watcher's bound-method callback as a greenlet waiting on the socket, and a
    ``shutdown`` of the socket would try to throw into the transport."""
    transport._watcher.stop()
    transport._workers.submit(transport._serve_ready)


def _frame(text: str) -> bytes:
    last = _last
    if text is last.text:
        return last.frame
    data = text.encode("utf-8")
    size = len(data)  # text_frame_header(), without its call for a 7-bit length
    frame = (SMALL_TEXT_HEADERS[size] if size < 126 else text_frame_header(size)) + data
    last.text, last.frame = text, frame
    return frame


def encode_text_frames(texts: list[str]) -> bytes:
    """Unmasked server text frames for ``texts``, concatenated (one bytes for one send)."""
    if len(texts) == 1:
        return _frame(texts[0])
    return b"".join([_frame(text) for text in texts])


class WebSocketTransport(HeldTransport):
    """Carries one session over one websocket until either side ends.

    Writing costs no greenlet while the peer keeps up: what is queued goes out with one
    non-blocking ``send``, from a hub callback (once per loop iteration) or from the worker
    that handled a read (:meth:`_flush_now`). Only while the socket buffer is full does a
    writer greenlet take over, blocking until the peer reads."""

    name: ClassVar[str] = "websocket"

    __slots__ = ("read", "_raw_send", "_close_sent", "_close_code", "_pong",
                 "_flush_call", "_parser", "_recv", "_watcher", "_workers", "_head")

    def __init__(self, session: "Session", read: Callable[[int], bytes] | None,
                 sock: socket.socket) -> None:
        super().__init__(session, sock)
        #: Reads up to n bytes the connection received (one system call at most), the
        #: bytes buffered after the upgrade request first.
        self.read = read
        #: The OS socket's send (non-blocking) when writing from the hub is safe: a plain
        #: gevent socket, not TLS (whose bytes must go through the SSL object).
        self._raw_send: Any = _raw_send_of(sock)
        self._close_sent = False
        self._close_code = 1000  # what our close frame will say
        self._pong: bytes | None = None  # the pong to write next (only the latest ping's)
        self._flush_call: Any = None  # the hub callback that will flush, while one is due
        self._head = b""  # the 101 head, written with the first frames
        self._parser: FrameParser | None = None  # made by the first bytes read
        # Set by watch(): the OS-level recv, the read watcher, the workers.
        self._recv: Any = None
        self._watcher: Any = None
        self._workers: Any = None

    @classmethod
    def ended_answer(cls, payload: str, index: int, opened: bool) -> bytes:
        """``payload`` (``7:::1+0``) as a text frame, then a normal close frame; the
        handler writes it after the ``101`` (``opened``), as the reference does."""
        return encode_text_frames([payload]) + close_frame(1000)

    def open(self, head: bytes = b"") -> None:
        """Start carrying the session: attach it, listen to its outbox, send ``head``
        (the ``101``) and what the session queued (``1::``) in one write. Raises
        InvalidStateError for an ended session (nothing to undo, nothing written)."""
        session = self.session
        self._head = head
        session.attach(self)
        session.outbox.listen(self._on_packets)
        self._on_packets()  # "1::" was queued before anyone listened

    def serve(self) -> None:
        """Serve the opened session in this greenlet until the connection or the session
        ends (blocks): the way for sockets a hub watcher cannot read (TLS)."""
        try:
            self._read_loop()
        finally:
            self._end()

    def watch(self, sock: GeventSocket, leftover: bytes) -> None:
        """Serve the opened session from the hub from now on, and return at once.

        ``sock`` is the connection, now owned by this transport (which holds it and
        lets go at the end: :func:`~geventsio.transports.held.hold_socket`); ``leftover``
        what the client sent right behind its upgrade request. While the client is
        silent nothing but a read watcher waits; when bytes arrive a worker greenlet of
        the manager's :class:`~geventsio.core.workers.Workers` reads them, handles every
        message they complete, and gives the connection back to the watcher (or ends
        the transport).
        """
        hold_socket(sock)
        self.sock = sock
        self._raw_send = _raw_send_of(sock)
        self._recv = sock._sock.recv  # the OS socket, non-blocking under gevent
        self._watcher = sock._read_event  # gevent's read watcher of that socket
        self._workers = self.session.manager.workers
        if leftover:
            self._workers.submit(lambda: self._serve_bytes(leftover))
        else:
            self._watcher.start(_readable, self)

    def _serve_ready(self) -> None:
        """Worker: read once, handle what it completes, then wait again or end."""
        try:
            data = self._recv(READ_SIZE)
        except BlockingIOError:  # woken with nothing to read after all
            self._watcher.start(_readable, self)
            return
        except OSError as exc:
            log.debug("session %s: websocket ended: %r", self.session.sid, exc)
            data = b""
        self._serve_bytes(data)

    def _serve_bytes(self, data: bytes) -> None:
        """Worker: handle the frames ``data`` completes; wait for more, or end (EOF,
        a close frame, bad frames, or the session ended meanwhile)."""
        if not data:
            # The peer has gone (or we shut the connection): no one reads a close frame
            # or anything else now, so nothing more is written.
            self._close_sent = True
            self._end()
            return
        ok = self._feed(data)
        call = self._flush_call
        if call is not None:  # the replies go out now, not from a hub callback later:
            call.stop()  # _flush_now(), without its call
            self._flush()
        if ok and self.session.state is not CLOSED:
            self._watcher.start(_readable, self)
        else:
            self._end()

    def _end(self) -> None:
        """The connection or the session ended: detach, write what is left (the ``0::``
        of a kick, the close frame), shut the connection, end the writer."""
        session = self.session
        self._closing = True
        session.detach(self, final=True)
        if self._writer is None:
            self._flush_now()  # before the shutdown below: e.g. the 0:: of a kick
        session.outbox.listen(None)
        if self._watcher is None:  # served by the handler's greenlet, which closes it
            self._release()
        elif self._writer is None:
            # Watched: the connection is ours to close. Let go first: when that closes
            # it (the server closed it already, the usual case), there is nothing to
            # shut down before (one system call less per websocket).
            if let_go_socket(self.sock):
                self._shut = True
            self._release()
        else:
            self._release()  # the writer finishes (or is killed) first
            let_go_socket(self.sock)

    def _read_loop(self) -> None:
        """Read, parse every frame a read completes, handle them in order; return when
        the peer closes (its close frame, EOF or an error) or the session ends."""
        session = self.session
        turns = TurnTaker()  # a flood of buffered frames must not hold the hub
        read = self.read
        assert read is not None, "run() needs the connection's reader"
        while session.state is not CLOSED:
            try:
                data = read(READ_SIZE)
            except OSError as exc:
                log.debug("session %s: websocket ended: %r", session.sid, exc)
                return
            if not data:
                return
            turns.tick()
            if not self._feed(data, turns):
                return

    def _feed(self, data: bytes, turns: TurnTaker | None = None) -> bool:
        """Parse ``data`` and handle every event it completes, in order; False when the
        connection is to end (a close frame, or bytes that are not valid frames).

        Handling several takes turns with the other connections (``turns``, else one of
        its own). A read that completes one event, the usual case, needs none: this
        connection's next read comes through the hub's watcher anyway.
        """
        parser = self._parser
        if parser is None:  # made by the first bytes: an idle connection holds none
            parser = self._parser = FrameParser(self.session.config.max_body_size)
        try:
            events = parser.feed(data)
        except FrameError as exc:
            self.session.client_log(logging.WARNING, "bad_frame", "%s; closing with %d",
                                    exc.message, exc.close_code)
            self._close_code = exc.close_code
            return False
        if len(events) == 1 and turns is None:
            event = events[0]
            if type(event) is Message and type(event.data) is str:  # _handle's usual case
                self.session.receive(event.data)
                return True
            return self._handle(event)
        if turns is None:
            turns = TurnTaker()
        for event in events:
            if not self._handle(event):
                return False
            turns.tick()
        return True

    def _handle(self, event: object) -> bool:
        """Act on one parsed event; False when the connection is to end (a close)."""
        kind = type(event)
        if kind is Message:
            data = event.data  # type: ignore[attr-defined]
            if isinstance(data, str):
                self.session.receive(data)
            else:
                self.session.client_log(logging.WARNING, "binary_frame",
                                        "binary frame refused (protocol 1 is text)")
        elif kind is Ping:
            self._queue_pong(event.payload)  # type: ignore[attr-defined]
        elif kind is Close:
            code = event.code  # type: ignore[attr-defined]
            self._close_code = 1000 if code == 1005 else code  # ours echoes its code
            return False
        return True

    # -- writing -------------------------------------------------------------------------
    def _on_packets(self) -> None:
        """The outbox got packets (or a wake-up): flush at the end of this loop iteration."""
        if self._flush_call is not None or self._writer is not None:
            return  # already coming, or the writer greenlet drains the outbox itself
        self._flush_call = gevent.get_hub().loop.run_callback(self._flush)

    def _flush_now(self) -> None:
        """Flush here and now instead of in the hub callback due (which is cancelled).

        A worker does this (inline) once it has handled what one read completed, so the
        replies to a read go out with one ``send`` before the next connection's turn.
        Should a handler block, the hub gets control meanwhile and its callback writes
        what was queued until then."""
        call = self._flush_call
        if call is not None:
            call.stop()
        self._flush()

    def _flush(self) -> None:
        """Write what is queued without blocking (a hub callback, or :meth:`_flush_now`);
        hand any rest to a writer greenlet."""
        self._flush_call = None
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
            self._spawn_writer(self._write_loop, data[sent:])
        elif self._close_sent:
            self._shutdown()

    def _queue_pong(self, payload: bytes) -> None:
        """Answer a ping: the pong goes out with the next write, between whole frames.

        Only the latest ping is answered if several arrive before a write (RFC 6455
        5.5.3 allows it), so a client that pings without reading grows nothing.
        """
        self._pong = encode_frame(Opcode.PONG, payload)
        self._on_packets()

    def _pending_bytes(self) -> bytes:
        """The pending pong, frames for everything queued, and the close frame once the
        session has ended: every write of this connection is made of whole frames."""
        texts = self.session.outbox.take_all()  # one: _frame() without encode_text_frames()
        data = _frame(texts[0]) if len(texts) == 1 else encode_text_frames(texts)
        pong, self._pong = self._pong, None
        if pong is not None:
            data = pong + data
        if self._head:
            data, self._head = self._head + data, b""
        if self.session.state is CLOSED and not self._close_sent:
            self._close_sent = True
            data += close_frame(self._close_code)
        return data

    def _wake_writer(self) -> None:
        """Have what is queued, and the close frame once the session ended, written."""
        self._on_packets()

    def _write_loop(self, data: bytes) -> None:
        """Writer greenlet: send ``data`` (blocking), then whatever is queued, until empty."""
        try:
            while data and self._send(data):
                if self._close_sent:
                    self._shutdown()
                    return
                data = self._pending_bytes()
        finally:
            self._writer = None

    def ready_for_volatile(self) -> bool:
        """True unless the peer does not keep up (a writer greenlet exists only while the
        socket buffer is full) or the connection is ending: a packet queued now goes out
        at once."""
        return self._writer is None and not self._closing


def _raw_send_of(sock: Any) -> Any:
    """The non-blocking OS-level ``send`` under a plain gevent socket, else None (TLS, or
    a socket of unknown kind: those are written by the writer greenlet only)."""
    if isinstance(sock, (ssl.SSLSocket, GeventSSLSocket)):
        return None
    raw = getattr(sock, "_sock", None)
    if raw is None or not isinstance(sock, GeventSocket):
        return None
    return getattr(raw, "send", None)

