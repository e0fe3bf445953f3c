"""One connection's requests: waiting for the next, then reading it the short or gevent's way.

:class:`RequestLoop` is the part of ``SocketIOHandler`` that runs between two requests of
a kept-alive connection:

* it waits for the next request's first byte within ``request_head_timeout`` (the first
  request) or ``keepalive_timeout`` (a later one), and closes an idle connection quietly;
* it answers a Flash policy request sent as a connection's first bytes, before any HTTP;
* a request that is already whole in the read buffer and plain
  (:func:`geventsio.http.lean.buffered_request`) is taken in one step and answered
  without gevent's ``read_request``/``handle_one_response``;
* any other request is read gevent's way, its line and headers within
  ``request_head_timeout`` from its first byte, which is where malformed, oversize,
  late or ambiguous requests are refused.

Both ways set the same handler state (``command``, ``path``, ``headers``,
``close_connection``, the environ...), answer exceptions the same way (a 500, a closed
connection for a reset peer) and let the other connections take a turn after each
kept-alive request.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any
from urllib.parse import unquote

import gevent

from .deadlines import peek_within
from .flashpolicy import POLICY_REQUEST, REQUEST_TIMEOUT, policy_document, read_policy_request
from .handshake import environ_headers
from .lean import BufferedRequest, buffered_request
from .request import add_http_headers, socketio_environ
from .responses import HTTPAnswers

__all__ = ["RequestLoop"]

log = logging.getLogger("geventsio.handler")


class RequestLoop(HTTPAnswers):
    """Waits for each request of a connection and reads it, the short way when it can."""

    #: Whether the connection's first bytes were looked at for a Flash policy request.
    _first_line_read = False
    #: Whether the next request's first byte is already in (read_requestline's wait done).
    _awaited = False
    #: The request's WSGI environ once built (gevent's way builds it for every request;
    #: the short way when first asked, see :attr:`environ`).
    _environ: "dict[str, Any] | None" = None
    #: The connection's last request read the short way (its headers may serve the next).
    _last_read: "BufferedRequest | None" = None
    #: Bytes left in the read buffer after the request read the short way (None when the
    #: request was read gevent's way: not known). An upgrade reads no more when it is 0.
    buffered_left: "int | None" = None

    @property
    def environ(self) -> dict[str, Any]:
        """The request's WSGI environ. A request read the short way gets it built when
        first asked: binding a session, a handshake or an upgrade ask, while a polling
        request of a bound session reads what it needs from the headers instead."""
        environ = self._environ
        if environ is None:
            environ = self._environ = socketio_environ(self, self.body_in_hand or b"")
        return environ

    @environ.setter
    def environ(self, environ: dict[str, Any]) -> None:
        self._environ = environ

    # What the handler reads of a request: from the environ when there is one (gevent's
    # way, and subclasses' additions, as they were), else derived without building it.
    def header(self, lowered: str) -> str | None:
        """The environ's value of request header ``lowered`` (lower case, no ``_``):
        see :meth:`RequestHeaders.joined`."""
        environ = self._environ
        if environ is not None:
            found: str | None = environ.get("HTTP_" + lowered.replace("-", "_").upper())
            return found
        value: str | None = self.headers.joined(lowered)
        return value

    def path_info(self) -> str:
        """The environ's ``PATH_INFO``: the path before ``?``, %-escapes decoded."""
        environ = self._environ
        if environ is not None:
            return str(environ.get("PATH_INFO", ""))
        path = self.path.partition("?")[0]
        return unquote(path, encoding="latin-1") if "%" in path else path

    def query_string(self) -> str:
        """The environ's ``QUERY_STRING``: what follows the first ``?``."""
        environ = self._environ
        if environ is not None:
            return str(environ.get("QUERY_STRING", ""))
        return self.path.partition("?")[2]

    def http_headers(self) -> dict[str, str]:
        """The environ's ``HTTP_*`` entries by lower-case header name (``user-agent``)."""
        environ = self._environ
        if environ is None:
            found = self.headers.environ_names()  # read from the headers when it can be
            if found is not None:
                return found
            environ = {}  # the environ's HTTP_* keys alone
            add_http_headers(environ, self.headers.lines)
        return environ_headers(environ)

    def secure(self) -> bool:
        """Whether the environ's ``wsgi.url_scheme`` is ``https`` (the server's, unless
        the environ was built and says otherwise)."""
        environ = self._environ
        if environ is None:
            environ = self.server.environ  # what the environ would be built from
        return bool(environ.get("wsgi.url_scheme") == "https")

    def short_way(self) -> bool:
        """Whether requests may be read the short way (subclasses that build their own
        environ, such as gunicorn's handler, say no)."""
        return False

    def handle_one_request(self) -> Any:
        """Wait for the next request and answer it: True to go on, None to close."""
        if self.rfile.closed or not self._await_request():
            return None
        request = self._buffered_request()
        if request is None:
            self._awaited = True
            return super().handle_one_request()
        return self._answer_buffered(request)

    def read_requestline(self) -> str:
        """The request line, read gevent's way once its first byte is in (``''`` when
        none came, which ends the connection); from that byte on, the line and headers
        must arrive within ``request_head_timeout``."""
        if self._awaited:
            self._awaited = False
        elif not self._await_request():
            return ""
        self.start_head_deadline(self.server.config.request_head_timeout)
        line: str = super().read_requestline()
        return line

    def _await_request(self) -> bool:
        """Wait for the next request's first byte; False when none came in time, the peer
        closed, or the bytes were a Flash policy request (answered here)."""
        first = not self._first_line_read
        self._first_line_read = True
        config = self.server.config
        seconds = config.request_head_timeout if first else config.keepalive_timeout
        first_byte = peek_within(self.rfile, self.deadlines, seconds)
        if not first_byte:
            log.debug("connection from %s idle for %gs or closed", self.client_address,
                      seconds)
            return False
        if first and first_byte == POLICY_REQUEST[:1]:
            self._answer_policy_request()
            return False
        return True

    def _answer_policy_request(self) -> None:
        """Read ``<policy-file-request/>\\0`` and answer the policy (or 400 for other
        bytes that are not HTTP either)."""
        with gevent.Timeout(REQUEST_TIMEOUT, False):
            if read_policy_request(self.rfile.read1):
                self.socket.sendall(policy_document(self.server.config.allowed_origins))
                return
        log.warning("neither HTTP nor a Flash policy request from %s", self.client_address)
        self.socket.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                            b"X-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n\r\n")

    # -- the short way -----------------------------------------------------------------
    def _buffered_request(self) -> BufferedRequest | None:
        """The next request, if it can be read the short way from what is buffered."""
        self.buffered_left = None
        if not self.short_way():
            return None
        config = self.server.config
        buffered = self.rfile.peek(config.max_header_bytes)  # the buffer, no system call
        request = buffered_request(buffered, f"/{config.resource}/", config.max_header_bytes,
                                   config.max_headers, config.max_body_size, self._last_read)
        if request is not None:
            self.buffered_left = len(buffered) - request.size
        return request

    def _answer_buffered(self, request: BufferedRequest) -> Any:
        """Take ``request`` from the buffer and answer it (as gevent's
        ``handle_one_request`` would after reading it): True to go on, None to close."""
        self.rfile.read(request.size)
        self._last_read = request
        self.requestline = request.requestline
        self.command, self.path = request.command, request.path
        self.request_version = request.version
        self.headers = request.headers
        self.content_length = request.content_length
        self.close_connection = request.close
        self.response_length = 0
        self.body_in_hand = request.body
        self._environ = None  # built if asked for (environ)
        try:
            self.application = self.server.application
            self._run_answer()
        finally:
            self.body_in_hand = None
            request.body = b""  # kept for its headers (_last_read), not its body
        if self.close_connection or self.rfile.closed:
            return None
        gevent.sleep(0)  # the others' turn, as after any kept-alive request
        return True

    def _run_answer(self) -> None:
        """Run the application for the request read the short way: a reset peer closes
        the connection, any other exception is logged and answered 500 (gevent's
        ``handle_one_response``, whose body discarding has nothing to do here)."""
        self.time_start = time.time()
        self.status = None
        self.headers_sent = False
        self.result = None
        self.response_use_chunked = False
        self.connection_upgraded = False
        try:
            self.run_application()
        except OSError as exc:
            if exc.args and exc.args[0] in self.ignored_socket_errors:
                self.close_connection = True
            else:
                self.handle_error(*sys.exc_info())
        except:  # noqa: E722 (as gevent's: whatever the application raised gets a 500)
            self.handle_error(*sys.exc_info())
        finally:
            self.time_finish = time.time()
            self.log_request()
