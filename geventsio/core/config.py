"""The settings of one server, gathered in one immutable object.

``SocketIOServer`` builds a :class:`ServerConfig` from its keyword arguments and passes it
down to the manager, sessions and transports; nothing reads settings from globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..exceptions import ConfigurationError
from .origins import OriginAllowList

#: The defaults of the ``max_header_bytes`` and ``max_headers`` server options: the
#: header block's size (every line with its line end, the blank line ending the block
#: included, the request line not) and its number of lines (431 beyond either).
#: 16 KiB is node's default; nginx allows a little more.
MAX_HEADER_BYTES = 16384
MAX_HEADERS = 100

__all__ = ["ServerConfig", "ALL_TRANSPORTS", "MAX_HEADER_BYTES", "MAX_HEADERS"]

#: Longest timer the JS clients can arm (setTimeout takes at most 2**31 - 1 ms).
_MAX_SECONDS = 2_000_000

#: Transports this release implements, in the order the handshake offers them: the
#: reference's default order, then flashsocket (as the reference appends it when enabled)
#: and xhr-multipart (which no 0.9 client uses).
ALL_TRANSPORTS: tuple[str, ...] = (
    "websocket", "htmlfile", "xhr-polling", "jsonp-polling", "flashsocket", "xhr-multipart")
#: The port Flash asks for its policy on, after 843.
DEFAULT_POLICY_PORT = 10843


@dataclass(frozen=True)
class ServerConfig:
    """Every tunable of a server. Times are in seconds, sizes in bytes."""

    resource: str = "socket.io"
    transports: tuple[str, ...] = ALL_TRANSPORTS
    heartbeat_interval: float = 25.0
    heartbeat_timeout: float = 60.0
    close_timeout: float = 60.0
    polling_duration: float = 20.0
    #: ``host:port`` patterns (a string or a tuple of strings); see geventsio.core.origins.
    origins: str | tuple[str, ...] = "*:*"
    authorization: Callable[[dict[str, Any]], bool] | None = None
    #: Largest HTTP request body (POST payload) or websocket message accepted.
    max_body_size: int = 1_000_000
    #: Most packets accepted in one framed payload.
    max_packets_per_payload: int = 1000
    #: Most packets waiting for a slow client before it is disconnected.
    max_queue: int = 10_000
    #: Most bytes (UTF-8 of the encoded packets) waiting for one client before it is
    #: disconnected; volatile packets are dropped instead of queued past it.
    max_buffer_bytes: int = 4 * 1024 * 1024
    #: Most bytes waiting for all clients together; past it, the client with the most
    #: waiting is disconnected.
    max_total_buffer_bytes: int = 256 * 1024 * 1024
    #: Seconds a connection may take to send a request's line and headers (from its
    #: first byte); then it is closed. Seconds a kept-alive connection may stay idle
    #: before its next request. Seconds a POST body may take to arrive (408 after).
    #: None of these touch a websocket or a long poll once its request has arrived.
    request_head_timeout: float = 30.0
    keepalive_timeout: float = 30.0
    request_body_timeout: float = 30.0
    #: Path answering the Prometheus metrics page (``'/metrics'``); None = none. Needs
    #: the ``metrics`` extra (prometheus_client).
    metrics_path: str | None = None
    #: Most sessions this server holds; a handshake past it is answered 503.
    max_sessions: int = 50_000
    #: Handshakes per second one address may make (429 past it); None = no limit.
    max_handshakes_per_address: float | None = None
    #: Per-client caps (see docs/security.md): rooms one client may be in per namespace,
    #: the longest room name, values one client may store and their total size (JSON
    #: bytes of key and value), and callbacks waiting for one client's acks per namespace.
    max_rooms_per_client: int = 1000
    max_room_name_length: int = 256
    max_store_keys: int = 1000
    max_store_bytes: int = 1024 * 1024
    max_pending_acks: int = 1000
    #: Largest request header block (every header line with its line end, and the blank
    #: line ending the block), else 431.
    max_header_bytes: int = MAX_HEADER_BYTES
    #: Most header lines in one request, else 431.
    max_headers: int = MAX_HEADERS
    #: Seconds a callback given to ``emit``/``send`` waits for the client's ack before
    #: it is dropped (``timeout=`` per call overrides it).
    ack_timeout: float = 60.0
    #: Directory holding socket.io.js (socket.io-client/dist); None = look in node_modules.
    client_dir: str | None = None
    #: Answer Flash policy requests on a port of their own (``policy_port``).
    policy_server: bool = False
    policy_port: int = DEFAULT_POLICY_PORT
    #: The host the policy listener binds (None = the server's own host).
    policy_host: str | None = None
    #: ``origins`` parsed (set from it; not an argument).
    allowed_origins: OriginAllowList = field(init=False, compare=False)

    def __post_init__(self) -> None:
        resource = self.resource.strip("/") if isinstance(self.resource, str) else ""
        if not resource:
            raise ConfigurationError("resource must be a non-empty path such as 'socket.io'")
        object.__setattr__(self, "resource", resource)
        unknown = [t for t in self.transports if t not in ALL_TRANSPORTS]
        if unknown or not self.transports:
            raise ConfigurationError(
                f"transports must be a non-empty subset of {ALL_TRANSPORTS}, "
                f"got {self.transports!r}"
            )
        self._check_timers()
        object.__setattr__(self, "allowed_origins", OriginAllowList(self.origins))
        port = self.policy_port
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigurationError(f"policy_port must be a port number, got {port!r}")
        for name in ("max_body_size", "max_packets_per_payload", "max_queue",
                     "max_buffer_bytes", "max_total_buffer_bytes", "max_rooms_per_client",
                     "max_room_name_length",
                     "max_store_keys", "max_store_bytes", "max_pending_acks",
                     "max_sessions",
                     "max_header_bytes", "max_headers"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1")
        rate = self.max_handshakes_per_address
        if rate is not None and not (isinstance(rate, (int, float)) and rate > 0):
            raise ConfigurationError(
                f"max_handshakes_per_address must be a positive number or None, got {rate!r}")

    @classmethod
    def from_options(cls, transports: Sequence[str] | None = None,
                     **options: Any) -> "ServerConfig":
        """Build a config from ``SocketIOServer`` keyword arguments (``transports=None`` = all)."""
        chosen = ALL_TRANSPORTS if transports is None else tuple(transports)
        origins = options.pop("origins", "*:*")
        if not isinstance(origins, str):
            origins = tuple(origins)
        return cls(transports=chosen, origins=origins, **options)

    def _check_timers(self) -> None:
        """Refuse timer settings the 0.9 clients cannot live with.

        The clients arm their own timers from the handshake: an empty or zero heartbeat
        timeout makes them drop the connection at once, a heartbeat interval that is not
        shorter than the timeout makes them give up between two heartbeats, and a long
        poll held longer than the close timeout makes them close it themselves.
        """
        for name in ("heartbeat_interval", "heartbeat_timeout", "close_timeout",
                     "polling_duration", "ack_timeout", "request_head_timeout",
                     "keepalive_timeout", "request_body_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 < value < _MAX_SECONDS):
                raise ConfigurationError(
                    f"{name} must be a number of seconds between 0 and {_MAX_SECONDS}, "
                    f"got {value!r}")
        if self.heartbeat_interval >= self.heartbeat_timeout:
            raise ConfigurationError("heartbeat_interval must be shorter than heartbeat_timeout")
        if self.polling_duration >= self.close_timeout:
            raise ConfigurationError("polling_duration must be shorter than close_timeout")
