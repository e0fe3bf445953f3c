"""``SocketIOServer`` and ``socketio_manage``: the two ways to serve Socket.IO.

``SocketIOServer`` is a gevent ``WSGIServer`` whose handler answers requests under
``/<resource>/`` and passes every other request to the wrapped WSGI application. Give it
``namespaces=`` and it needs nothing else; or, as with gevent-socketio, let the application
call :func:`socketio_manage` for Socket.IO requests and name the namespaces there.
"""

from __future__ import annotations

import sys
import time
from contextvars import Context
from dataclasses import fields
from functools import partial
from typing import Any, Callable, Mapping, Sequence

from gevent.pywsgi import WSGIServer

from .cluster import connect
from .core.config import DEFAULT_POLICY_PORT, MAX_HEADER_BYTES, MAX_HEADERS, ServerConfig
from .core.manager import Manager
from .core.metrics import MetricsPage
from .core.options import LegacyOptions, open_log, split_options
from .core.session import Session
from .core.sessioncompat import ErrorHandler
from .core.storage import ClientStore
from .emitter import Emitter
from .exceptions import ConfigurationError
from .http.fastupgrade import serve_upgrade
from .http.flashpolicy import PolicyServer, policy_document
from .http.handler import SocketIOHandler
from .http.static import ClientFiles
from .http.upgraded import no_delay
from .namespace import BaseNamespace
from .socketsview import SocketsView

__all__ = ["SocketIOServer", "socketio_manage", "serve", "serve_paste", "paste_server"]


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


#: The fields of ServerConfig: the options of SocketIOServer that go into its config.
CONFIG_FIELDS = frozenset(f.name for f in fields(ServerConfig) if f.init)
#: The options of SocketIOServer that are not in its config (message_queue and store are
#: handled by the server itself; the CLI keeps its own list, since it offers message_queue).
NOT_CONFIG = frozenset({"listener", "application", "namespaces", "message_queue", "store"})


def config_from(parameters: Mapping[str, Any], legacy: LegacyOptions) -> ServerConfig:
    """The ServerConfig of ``SocketIOServer``'s keyword options, with gevent-socketio's
    ``namespace=`` and ``policy_listener=`` (in ``legacy``) applied."""
    options = {name: value for name, value in parameters.items() if name in CONFIG_FIELDS}
    if legacy.resource is not None:  # gevent-socketio's namespace='socket.io'
        options["resource"] = legacy.resource
    if legacy.policy_listener is not None:
        options["policy_host"], options["policy_port"] = legacy.policy_listener
        if options["policy_server"] is None:  # gevent-socketio served the policy by default
            options["policy_server"] = True
    options["policy_server"] = bool(options["policy_server"])
    return ServerConfig.from_options(**options)


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found\n"]


