"""The HTTP side of Socket.IO requests, written by hand where gevent's handler would not do.

Every Socket.IO response is written whole, head and body in one write (gevent's
handler writes them separately, and on a kept-alive connection the second write waits for
the client's delayed ACK: ~40 ms per poll). Request bodies are read with a size limit, and
the websocket upgrade is answered here; request headers are read, and refused when unsafe,
by :class:`geventsio.http.headers.RequestHeaders`. :class:`HTTPAnswers` is the base of
``SocketIOHandler``; it knows nothing about sessions.

Every answer written here says ``X-Content-Type-Options: nosniff``, has no body for
``HEAD``, and a ``text/plain`` error body never carries markup from the request
(:func:`safe_text`). A kept-alive connection lets the others take their turn between two
requests, so a client pipelining requests cannot hold the server. The deadlines of a
request's head and body run on timers made once per connection
(:mod:`geventsio.http.deadlines`).
"""

from __future__ import annotations

import logging
import socket
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import gevent
from gevent import pywsgi
from gevent.pywsgi import WSGIHandler

from ..exceptions import ProtocolError
from .deadlines import BodyTimeout, Deadlines, HeadTimeout
from .headers import RequestHeaders
from .heads import (
    NOSNIFF,
    NOT_MODIFIED,
    TEXT,
    head_start,
    http_date,
    refusal,
    safe_text,
    send_whole,
    status_parts,
)
from .upgraded import (
    WS_VERSIONS,
    UpgradedReader,
    accept_key,
    asks_websocket,
    take_over,
    upgrade_head,
)

if TYPE_CHECKING:
    from ..server import SocketIOServer

__all__ = ["HTTPAnswers", "Answered", "HeadersRefused", "http_date", "safe_text", "TEXT",
           "NOSNIFF", "logs_requests"]

log = logging.getLogger("geventsio.http")

#: After a refusal, how long and how much the connection is read on before it closes.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1 << 20
_USUAL_VERSIONS = frozenset(("HTTP/1.1", "HTTP/1.0"))
#: The type of gevent's do-nothing access log (``log=None``); None if gevent has none.
_NO_LOG: Any = getattr(pywsgi, "_NoopLog", None)


def logs_requests(server: Any) -> bool:
    """Whether ``server`` has an access log: False for ``log=None`` (gevent's do-nothing
    log), whose lines need not even be formatted."""
    return _NO_LOG is None or type(server.log) is not _NO_LOG


