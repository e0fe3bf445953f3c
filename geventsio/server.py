"""``SocketIOServer`` and ``socketio_manage``: the two ways to serve Socket.IO.

``SocketIOServer`` is a gevent ``WSGIServer`` whose handler answers requests under
``/<resource>/`` and passes every other request to the wrapped WSGI application. Give it
``namespaces=`` and it needs nothing else; or, as with gevent-socketio, let the application
call :func:`socketio_manage` for Socket.IO requests and name the namespaces there.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from gevent.pywsgi import WSGIServer

from .config import DEFAULT_POLICY_PORT, ServerConfig
from .emitter import Emitter
from .exceptions import ConfigurationError
from .flashpolicy import PolicyServer, policy_document
from .handler import SocketIOHandler
from .headers import MAX_HEADER_BYTES, MAX_HEADERS
from .manager import Manager
from .namespace import BaseNamespace
from .session import Session
from .static import ClientFiles

__all__ = ["SocketIOServer", "socketio_manage"]


def _check_namespaces(namespaces: Mapping[str, type]) -> dict[str, type]:
    checked: dict[str, type] = {}
    for endpoint, cls in namespaces.items():
        if not isinstance(endpoint, str) or ":" in endpoint or (
                endpoint and not endpoint.startswith("/")):
            raise ConfigurationError(
                f"namespace names are '' or start with '/' and have no ':', got {endpoint!r}")
        if not (isinstance(cls, type) and issubclass(cls, BaseNamespace)):
            raise ConfigurationError(f"namespace {endpoint!r} must be a BaseNamespace subclass")
        checked[endpoint] = cls
    return checked


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found\n"]


class SocketIOServer(WSGIServer):
    """A gevent WSGI server that also speaks Socket.IO protocol revision 1.

    Keyword arguments not listed here go to ``gevent.pywsgi.WSGIServer`` (``log``,
    ``error_log``, ``spawn``, ``backlog``, ssl options, ...).
    """

    handler_class = SocketIOHandler

    def __init__(
        self,
        listener: Any,
        application: Callable[..., Any] | None = None,
        resource: str = "socket.io",
        namespaces: Mapping[str, type] | None = None,
        transports: Sequence[str] | None = None,
        heartbeat_interval: float = 25,
        heartbeat_timeout: float = 60,
        close_timeout: float = 60,
        polling_duration: float = 20,
        origins: str | Sequence[str] = "*:*",
        authorization: Callable[[dict[str, Any]], bool] | None = None,
        policy_server: bool = False,
        policy_port: int = DEFAULT_POLICY_PORT,
        message_queue: str | None = None,
        max_body_size: int = 1_000_000,
        max_queue: int = 10_000,
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_headers: int = MAX_HEADERS,
        ack_timeout: float = 60.0,
        client_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        if message_queue is not None:
            raise ConfigurationError("message_queue= is not available in this release")
        self.config = ServerConfig.from_options(
            transports=transports, resource=resource,
            heartbeat_interval=heartbeat_interval, heartbeat_timeout=heartbeat_timeout,
            close_timeout=close_timeout, polling_duration=polling_duration,
            origins=origins, authorization=authorization, max_body_size=max_body_size,
            max_queue=max_queue, max_header_bytes=max_header_bytes, max_headers=max_headers,
            ack_timeout=ack_timeout, client_dir=client_dir,
            policy_server=policy_server, policy_port=policy_port,
        )
        checked = _check_namespaces(namespaces) if namespaces is not None else None
        self.manager = Manager(self.config, checked)
        self.client_files = ClientFiles.for_config(self.config)
        #: The Flash policy listener (``policy_server=True``), made when the server starts.
        self.policy_server: PolicyServer | None = None
        super().__init__(listener, application or _not_found, **kwargs)

    def of(self, endpoint: str) -> Emitter:
        """Every client of namespace ``endpoint``, usable outside any handler."""
        return Emitter(self.manager, endpoint)

    @property
    def sockets(self) -> Emitter:
        """Every client of the default namespace (``server.of('')``)."""
        return self.of("")

    def start(self) -> None:
        """Start serving; with ``policy_server=True`` also the Flash policy listener,
        bound to the same host on ``policy_port``."""
        super().start()
        config = self.config
        if config.policy_server and self.policy_server is None:
            document = policy_document(config.allowed_origins)
            policy = PolicyServer((self.server_host, config.policy_port), document)
            try:
                policy.start()
            except Exception:
                super().stop()
                raise
            self.policy_server = policy

    def stop(self, timeout: float | None = None, goodbye: bool = False) -> None:
        """Close every session (every ``recv_disconnect`` runs), then stop serving.

        By default clients are not told: their connections just end, and the 0.9 clients
        reconnect by themselves, to this server once it is back (a restart, a deploy) or
        to another one. ``goodbye=True`` sends each client ``0::`` first, which the 0.9
        clients take as "disconnected by the server, do not reconnect".
        """
        if not self.closed:
            self.close()  # first stop accepting: clients that reconnect at once must not
            # reach this server again while it shuts down
        self.manager.close_all("server shutdown", notify=goodbye)
        policy, self.policy_server = self.policy_server, None
        if policy is not None:
            policy.stop(timeout)
        super().stop(timeout)


def socketio_manage(environ: dict[str, Any], namespaces: Mapping[str, type],
                    request: Any = None) -> str:
    """Name the namespaces of a Socket.IO request from inside a WSGI application.

    Call it from the view that receives ``/<resource>/...`` requests (gevent-socketio
    style). It returns ``''`` at once; the session goes on in the server. ``request`` is
    kept as ``self.request`` of every namespace (a Flask/werkzeug proxy is resolved to the
    real request object). Raises ConfigurationError outside a Socket.IO request.
    """
    session = environ.get("socketio")
    if not isinstance(session, Session):
        raise ConfigurationError(
            "socketio_manage() needs a Socket.IO request served by SocketIOServer "
            "(environ['socketio'] is missing)")
    resolve = getattr(request, "_get_current_object", None)
    session.namespace_classes = _check_namespaces(namespaces)
    session.request = resolve() if callable(resolve) else request
    return ""
