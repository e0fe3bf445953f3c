"""``SocketIOHandler``: gevent's WSGI handler, taught to answer Socket.IO requests.

Requests under ``/<resource>/`` are answered here (handshake, transports, the client
files, CORS preflights; origins checked first); everything else goes to the wrapped WSGI
application through gevent's own ``run_application``. Waiting for each request, the Flash
policy request and the short way for requests that arrived whole are in
:mod:`geventsio.http.connection`.
How responses are written (whole, in one write) is in :mod:`geventsio.http.responses`,
the handshake data in :mod:`geventsio.http.handshake`, and how a session is bound to the
application in :mod:`geventsio.http.binding`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..core.session import CLOSED, HANDSHAKEN, Session
from ..exceptions import ErrorAdvice, ErrorReason, InvalidStateError, ProtocolError
from ..protocol import (
    ErrorPacket,
    TargetKind,
    encode_packet,
    format_handshake,
    jsonp_handshake_body,
    parse_jsonp_index,
    parse_query,
)
from ..transports import POLLING, STREAMING, TRANSPORTS, UPGRADES
from ..transports.base import HTTPSide, PollingSide, RequestSide, StreamingSide, UpgradeSide
from ..transports.websocket import WebSocketTransport
from .binding import bind_session, end_opened, open_upgraded
from .connection import RequestLoop
from .cors import check_origin, cors_headers, preflight_headers
from .handshake import authorized, handshake_data
from .heads import NOT_MODIFIED, OK
from .relay import serve_elsewhere
from .request import socketio_environ, target_of
from .responses import Answered, http_date, safe_text
from .static import ClientFiles, etag_matches
from .upgraded import own_socket

if TYPE_CHECKING:
    from ..server import SocketIOServer

__all__ = ["SocketIOHandler"]

log = logging.getLogger("geventsio.handler")

NOT_HANDSHAKEN = encode_packet(
    ErrorPacket(ErrorReason.CLIENT_NOT_HANDSHAKEN, ErrorAdvice.RECONNECT))


#: The target kinds as module globals: read on every request, ~10x faster than through
#: the enum class.
_HANDSHAKE = TargetKind.HANDSHAKE
_OUTSIDE = TargetKind.OUTSIDE
_ROOT = TargetKind.ROOT
_STATIC = TargetKind.STATIC
_TRANSPORT = TargetKind.TRANSPORT
_UNSUPPORTED_PROTOCOL = TargetKind.UNSUPPORTED_PROTOCOL


class SocketIOHandler(RequestLoop):
    """Routes one HTTP connection's requests: Socket.IO ones here, the rest to the app."""

    server: "SocketIOServer"

    def short_way(self) -> bool:
        """Socket.IO requests that arrived whole are read in one step
        (:mod:`geventsio.http.connection`), in this class; subclasses such as
        gunicorn's, which add environ keys of their own, read every request gevent's way."""
        return type(self) is SocketIOHandler

    def get_environ(self) -> dict[str, Any]:
        """The request's WSGI environ: built from the indexed headers for Socket.IO
        requests (the same dict, faster: :mod:`geventsio.http.request`), by gevent for
        the application's requests and in subclasses (gunicorn's adds its own keys)."""
        if type(self) is SocketIOHandler and self.path.startswith(
                f"/{self.server.config.resource}/"):
            return socketio_environ(self)
        result: dict[str, Any] = super().get_environ()
        return result

    def run_application(self) -> None:
        """Answer a Socket.IO request, or hand any other request to the WSGI app."""
        config = self.server.config
        path = self.path_info()
        if path == config.metrics_path and self.server.metrics is not None:
            self._metrics()
            return
        target = target_of(path, config.resource)
        if target.kind is _OUTSIDE:
            super().run_application()
            return
        if self.server.closed:
            # A kept-alive connection outliving stop(): a reconnecting client must not
            # get a new session from a server that is going away. Only requests of live
            # sessions (draining what was queued for them) and the goodbye of
            # stop(goodbye=True) to a client that was between polls are still served.
            self.close_connection = True
            manager = self.server.manager
            if not (target.kind is _TRANSPORT and (
                    target.sid in manager.sessions
                    or self.command == "GET" and target.sid in manager.farewells)):
                self._respond(HTTPStatus.SERVICE_UNAVAILABLE, b"server shutting down")
                return
        try:
            self._serve(target)
        except Answered:
            pass
        except ProtocolError as exc:
            self.server.manager.counters.protocol_errors += 1
            message = safe_text(exc.message)
            log.warning("%s %s from %s: %s", self.command, safe_text(self.path[:200]),
                        self.client_address, message)
            if not self.headers_sent:
                self._respond(exc.status, message.encode("ascii"))
            if exc.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
                self._stop_reading()

    def _metrics(self) -> None:
        """The Prometheus page (``metrics_path``): GET or HEAD only."""
        try:
            self._require_method("GET", "HEAD")
        except ProtocolError as exc:
            self._respond(exc.status, safe_text(exc.message).encode("ascii"))
            return
        page = self.server.metrics
        assert page is not None
        self._respond(OK, page.render(), content_type=page.content_type)

    # -- routing -----------------------------------------------------------------------
    def _serve(self, target: Any) -> None:
        kind = target.kind
        if kind in (_HANDSHAKE, _TRANSPORT):
            if self.command == "OPTIONS":
                self._preflight()
                return
            if not self.server.config.allowed_origins.allows_all:
                self._check_origin(handshake=kind is _HANDSHAKE)
        if kind is _HANDSHAKE:
            self._handshake()
        elif kind is _TRANSPORT:
            self._transport(target.transport, target.sid)
        elif kind is _ROOT:
            self._respond(OK, b"Welcome to socket.io.")
        elif kind is _STATIC:
            self._static(target.static_name)
        elif kind is _UNSUPPORTED_PROTOCOL:
            raise ProtocolError("Protocol version not supported.")
        else:
            raise ProtocolError(f"not a Socket.IO request path: {self.path[:200]}",
                                status=HTTPStatus.NOT_FOUND)

    # -- origins -----------------------------------------------------------------------
    def _check_origin(self, handshake: bool) -> None:
        """Refuse (403) a request from an origin the ``origins`` option does not allow
        (asked only when the option does not allow every origin)."""
        allowed = self.server.config.allowed_origins
        try:
            check_origin(allowed, self.header("origin") or self.header("referer"), handshake)
        except ProtocolError:
            if handshake:
                self.server.manager.counters.handshakes_refused += 1
            raise

    def _preflight(self) -> None:
        """Answer an ``OPTIONS`` request (a CORS preflight) for Socket.IO URLs."""
        headers = preflight_headers(self.server.config.allowed_origins, self.environ)
        self._respond(OK, b"", content_type=None, headers=headers)

    # -- handshake ---------------------------------------------------------------------
    def _handshake(self) -> None:
        self._require_method("GET", "POST")
        config = self.server.config
        query_text = self.query_string()
        query = parse_query(query_text)
        jsonp = parse_jsonp_index(query["jsonp"]) if "jsonp" in query else None
        url = self.path_info()
        if query_text:
            url += "?" + query_text
        handshake = handshake_data(self.http_headers(), self.client_address, query, url,
                                   self.secure())
        authorization = config.authorization
        if authorization is not None and not authorized(authorization, handshake):
            log.info("handshake from %s refused by authorization", self.client_address)
            self.server.manager.counters.handshakes_refused += 1
            self._respond(HTTPStatus.FORBIDDEN, b"handshake unauthorized",
                          headers=self._cors_headers())
            return
        sid = self.server.manager.handshake(handshake)
        body = format_handshake(sid, config.heartbeat_timeout,
                                config.close_timeout, config.transports)
        if jsonp is None:
            self._respond(OK, body.encode("utf-8"), headers=self._cors_headers())
        else:
            self._respond(OK, jsonp_handshake_body(jsonp, body).encode("utf-8"),
                          content_type="application/javascript")

    # -- transports --------------------------------------------------------------------
    def _transport(self, name: str, sid: str) -> None:
        config = self.server.config
        if name == "":
            self._disconnect_sync(sid)
            return
        if name not in config.transports or name not in TRANSPORTS:
            raise ProtocolError(f"transport not supported: {name}",
                                reason=ErrorReason.TRANSPORT_NOT_SUPPORTED)
        session = self.server.manager.get(sid)
        if session is None and self.server.manager.cluster is not None:
            session = self.server.manager.cluster.claim(sid)  # its first request: ours
            if session is None and name not in UPGRADES and serve_elsewhere(self, name, sid):
                return
        if name in UPGRADES:
            self._websocket(session, UPGRADES[name])
            return
        cls: type[RequestSide] = POLLING.get(name) or STREAMING[name]
        method = self._require_method("GET", "POST")
        query = parse_query(self.query_string())
        index = cls.parse_index(query)
        if session is None or session.state is CLOSED:
            self._answer_unknown(cls, sid, index)
            return
        # A websocket (or flashsocket) carries it: no HTTP request may poll, post or end it.
        if isinstance(session.transport, WebSocketTransport):
            log.warning("%s %s for session %s, which a websocket holds, from %s: refused",
                        method, name, sid, self.client_address)
            self._answer_unknown(cls, "", index)
            return
        if "disconnect" in query:
            self._end_on_request(session)
            return
        if session.state is HANDSHAKEN:
            self._bind(session)
        if method == "POST":
            self._receive_post(session, cls)
        elif name in STREAMING:
            self._stream(session, STREAMING[name])
        else:
            self._poll(session, POLLING[name], index)

    def _disconnect_sync(self, sid: str) -> None:
        """``GET /<resource>/1//<sid>/?disconnect=1``: the client leaving (page unload)."""
        self._require_method("GET", "POST")
        if "disconnect" not in parse_query(self.query_string()):
            raise ProtocolError("a path without a transport only serves ?disconnect",
                                status=HTTPStatus.NOT_FOUND)
        manager = self.server.manager
        if manager.cluster is not None and manager.get(sid) is None:
            manager.disconnect(sid, "", notify=True)  # its owner ends it
        self._end_on_request(manager.get(sid))

    def _end_on_request(self, session: Session | None) -> None:
        """``?disconnect``: end the session (a pending poll gets ``0::``), answer empty."""
        if session is not None:
            session.close("client disconnect", notify=True)
        self._respond(OK, b"", content_type=None, headers=self._cors_headers())

    def _receive_post(self, session: Session, cls: type[RequestSide]) -> None:
        """A POST of any HTTP transport: dispatch its payload, answer ``1``."""
        payload = cls.decode_post(self._read_body())
        session.open()
        session.receive_payload(payload)
        headers = self._cors_headers()
        if headers:
            headers.append(("X-XSS-Protection", "0"))
        self._respond(OK, b"1", headers=headers)

    def _poll(self, session: Session, cls: type[PollingSide], index: int) -> None:
        """A long-poll GET (xhr-polling, jsonp-polling)."""
        try:
            payload = cls(session).poll(self.server.config.polling_duration)
        except InvalidStateError:  # the session ended while the app was binding it
            self._answer_ended(cls, NOT_HANDSHAKEN, index)
            return
        cors = self._cors_headers()
        self._respond(OK, cls.render(payload, index).encode("utf-8"),
                      content_type=cls.content_type,
                      headers=cors + list(cls.answer_headers) if cors else cls.answer_headers)

    def _stream(self, session: Session, cls: type[StreamingSide]) -> None:
        """A streaming GET (htmlfile, xhr-multipart): the response stays open."""
        self.close_connection = True
        self.release_deadlines()  # no more requests on this connection
        headers = [("Content-Type", cls.content_type), *self._cors_headers(),
                   ("Connection", "close"), ("Transfer-Encoding", "chunked"),
                   ("Cache-Control", "no-store"), ("Date", http_date())]
        self._write_head(OK, headers, cls.first_bytes(), with_length=False)
        transport = cls(session, self.socket)
        try:
            transport.run()
        except InvalidStateError:  # the session ended while the app was binding it
            self._end_opened(cls, NOT_HANDSHAKEN)

    def _answer_unknown(self, cls: type[RequestSide], sid: str, index: int) -> None:
        """A request for no live session: its farewell if it was kicked, else ``7:::1+0``."""
        farewell = self.server.manager.take_farewell(sid) if self.command == "GET" else None
        if farewell is None:
            log.info("%s %s for unknown or ended session from %s", self.command, cls.name,
                     self.client_address)
            farewell = NOT_HANDSHAKEN
        self._answer_ended(cls, farewell, index)

    def _websocket(self, session: Session | None, cls: type[UpgradeSide]) -> None:
        self._require_method("GET")
        reader, head = self._upgrade()
        self.close_connection = True
        self.release_deadlines()  # no more requests on this connection
        if session is not None and session.state is HANDSHAKEN:
            # The request ends with the connection: the session may keep its environ.
            transport = open_upgraded(
                session, cls, self.socket, reader.read, self.environ, self.application,
                self.path, head, getattr(self.server, "accepts_no_delay", False))
            if transport is not None:
                sock = own_socket(self)
                if sock is None:
                    transport.serve()  # TLS: this greenlet reads until the end
                else:
                    transport.watch(sock, reader.take_leftover())  # the hub watches it
                return
        # Unknown, ended or already connected sid: say so, then close (as the reference).
        log.info("websocket for unknown or used session from %s", self.client_address)
        self._end_opened(cls, NOT_HANDSHAKEN, head)

    # -- unknown or ended sessions: the transport's ended_answer, in every case ---------
    def _answer_ended(self, cls: type[RequestSide], payload: str, index: int) -> None:
        """Answer a request whose session is unknown or over with ``payload`` (``7:::1+0``
        or a farewell), in the transport's format; a POST's answer is plain text."""
        if self.command == "POST":
            self._respond(OK, payload.encode("utf-8"), headers=self._cors_headers())
            return
        self._respond(OK, cls.ended_answer(payload, index, False),
                      content_type=cls.content_type,
                      headers=self._cors_headers() + list(cls.answer_headers))

    def _end_opened(self, cls: type[HTTPSide], payload: str, head: bytes = b"") -> None:
        """The same on a stream whose head is out, or after a websocket's ``101``: write
        ``payload`` in the transport's format, ending the response or connection."""
        end_opened(self.socket, cls, payload, head)

    def _bind(self, session: Session) -> None:
        """Give a session its environ and, when needed, its namespaces (once)."""
        bind_session(session, self.environ, self.application, self.path)

    def _static(self, name: str) -> None:
        """A client file: ETag and ``304``, gzip when accepted, cacheable."""
        self._require_method("GET", "HEAD")
        found = self.server.client_files.get(name)
        if found is None:
            self._respond(HTTPStatus.NOT_FOUND, ClientFiles.MISSING_HINT.encode("utf-8"))
            return
        body, headers = found.representation(self.environ.get("HTTP_ACCEPT_ENCODING"))
        if etag_matches(self.environ.get("HTTP_IF_NONE_MATCH"), dict(headers)["ETag"]):
            self._respond(NOT_MODIFIED, b"", content_type=None, headers=headers)
            return
        self._respond(OK, body, content_type=found.content_type, headers=headers)

    # -- responses ---------------------------------------------------------------------
    def _cors_headers(self) -> list[tuple[str, str]]:
        """CORS headers for a request with an allowed ``Origin`` (none otherwise)."""
        return cors_headers(self.server.config.allowed_origins, self.header("origin"))