class SocketIOServer(WSGIServer):
    """A gevent WSGI server that also speaks Socket.IO protocol revision 1.

    Keyword arguments not listed here go to ``gevent.pywsgi.WSGIServer`` (``log``,
    ``error_log``, ``spawn``, ``backlog``, ssl options, ...); gevent-socketio's
    ``namespace=``, ``policy_listener=(host, port)``, ``log_file=`` and
    ``ws_handler_class=`` are understood (see :mod:`geventsio.core.options`). Any other
    keyword raises ConfigurationError naming it. ``policy_server`` defaults to False,
    or to True when ``policy_listener`` is given.
    """

    handler_class = SocketIOHandler

    def __init__(
        self, listener: Any, application: Callable[..., Any] | None = None,
        resource: str = "socket.io", namespaces: Mapping[str, type] | None = None,
        transports: Sequence[str] | None = None, heartbeat_interval: float = 25,
        heartbeat_timeout: float = 60, close_timeout: float = 60,
        polling_duration: float = 20, origins: str | Sequence[str] = "*:*",
        authorization: Callable[[dict[str, Any]], bool] | None = None,
        policy_server: bool | None = None, policy_port: int = DEFAULT_POLICY_PORT,
        message_queue: str | None = None, max_body_size: int = 1_000_000,
        max_queue: int = 10_000, max_buffer_bytes: int = 4 * 1024 * 1024,
        max_total_buffer_bytes: int = 256 * 1024 * 1024, max_rooms_per_client: int = 1000,
        max_room_name_length: int = 256, max_store_keys: int = 1000,
        max_store_bytes: int = 1024 * 1024, max_pending_acks: int = 1000,
        max_sessions: int = 50_000, max_handshakes_per_address: float | None = None,
        metrics_path: str | None = None, request_head_timeout: float = 30.0,
        keepalive_timeout: float = 30.0, request_body_timeout: float = 30.0,
        max_header_bytes: int = MAX_HEADER_BYTES, max_headers: int = MAX_HEADERS,
        ack_timeout: float = 60.0, client_dir: str | None = None,
        store: ClientStore | None = None, **kwargs: Any,
    ) -> None:
        parameters = dict(locals())  # first: every option as given, nothing else yet
        legacy = split_options(kwargs)
        self.config = config_from(parameters, legacy)
        checked = _check_namespaces(namespaces) if namespaces is not None else None
        self.manager = Manager(self.config, checked, store=store,
                               default_namespace=BaseNamespace)
        #: gevent-socketio's ``socket.server``: sessions reach their server through it.
        self.manager.server = self
        if message_queue is not None:  # many processes: see docs/scaling.md
            connect(self.manager, message_queue, keep_store=store is not None)
        self.client_files = ClientFiles.for_config(self.config)
        #: The Prometheus page at ``metrics_path`` (None without one).
        self.metrics = MetricsPage(self.manager) if metrics_path is not None else None
        #: The Flash policy listener (``policy_server=True``), made when the server starts.
        self.policy_server: PolicyServer | None = None
        #: The file opened for ``log_file=`` (closed when the server stops).
        self.log_file = open_log(legacy.log_file, legacy.gevent)
        super().__init__(listener, application or _not_found,  # a spawn given is kept
                         **{"spawn": self._serve_connection, **legacy.gevent})

    #: Whether the connections this server accepts come with Nagle's algorithm off,
    #: inherited from the listener (:meth:`init_socket`): a websocket then needs no
    #: ``setsockopt`` of its own.
    accepts_no_delay = False

    def init_socket(self) -> None:
        """gevent's listener set-up, then ``TCP_NODELAY`` on a TCP listener on Linux,
        whose accepted connections inherit it: answers and websocket writes are whole
        batches already, and none of them should wait for the peer's delayed ACK."""
        super().init_socket()
        if sys.platform.startswith("linux"):
            self.accepts_no_delay = no_delay(self.socket)

    def _serve_connection(self, serve: Callable[..., Any], *args: Any) -> None:
        """gevent's ``spawn`` for each accepted connection: a greenlet of the manager's
        :class:`~geventsio.core.workers.Workers` serves it, in context variables of its
        own (empty, as a new greenlet's). A new greenlet per connection costs ~12-16 us
        on Python 3.11 (each gets a 16 KB frame stack mapped and unmapped), a parked
        worker ~1 us; a websocket hands its connection to the hub after its upgrade, so
        the worker is free again at once (benchmarks/FINDINGS.md, issue 14)."""
        self.manager.workers.submit(partial(Context().run, serve, *args))

    def handle(self, sock: Any, address: Any) -> None:
        """Serve one accepted connection (in a worker, see :meth:`_serve_connection`):
        gevent's handler, unless its first request is a plain websocket upgrade for a
        session of this process, which is answered in one pass
        (:mod:`geventsio.http.fastupgrade`)."""
        if not serve_upgrade(self, sock, address):
            super().handle(sock, address)

    def of(self, endpoint: str) -> Emitter:
        """Every client of namespace ``endpoint``, usable outside any handler."""
        return Emitter(self.manager, endpoint)

    @property
    def sockets(self) -> SocketsView:
        """Every client of the default namespace (``server.of('')``), which is also
        gevent-socketio's read-only mapping of session id -> session (``.items()``,
        ``[sid]``, ``len``, ``in``)."""
        return SocketsView(self.manager, "")

    def start(self) -> None:
        """Start serving; with ``policy_server=True`` also the Flash policy listener,
        bound to the same host on ``policy_port``."""
        super().start()
        if self.manager.cluster is not None:
            self.manager.cluster.start()
        config = self.config
        if config.policy_server and self.policy_server is None:
            document = policy_document(config.allowed_origins)
            host = config.policy_host or self.server_host
            policy = PolicyServer((host, config.policy_port), document)
            try:
                policy.start()
            except Exception:
                super().stop()
                raise
            self.policy_server = policy

    def stop(self, timeout: float | None = None, goodbye: bool = False) -> None:
        """Stop gracefully within ``timeout`` seconds (default ``stop_timeout``, 1 s).

        1. Stop accepting connections.
        2. Drain, for up to half of ``timeout``: packets already queued for a client go out
           (a websocket or stream writes them, a poll on a kept-alive connection takes
           them); handshakes on kept-alive connections get 503 meanwhile.
        3. Close every session (every ``recv_disconnect`` runs). By default clients are
           not told: their connections end, and the 0.9 clients reconnect by themselves,
           to this server once it is back (a restart, a deploy) or to another one.
           ``goodbye=True`` sends each client ``0::`` first, which the 0.9 clients take as
           "disconnected by the server, do not reconnect".
        4. Give connections what is left of ``timeout`` to finish, then close them.
        """
        if timeout is None:
            timeout = self.stop_timeout
        started = time.monotonic()
        if not self.closed:
            self.close()  # first stop accepting: clients that reconnect at once must not
            # reach this server again while it shuts down
        self.manager.drain(timeout / 2)
        self.manager.close_all("server shutdown", notify=goodbye)
        if self.manager.cluster is not None:
            self.manager.cluster.stop()
        policy, self.policy_server = self.policy_server, None
        if policy is not None:
            policy.stop(timeout)
        super().stop(max(0.0, timeout - (time.monotonic() - started)))
        self.manager.workers.close()
        if self.log_file is not None:
            self.log_file.close()