class HTTPAnswers(WSGIHandler):
    """gevent's WSGI handler plus whole-response writes, bounded bodies and the upgrade."""

    server: "SocketIOServer"

    #: Set by gevent's handler once a response head went out (declared here for mypy).
    headers_sent: bool
    #: The answer's status line as bytes (None until one is written), for the access log.
    status: "bytes | None"
    #: The connection's request deadlines (made by its first request).
    _deadlines: "Deadlines | None" = None
    #: What a late request head raises (made once: it ends the connection).
    _head_late: "HeadTimeout | None" = None
    #: The body of the request being answered when it was read with its head (else None).
    body_in_hand: "bytes | None" = None

    @property
    def deadlines(self) -> Deadlines:
        """This connection's deadlines: one timer per duration, reused by every request."""
        deadlines = self._deadlines
        if deadlines is None:
            deadlines = self._deadlines = Deadlines()
        return deadlines

    def start_head_deadline(self, seconds: float) -> None:
        """From now, the request line and headers must arrive within ``seconds``."""
        late = self._head_late
        if late is None or late.seconds != seconds:
            late = self._head_late = HeadTimeout(seconds)
        self.deadlines.start(seconds, late)

    def _end_head_deadline(self) -> None:
        deadlines = self._deadlines
        if deadlines is not None:
            deadlines.stop()

    def handle(self) -> None:
        """gevent's loop over the connection's requests; the deadlines' timers are let go
        when it ends."""
        try:
            super().handle()
        finally:
            self.release_deadlines()

    def release_deadlines(self) -> None:
        """Close the deadlines' timers: the connection reads no more requests (it ended,
        or it is a websocket or a stream from now on)."""
        deadlines, self._deadlines = self._deadlines, None
        if deadlines is not None:
            deadlines.close()

    def MessageClass(self, fp: Any, *args: Any) -> RequestHeaders:  # noqa: N802 (gevent's)
        """Request headers, read without the email package (see :mod:`geventsio.http.headers`);
        raises HeadersRefused for a block that is too large or could be read two ways."""
        config = self.server.config
        try:
            headers = RequestHeaders.read(fp, config.max_header_bytes, config.max_headers)
        finally:
            self._end_head_deadline()  # the head is in: the application's time starts
        if headers.status:
            raise HeadersRefused(headers.code, headers.status)
        problem = headers.framing_problem(self.request_version)
        if problem:
            raise HeadersRefused(HTTPStatus.BAD_REQUEST, problem)
        return headers

    def handle_one_request(self) -> Any:
        """gevent's, plus a turn for every other connection after each kept-alive request
        (pipelined requests are otherwise served back to back without yielding), and our
        own answer to a request line that is too long. A request whose head did not
        arrive in time ends the connection (logged, nothing answered). The turn is taken
        even when no request is waiting: under load, the next one usually arrives during
        it (benchmarks/FINDINGS.md, issue 14)."""
        try:
            result = super().handle_one_request()
        except HeadTimeout as exc:
            log.info("request head from %s not received within %gs: connection closed",
                     self.client_address, exc.seconds)
            return None
        finally:
            self._end_head_deadline()
        if result is True:
            gevent.sleep(0)
        elif isinstance(result, tuple):
            if result[0] == "414":
                result = ("414", refusal(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long"))
            self._refuse(*result)
            return None
        return result

    def _check_http_version(self) -> bool:
        """gevent's check of the request's version, without parsing the two usual ones."""
        return self.request_version in _USUAL_VERSIONS or super()._check_http_version()

    def log_request(self) -> None:
        """gevent's access-log line, not even formatted for ``log=None`` (which drops it)."""
        if logs_requests(self.server):
            super().log_request()

    def _refuse(self, code: str, answer: bytes) -> None:
        """Send a refusal, then close gently: stop writing and read on for a while, so the
        answer is not lost to a reset while the client is still sending (a browser
        sending a header block that is too large should see its 431)."""
        self.status = code.encode("ascii")
        self._orig_status = code
        self.response_length = len(answer)
        try:
            self.socket.sendall(answer)
            self.socket.shutdown(socket.SHUT_WR)
            drained = 0
            with gevent.Timeout(LINGER_SECONDS, False):
                while drained < LINGER_BYTES:
                    chunk = self.socket.recv(65536)
                    if not chunk:
                        break
                    drained += len(chunk)
        except OSError:
            pass
        self.time_finish = time.time()
        self.log_request()

    def _handle_client_error(self, ex: Exception) -> tuple[str, bytes]:
        """A request gevent could not read (or we refused): log one line, answer 400 or
        431 with the reason, and close (gevent's loop closes after this answer)."""
        if isinstance(ex, HeadersRefused):
            status, message, head = ex.status, ex.message, self.command == "HEAD"
        else:
            status, message, head = HTTPStatus.BAD_REQUEST, str(ex) or type(ex).__name__, False
            if not isinstance(ex, (ValueError, OSError)):
                log.error("unexpected error reading a request", exc_info=ex)
        log.warning("%d %s from %s: %s", status.value, status.phrase, self.client_address,
                    safe_text(message[:200]))
        self.close_connection = True
        return str(status.value), refusal(status, message, head_only=head)

    def _send_error_response_if_possible(self, error_code: int) -> None:
        """gevent's last-resort 400 (a body that broke off mid-chunk) or 500 (an
        exception), in our form: nosniff, no body for HEAD, then close."""
        self.close_connection = True
        if self.response_length or self.headers_sent:
            return
        status = HTTPStatus(error_code)
        answer = refusal(status, status.phrase, head_only=self.command == "HEAD")
        self.status = f"{status.value} {status.phrase}".encode("latin-1")
        self._orig_status = self.status.decode("latin-1")
        self.code = status.value
        self.headers_sent = True
        try:
            self.socket.sendall(answer)
            self.response_length = len(answer)
        except OSError:
            pass

    # -- the wrapped WSGI application: no body for HEAD -------------------------------
    def finalize_headers(self) -> None:
        super().finalize_headers()
        if self.command == "HEAD":
            self.response_use_chunked = False  # no chunks, not even the last one

    def _write(self, data: bytes) -> None:
        if self.command != "HEAD":
            super()._write(data)

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

    def _upgrade(self) -> tuple[UpgradedReader, bytes]:
        """Accept a websocket upgrade: how to read the connection from now on (bytes the
        client sent right after its request included) and the ``101`` head, which goes
        out with the first frames (one write). Raises ProtocolError or Answered for a
        request that is not a valid upgrade."""
        environ = self.environ
        if not asks_websocket(environ):
            raise ProtocolError("expected a websocket upgrade request")
        if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "") not in WS_VERSIONS:
            self._respond(HTTPStatus.UPGRADE_REQUIRED, b"unsupported websocket version",
                          headers=[("Sec-WebSocket-Version", "13")])
            raise Answered()
        head = upgrade_head(accept_key(environ.get("HTTP_SEC_WEBSOCKET_KEY", "")))
        self._note_answer(HTTPStatus.SWITCHING_PROTOCOLS, len(head))
        return take_over(self), head

    def _read_body(self) -> bytes:
        """The request body (at most ``max_body_size`` bytes, else 413)."""
        limit = self.server.config.max_body_size
        length_text = self.headers.get("content-length") or ""  # the environ's CONTENT_LENGTH
        if length_text:
            try:
                length = int(length_text)
            except ValueError:
                raise ProtocolError(f"invalid Content-Length {length_text[:20]!r}") from None
            if length > limit:
                self.close_connection = True
                raise ProtocolError(f"body of {length} bytes exceeds the limit of {limit}",
                                    status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            body = self._read_within(length) if self.body_in_hand is None else self.body_in_hand
        else:
            body = self._read_within(limit + 1)
            if len(body) > limit:
                self.close_connection = True
                raise ProtocolError(f"body exceeds the limit of {limit} bytes",
                                    status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        return body

    def _read_within(self, size: int) -> bytes:
        """Read up to ``size`` body bytes within ``request_body_timeout`` (else 408 and
        the connection closes)."""
        seconds = self.server.config.request_body_timeout
        deadlines = self.deadlines
        deadlines.start(seconds, BodyTimeout())
        try:
            return self.environ["wsgi.input"].read(size)
        except BodyTimeout:
            pass
        finally:
            deadlines.stop()
        self.close_connection = True
        raise ProtocolError(f"request body not received within {seconds:g}s",
                            status=HTTPStatus.REQUEST_TIMEOUT)

    def _respond(self, status: HTTPStatus, body: bytes, *, content_type: str | None = TEXT,
                 headers: "list[tuple[str, str]] | tuple[tuple[str, str], ...] | None" = None,
                 ) -> None:
        """Write a whole response (head and body) with one write (no body for HEAD or
        ``304``, whose Content-Length is left out). ``headers`` given as a tuple (or
        none) are the same every time: such a head is formatted once (``head_start``)."""
        fixed = () if not headers else headers if isinstance(headers, tuple) else None
        if fixed is not None and status is not NOT_MODIFIED:
            start = head_start(status, content_type, fixed, self.close_connection)
            self._send_answer(status, start + f"{len(body)}\r\nDate: {http_date()}\r\n\r\n",
                              b"" if self.command == "HEAD" else body)
            return
        all_headers = [("Content-Type", content_type)] if content_type else []
        if headers:
            all_headers.extend(headers)
        all_headers.append(("Connection", "close" if self.close_connection else "Keep-Alive"))
        if status is NOT_MODIFIED:
            all_headers.append(("Date", http_date()))
            self._write_head(status, all_headers, b"", with_length=False)
            return
        head_only = self.command == "HEAD"
        self._write_head(status, all_headers, b"" if head_only else body, length=len(body))

    def _write_head(self, status: HTTPStatus, headers: list[tuple[str, str]], body: bytes,
                    *, with_length: bool = True, length: int | None = None) -> None:
        """Write the response head and ``body``."""
        text = status_parts(status)[3]
        text += "".join([f"{name}: {value}\r\n" for name, value in headers])
        if with_length:
            text += (f"Content-Length: {len(body) if length is None else length}\r\n"
                     f"Date: {http_date()}\r\n")
        self._send_answer(status, text + "\r\n", body)

    def _send_answer(self, status: HTTPStatus, head_text: str, body: bytes) -> None:
        """Write ``head_text`` and ``body`` with one send, noting the status where gevent's
        request logging and keep-alive logic read it."""
        data = head_text.encode("latin-1") + body
        self._note_answer(status, len(data))
        send_whole(self.socket, data)

    def _note_answer(self, status: HTTPStatus, length: int) -> None:
        """Note an answer's status and length where gevent's request logging and
        keep-alive logic read them back."""
        status_line, status_bytes, code, _ = status_parts(status)
        self.status = status_bytes
        self._orig_status = status_line
        self.code = code
        self.headers_sent = True
        self.response_length = length


class HeadersRefused(ValueError):
    """A request's header block we do not read (gevent answers ValueErrors as client
    errors): ``status`` is 400 or 431, ``message`` says why."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Answered(ProtocolError):
    """The response was already written; nothing more to send."""

    def __init__(self) -> None:
        super().__init__("answered")
