"""A new connection that opens with a websocket upgrade, answered in one pass.

A websocket client opens a connection of its own for its upgrade request, and nothing
else is ever asked on it: after the ``101`` the transport owns the socket. Serving that
request through the general request loop (a handler object, a buffered reader, the
first-byte deadline, routing, the answer's bookkeeping) cost about a quarter of the
server's CPU per new session (benchmarks/FINDINGS.md, issue 14).

:func:`serve_upgrade` looks at what the connection's first read would give, without
consuming it, and serves it at once when it is exactly one plain upgrade request for a
session this process holds and has not connected yet: the request is read with the short
way's reader (:func:`~geventsio.http.lean.buffered_request`), the session gets the environ
the handler would have built (:func:`~geventsio.http.request.socketio_environ`, from the
same request), the ``101`` head is :func:`~geventsio.http.upgraded.upgrade_head`'s and the
access log gets gevent's line. Everything else (nothing read yet, more bytes than the
request, an origin to check, TLS, a server that is stopping, an unknown or used session,
any request that is not a valid upgrade) returns False with nothing consumed, and the
connection goes to the handler as before, which answers it as it always has.

It does not wait: a connection whose first bytes are not in yet goes to the handler,
which waits for them under its first-byte deadline. A client sends its request right
after connecting, so by the time a worker takes the connection the request is nearly
always there. A version that waited here for the first bytes was as cheap per new
session, but made kept-alive polling measurably dearer, for reasons not found
(benchmarks/FINDINGS.md).
"""

from __future__ import annotations

import logging
import socket
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import gevent.socket
from gevent.pywsgi import WSGIHandler

from ..core.session import HANDSHAKEN
from ..exceptions import ProtocolError
from ..protocol import TargetKind
from ..transports import UPGRADES
from .binding import end_opened, open_upgraded
from .handler import NOT_HANDSHAKEN, SocketIOHandler
from .heads import status_parts
from .lean import BufferedRequest, buffered_request
from .request import socketio_environ, target_of
from .responses import logs_requests
from .upgraded import NO_BODY, WS_VERSIONS, accept_key, asks_websocket, upgrade_head

if TYPE_CHECKING:
    from ..core.session import Session
    from ..server import SocketIOServer
    from ..transports import UpgradeSide

__all__ = ["serve_upgrade"]

log = logging.getLogger("geventsio.handler")

_TRANSPORT = TargetKind.TRANSPORT


class _Upgrade:
    """The request as the handler would hold it: what ``socketio_environ`` and gevent's
    access-log line read of a handler."""

    __slots__ = ("server", "client_address", "requestline", "command", "path",
                 "request_version", "headers", "rfile", "wsgi_input", "status",
                 "_orig_status", "response_length", "time_start", "time_finish")

    def __init__(self, server: Any, client_address: Any, request: BufferedRequest) -> None:
        self.server = server
        self.client_address = client_address
        self.requestline = request.requestline
        self.command, self.path = request.command, request.path
        self.request_version = request.version
        self.headers = request.headers
        self.rfile: Any = NO_BODY  # what environ['wsgi.input'] is after an upgrade
        self.wsgi_input: Any = None
        self._orig_status, self.status = status_parts(HTTPStatus.SWITCHING_PROTOCOLS)[:2]
        self.response_length = 0
        self.time_start = self.time_finish = time.time()


def serve_upgrade(server: "SocketIOServer", sock: Any, address: Any) -> bool:
    """Serve the new connection ``sock`` in one pass if its first request is a plain
    websocket upgrade for a session of this process (see the module's text): True when
    served (the transport holds the socket from now on), False with nothing consumed."""
    if server.handler_class is not SocketIOHandler or type(sock) is not gevent.socket.socket \
            or server.closed or not server.config.allowed_origins.allows_all:
        return False
    config = server.config
    buffered = _first_bytes(sock, config.max_header_bytes)
    if not buffered.startswith(b"GET ") or \
            buffered.find(b"socket/", 4, buffered.find(b"\r\n")) < 0:
        return False  # not a (web|flash)socket request: no need to read it here
    request = buffered_request(buffered, f"/{config.resource}/", config.max_header_bytes,
                               config.max_headers, config.max_body_size)
    if request is None or request.size != len(buffered):
        return False
    found = _session_to_connect(server, request.path)
    if found is None:
        return False
    upgrade = _Upgrade(server, address, request)
    environ = socketio_environ(upgrade, b"")
    head = _head_of(environ)
    if head is None:
        return False
    sock._sock.recv(len(buffered))  # taken now: exactly what was looked at
    session, cls = found
    _open(server, session, cls, sock, environ, request.path, head)
    upgrade.response_length = len(head)
    upgrade.time_finish = time.time()
    if logs_requests(server):
        server.log.write(WSGIHandler.format_request(upgrade) + "\n")
    return True


def _first_bytes(sock: Any, max_bytes: int) -> bytes:
    """What the connection's first read would give now (up to ``max_bytes``), left in
    place for the handler: ``b""`` when nothing is there yet, at EOF or on an error."""
    try:
        return bytes(sock._sock.recv(max_bytes, socket.MSG_PEEK))
    except OSError:  # BlockingIOError included: not there yet, the handler waits for it
        return b""


def _session_to_connect(server: "SocketIOServer",
                        path: str) -> "tuple[Session, type[UpgradeSide]] | None":
    """The session a websocket request for ``path`` would connect and the transport's
    class, if this process holds the session and it has not been connected yet (None
    for any other path or session)."""
    config = server.config
    path = path.partition("?")[0]
    if "%" in path or path == config.metrics_path:
        return None  # (the handler's way decodes the one and serves the other)
    target = target_of(path, config.resource)
    if target.kind is not _TRANSPORT or target.sid is None \
            or target.transport not in UPGRADES or target.transport not in config.transports:
        return None
    session = server.manager.get(target.sid)
    if session is None or session.state is not HANDSHAKEN:
        return None
    return session, UPGRADES[target.transport]


def _head_of(environ: dict[str, Any]) -> bytes | None:
    """The ``101`` head for a valid upgrade request's ``environ``, else None (the
    handler's way then answers it: 400 or 426)."""
    if not asks_websocket(environ) or \
            environ.get("HTTP_SEC_WEBSOCKET_VERSION", "") not in WS_VERSIONS:
        return None
    try:
        return upgrade_head(accept_key(environ.get("HTTP_SEC_WEBSOCKET_KEY", "")))
    except ProtocolError:
        return None


def _open(server: "SocketIOServer", session: "Session", cls: "type[UpgradeSide]",
          sock: Any, environ: dict[str, Any], path: str, head: bytes) -> None:
    """What the handler does once it has accepted an upgrade: bind the session, open its
    transport (``head`` goes out with ``1::``) and hand the socket to the hub."""
    transport = open_upgraded(session, cls, sock, None, environ, server.application, path,
                              head, server.accepts_no_delay)
    if transport is None:  # the session ended while the app was binding it
        log.info("websocket for unknown or used session from %s", environ["REMOTE_ADDR"])
        end_opened(sock, cls, NOT_HANDSHAKEN, head)  # the server closes the connection next
        return
    transport.watch(sock, b"")
