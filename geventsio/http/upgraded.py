"""Reading a connection after a websocket upgrade, with nothing held while it is idle.

The request head was read through gevent's buffered ``rfile`` (an 8 KB buffer per
connection). A client may send its first frames right behind the head, so those bytes can
be in that buffer. :func:`take_over` takes them out without waiting, lets the buffered
reader go (and its buffer with it: most websockets sit idle for minutes, and thousands of
8 KB buffers add up), and returns an :class:`UpgradedReader` that hands out those bytes
first and then reads the socket itself. ``socket.recv`` waits for the socket to be
readable before it allocates anything, where a buffered ``read1(n)`` allocates its n-byte
result first and holds it for as long as the connection stays silent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import socket
import ssl
from http import HTTPStatus
from typing import Any, Callable

import gevent.socket

from ..exceptions import ProtocolError
from .heads import status_parts

__all__ = ["UpgradedReader", "accept_key", "reader_of", "take_over", "own_socket", "no_delay",
           "NO_BODY", "WS_VERSIONS", "asks_websocket", "upgrade_head"]

#: RFC 6455's GUID, hashed with the client's key into ``Sec-WebSocket-Accept``.
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answering ``Sec-WebSocket-Key`` ``key``; raises
    ProtocolError unless the key is the base64 of 16 bytes."""
    key = key.strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except (binascii.Error, ValueError):
        raise ProtocolError("invalid Sec-WebSocket-Key") from None
    return base64.b64encode(hashlib.sha1((key + _WS_GUID).encode("ascii")).digest()).decode()


#: The ``Sec-WebSocket-Version`` values accepted (RFC 6455's 13, and the drafts' 8 and 7).
WS_VERSIONS = ("13", "8", "7")


def asks_websocket(environ: dict[str, Any]) -> bool:
    """Whether the request of ``environ`` asks to switch to a websocket (``Upgrade:
    websocket`` and ``Connection: upgrade``, any case, among other tokens)."""
    return ("websocket" in environ.get("HTTP_UPGRADE", "").lower()
            and "upgrade" in environ.get("HTTP_CONNECTION", "").lower())


def upgrade_head(accept: str) -> bytes:
    """The ``101 Switching Protocols`` head accepting a websocket with ``accept`` (see
    :func:`accept_key`), as every upgrade writes it."""
    return (f"{status_parts(HTTPStatus.SWITCHING_PROTOCOLS)[3]}Upgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode("latin-1")


class _NoBody(io.RawIOBase):
    """An empty request body (every read gives b""): what replaces the buffered reader."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return 0

    def close(self) -> None:
        """Nothing: one object serves every session, so an app closing its
        ``environ['wsgi.input']`` must not close it for the others."""


#: Shared by every upgraded connection and every session's copy of its first environ.
NO_BODY = _NoBody()


class UpgradedReader:
    """``read(n)``: up to n bytes of the connection, one system call at most.

    On a plain gevent socket, once a read has emptied the socket (it returned less than
    asked), the next one waits for the socket to be readable before reading: a client
    that sends a message and waits for the answer would otherwise cost a read that
    fails (``EAGAIN``) before every read that succeeds. Other sockets (TLS, whose
    object may hold decrypted bytes the descriptor does not show) use their ``recv``.
    """

    __slots__ = ("_leftover", "_recv", "_wait", "_drained")

    def __init__(self, leftover: bytes, recv: Callable[[int], bytes],
                 wait: Callable[[], None] | None = None) -> None:
        self._leftover = leftover
        self._recv = recv
        #: Blocks until the socket is readable; None: ``recv`` waits by itself.
        self._wait = wait
        self._drained = False

    def take_leftover(self) -> bytes:
        """The bytes that came with the upgrade request and were not read yet (once)."""
        leftover, self._leftover = self._leftover, b""
        return leftover

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; b"" at the end of the stream."""
        leftover = self._leftover
        if leftover:
            self._leftover = b""
            return leftover
        wait = self._wait
        if wait is None:
            return self._recv(size)
        if self._drained:
            wait()
        while True:
            try:
                data = self._recv(size)
            except BlockingIOError:  # woken with nothing to read after all
                wait()
                continue
            self._drained = len(data) < size
            return data


def reader_of(sock: Any, leftover: bytes) -> UpgradedReader:
    """The reader of ``sock``: wait-then-read on a plain gevent socket, else its recv."""
    if type(sock) is not gevent.socket.socket:
        return UpgradedReader(leftover, sock.recv)
    raw_recv = sock._sock.recv  # the OS socket, non-blocking under gevent
    wait, readable = sock._wait, sock._read_event  # gevent's own wait (and its timeout)
    return UpgradedReader(leftover, raw_recv, lambda: wait(readable))


def buffered_bytes(rfile: Any, sock: Any) -> bytes:
    """Whatever ``rfile`` holds now (at most its buffer), without waiting: with the
    socket non-blocking for the call, an empty buffer reads what the socket has ready."""
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return bytes(rfile.read1(65536) or b"")
    except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
        return b""  # nothing ready (TLS says so with its own exception)
    finally:
        sock.settimeout(timeout)


def take_over(handler: Any) -> UpgradedReader:
    """The reader of an upgraded connection; ``handler`` lets its buffered reader go.

    A handler that knows its reader's buffer is empty (``buffered_left == 0``: the
    request was read whole from the buffer, nothing after it) spares the read that would
    otherwise look, which finds the socket empty too (a failed ``recv`` and its exception
    per websocket)."""
    if getattr(handler, "buffered_left", None) == 0:
        leftover = b""
    else:
        leftover = buffered_bytes(handler.rfile, handler.socket)
    rfile, handler.rfile = handler.rfile, NO_BODY
    if rfile is not NO_BODY:
        rfile.close()  # now: it holds a count on the socket (see own_socket)
    wsgi_input = getattr(handler, "wsgi_input", None)
    if wsgi_input is not None:
        wsgi_input.rfile = NO_BODY
    environ = getattr(handler, "environ", None)
    if environ is not None:
        environ["wsgi.input"] = NO_BODY
    handler.__dict__.pop("headers", None)  # the request's headers: read, and in the environ
    return reader_of(handler.socket, leftover)


def own_socket(handler: Any) -> gevent.socket.socket | None:
    """Take a plain gevent socket's connection from ``handler`` (None for others: TLS).

    The handler is left with no socket (pywsgi then reads, shuts and closes nothing more
    on it), so the handler's greenlet can end while the connection goes on, watched by
    the hub: :meth:`geventsio.transports.websocket.WebSocketTransport.watch` takes a hold
    on the socket object that the server's ``close()`` at the end of that greenlet
    respects. :func:`take_over` has closed the request's reader, whose own hold would
    otherwise keep the connection open until the reader is collected.
    """
    sock = handler.socket
    if type(sock) is not gevent.socket.socket:
        return None
    handler.socket = None
    return sock


def no_delay(sock: Any) -> bool:
    """Turn Nagle's algorithm off for ``sock`` (True when done; False for a socket that
    is not TCP). Every write of ours is a whole batch already, and after the ``101``
    head a websocket's ``1::`` would otherwise wait for the client's delayed ACK (~40 ms).
    """
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        return False
    return True
