"""The HTTP side of Socket.IO requests, written by hand where gevent's handler would not do.

Every Socket.IO response is written whole, head and body in one ``sendall`` (gevent's
handler writes them separately, and on a kept-alive connection the second write waits for
the client's delayed ACK: ~40 ms per poll). Request bodies are read with a size limit, and
the websocket upgrade is answered here; request headers are read by
:class:`geventsio.headers.RequestHeaders`. :class:`HTTPAnswers` is the base of
``SocketIOHandler``; it knows nothing about sessions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import socket
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from gevent.pywsgi import WSGIHandler, format_date_time
from geventwebsocket.websocket import Stream

from .exceptions import ProtocolError
from .headers import RequestHeaders
from .transports.websocket import LimitedWebSocket

if TYPE_CHECKING:
    from .server import SocketIOServer

__all__ = ["HTTPAnswers", "Answered", "http_date", "TEXT"]

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_WS_VERSIONS = ("13", "8", "7")
TEXT = "text/plain; charset=UTF-8"


class HTTPAnswers(WSGIHandler):
    """gevent's WSGI handler plus whole-response writes, bounded bodies and the upgrade."""

    server: "SocketIOServer"

    def MessageClass(self, fp: Any, *args: Any) -> RequestHeaders:  # noqa: N802 (gevent's)
        """Request headers, read without the email package (see :mod:`geventsio.headers`)."""
        return RequestHeaders.read(fp)

    def _stop_reading(self) -> None:
        """Refuse the rest of an oversize body: gevent would otherwise read it all to
        keep the connection in step, and the connection closes anyway."""
        try:
            self.socket.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    def _require_method(self, *allowed: str) -> str:
        method = self.command
        if method not in allowed:
            raise ProtocolError(f"method {method} not allowed here; use {' or '.join(allowed)}",
                                status=HTTPStatus.METHOD_NOT_ALLOWED)
        return method

    def _upgrade(self) -> LimitedWebSocket:
        environ = self.environ
        if "websocket" not in environ.get("HTTP_UPGRADE", "").lower() or \
                "upgrade" not in environ.get("HTTP_CONNECTION", "").lower():
            raise ProtocolError("expected a websocket upgrade request")
        version = environ.get("HTTP_SEC_WEBSOCKET_VERSION", "")
        if version not in _WS_VERSIONS:
            self._respond(HTTPStatus.UPGRADE_REQUIRED, b"unsupported websocket version",
                          headers=[("Sec-WebSocket-Version", "13")])
            raise Answered()
        key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError(key)
        except (binascii.Error, ValueError):
            raise ProtocolError("invalid Sec-WebSocket-Key") from None
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode("ascii")).digest())
        self._write_head(HTTPStatus.SWITCHING_PROTOCOLS, [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept.decode("ascii")),
        ], b"", with_length=False)
        return LimitedWebSocket(environ, Stream(self), self, self.server.config.max_body_size)

    def _read_body(self) -> bytes:
        """The request body (at most ``max_body_size`` bytes, else 413)."""
        limit = self.server.config.max_body_size
        length_text = self.environ.get("CONTENT_LENGTH") or ""
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                raise ProtocolError(f"invalid Content-Length {length_text[:20]!r}") from None
            if length > limit:
                self.close_connection = True
                raise ProtocolError(f"body of {length} bytes exceeds the limit of {limit}",
                                    status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            body = self.environ["wsgi.input"].read(length)
        else:
            body = self.environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                self.close_connection = True
                raise ProtocolError(f"body exceeds the limit of {limit} bytes",
                                    status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        return body

    def _respond(self, status: HTTPStatus, body: bytes, *, content_type: str | None = TEXT,
                 headers: list[tuple[str, str]] | None = None, head_only: bool = False) -> None:
        """Write a whole response (head and body) with one sendall (no body for HEAD or
        ``304``, whose Content-Length is left out)."""
        all_headers = [("Content-Type", content_type)] if content_type else []
        if headers:
            all_headers.extend(headers)
        all_headers.append(("Connection", "close" if self.close_connection else "Keep-Alive"))
        if status is HTTPStatus.NOT_MODIFIED:
            all_headers.append(("Date", http_date()))
            self._write_head(status, all_headers, b"", with_length=False)
            return
        self._write_head(status, all_headers, b"" if head_only else body, length=len(body))

    def _write_head(self, status: HTTPStatus, headers: list[tuple[str, str]], body: bytes,
                    *, with_length: bool = True, length: int | None = None) -> None:
        status_line = f"{status.value} {status.phrase}"
        lines = [f"HTTP/1.1 {status_line}"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if with_length:
            lines.append(f"Content-Length: {len(body) if length is None else length}")
            lines.append(f"Date: {http_date()}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # What gevent's request logging and keep-alive logic read back:
        self.status = status_line.encode("latin-1")
        self._orig_status = status_line
        self.code = status.value
        self.headers_sent = True
        self.response_length = len(head) + len(body)
        self.socket.sendall(head + body)



class Answered(ProtocolError):
    """The response was already written; nothing more to send."""

    def __init__(self) -> None:
        super().__init__("answered")

_date_cache: list[Any] = [0, ""]  # [whole second, its HTTP date]


def http_date() -> str:
    """The current time as an HTTP date, formatted once per second (every response and
    handshake asks for it)."""
    now = int(time.time())
    if _date_cache[0] != now:
        value = format_date_time(now)
        _date_cache[1] = value.decode("latin-1") if isinstance(value, bytes) else value
        _date_cache[0] = now
    return _date_cache[1]