def socketio_manage(environ: dict[str, Any], namespaces: Mapping[str, type],
                    request: Any = None, error_handler: ErrorHandler | None = None,
                    json_loads: Callable[[str], Any] | None = None,
                    json_dumps: Callable[[Any], str] | None = None) -> str:
    """Name the namespaces of a Socket.IO request from inside a WSGI application.

    Call it from the view that receives ``/<resource>/...`` requests (gevent-socketio
    style). It returns ``''`` at once; the session goes on in the server. ``request`` is
    kept as ``self.request`` of every namespace (a Flask/werkzeug proxy is resolved to the
    real request object). As in gevent-socketio, ``error_handler(socket, error_name,
    error_message, endpoint, msg_id, quiet)`` replaces the default ``error`` event,
    ``json_dumps`` decides how the values this session sends are written (they go through
    it, then the codec writes the result) and ``json_loads`` re-reads the values it
    receives. Raises ConfigurationError outside a Socket.IO request.
    """
    session = environ.get("socketio")
    if not isinstance(session, Session):
        raise ConfigurationError(
            "socketio_manage() needs a Socket.IO request served by SocketIOServer "
            "(environ['socketio'] is missing)")
    resolve = getattr(request, "_get_current_object", None)
    session.namespace_classes = _check_namespaces(namespaces)
    session.request = resolve() if callable(resolve) else request
    session.error_handler = error_handler
    session.json_loads = json_loads
    session.json_dumps = json_dumps
    return ""


_TRUE = ("true", "yes", "on", "1", "enable")


def paste_server(app: Callable[..., Any], **options: Any) -> SocketIOServer:
    """A server from gevent-socketio's ``serve()`` options, which are strings when they
    come from a PasteDeploy ini file: ``host`` (127.0.0.1), ``port`` (6543), ``resource``,
    ``transports`` (comma separated), ``policy_server`` (true/false) with
    ``policy_listener_host``/``policy_listener_port``; others go to ``SocketIOServer``."""
    host = options.pop("host", "127.0.0.1")
    port = int(options.pop("port", 6543))
    transports = options.pop("transports", None)
    if isinstance(transports, str):
        transports = [name.strip() for name in transports.split(",") if name.strip()]
    listener_host = options.pop("policy_listener_host", host)
    listener_port = int(options.pop("policy_listener_port", DEFAULT_POLICY_PORT))
    if str(options.pop("policy_server", False)).lower() in _TRUE:
        options["policy_listener"] = (listener_host, listener_port)
    return SocketIOServer((host, port), app, transports=transports, **options)


def serve(app: Callable[..., Any], **options: Any) -> None:
    """gevent-socketio's ``serve(app, **kw)``: build :func:`paste_server` and serve until
    stopped (``_quiet=True``: no banner)."""
    quiet = options.pop("_quiet", False)
    server = paste_server(app, **options)
    if not quiet:
        print(f"serving on http://{server.server_host}:{server.server_port}")
    server.serve_forever()


def serve_paste(app: Callable[..., Any], global_conf: dict[str, Any], **options: Any) -> int:
    """PasteDeploy server runner (``use = egg:geventsio#paster``): :func:`serve`."""
    serve(app, **options)
    return 0
