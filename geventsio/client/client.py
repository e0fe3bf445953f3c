"""The Socket.IO 0.9 (protocol revision 1) client: one connection, many namespaces.

:class:`Client` does the handshake, opens the first transport both sides speak, answers
heartbeats, and reconnects with the 0.9 JavaScript client's backoff when the transport is
lost (first attempt after ``reconnection_delay``, the delay doubling up to
``reconnection_limit``, at most ``max_reconnection_attempts`` attempts; then
``reconnect_failed``). Packets sent while reconnecting wait in the outbox and go out,
after the namespaces are joined again, over the new session. A disconnect asked by the
server (``0::``) or by :meth:`Client.disconnect` is final.

Greenlets: one reader and one writer per transport, one for reconnecting, and one per
listener call; the client owns them all and kills them on :meth:`~Client.disconnect`.
"""

from __future__ import annotations

import collections
import enum
import logging
from typing import Any, Callable, Iterable

import gevent
import gevent.event
import gevent.pool

from ..exceptions import ProtocolError
from ..protocol import (
    ConnectPacket,
    DisconnectPacket,
    HeartbeatPacket,
    NoopPacket,
    Packet,
    decode_packet,
    encode_packet,
    parse_handshake,
)
from .errors import ConnectFailed, NotConnected
from .namespace import ClientNamespace
from .transports import (
    TRANSPORTS,
    ClientTransport,
    TransportClosed,
    fetch_handshake,
    session_url,
)

__all__ = ["Client", "State"]

log = logging.getLogger("geventsio.client")

#: Packets written in one websocket turn or one POST.
BATCH_LIMIT = 100
#: Packet types dropped from the outbox when a new session starts: disconnect, connect
#: (namespaces are joined again from ``ClientNamespace.wanted``), heartbeat and ack.
_SESSION_BOUND = ("0:", "1:", "2:", "6:")


class State(enum.Enum):
    """Where a client is in its life."""

    NEW = "new"  # connect() not called yet
    CONNECTING = "connecting"  # handshake or transport being opened
    CONNECTED = "connected"  # the server's 1:: arrived
    RECONNECTING = "reconnecting"  # transport lost; trying again
    CLOSED = "closed"  # disconnected for good


class Client:
    """A Socket.IO 0.7-0.9 client; see the module docstring and ``docs/client.md``.

    ``url`` is the server's ``http://`` or ``https://`` base; ``transports`` the names to
    try, in order; ``query`` is added to every request, ``headers`` to every HTTP request
    and the websocket upgrade.
    """

    def __init__(self, url: str, resource: str = "socket.io",
                 transports: Iterable[str] = ("websocket", "xhr-polling"),
                 query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                 reconnect: bool = True, reconnection_delay: float = 0.5,
                 reconnection_limit: float = float("inf"),
                 max_reconnection_attempts: int = 10) -> None:
        self.transports = tuple(transports)
        unknown = [name for name in self.transports if name not in TRANSPORTS]
        if unknown or not self.transports:
            raise ValueError(f"transports must be some of {list(TRANSPORTS)}, got {unknown}")
        self.url = url.rstrip("/")
        self.resource = resource
        self.query = dict(query or {})
        self.headers = dict(headers or {})
        self.reconnect = reconnect
        self.reconnection_delay = reconnection_delay
        self.reconnection_limit = reconnection_limit
        self.max_reconnection_attempts = max_reconnection_attempts
        self.sid: str | None = None
        self.transport: str | None = None  # name of the transport in use
        self.heartbeat_timeout: float | None = None
        self.close_timeout: float | None = None
        self.state = State.NEW
        self.heartbeats = 0  # server heartbeats answered, over all sessions
        self.payloads = 0  # websocket messages or poll responses received, ditto
        self.namespaces: dict[str, ClientNamespace] = {"": ClientNamespace(self, "")}
        self._transport: ClientTransport | None = None
        self._outbox: collections.deque[str] = collections.deque()
        self._outbox_ready = gevent.event.Event()
        self._io = gevent.pool.Group()  # reader and writer of the current transport
        self._greenlets = gevent.pool.Group()  # listeners, ack timeouts, reconnecting
        self._connect_timeout = 10.0

    def __repr__(self) -> str:
        return f"<Client {self.url} {self.state.value} sid={self.sid} via {self.transport}>"

    @property
    def connected(self) -> bool:
        return self.state is State.CONNECTED

    # -- the public API --------------------------------------------------------------------
    def connect(self, timeout: float = 10.0) -> "Client":
        """Handshake, open a transport and wait for the server's ``1::``; returns self.

        Raises :class:`~geventsio.client.ConnectFailed` (a builtin ``ConnectionError``)
        when that does not happen within ``timeout`` seconds or the server refuses.
        """
        if self.state is not State.NEW:
            raise ValueError(f"connect() was already called ({self.state.value})")
        self._connect_timeout = timeout
        try:
            self._open(timeout)
        except BaseException:
            self.state = State.NEW  # nothing started: connect() may be called again
            raise
        return self

    def of(self, endpoint: str, timeout: float = 10.0) -> ClientNamespace:
        """Join namespace ``endpoint`` (``'/chat'``; ``''`` is the main one) and return it.

        Waits until the server confirms it; raises
        :class:`~geventsio.client.NamespaceRefused` when its ``authorize`` says no,
        ``TimeoutError`` after ``timeout`` seconds. Returns the same object every time.
        """
        namespace = self.namespaces.get(endpoint)
        if namespace is None:
            self._check_open()
            namespace = self.namespaces[endpoint] = ClientNamespace(self, endpoint)
            if self.state is State.CONNECTED:
                self.put(ConnectPacket(endpoint))
        elif endpoint and not namespace.wanted:
            namespace.wanted = True  # joined again after leaving
            if self.state is State.CONNECTED:
                self.put(ConnectPacket(endpoint))
        if self.state is not State.NEW:
            namespace.wait_joined(timeout)
        return namespace

    def on(self, event: str, fn: Callable[..., Any] | None = None) -> Any:
        """``of('').on(...)``: listen on the main namespace."""
        return self.namespaces[""].on(event, fn)

    def emit(self, event: str, *args: Any, **options: Any) -> None:
        """``of('').emit(...)``."""
        self.namespaces[""].emit(event, *args, **options)

    def send(self, message: Any, **options: Any) -> None:
        """``of('').send(...)``."""
        self.namespaces[""].send(message, **options)

    def wait_for(self, event: str, timeout: float = 10.0) -> tuple[Any, ...]:
        """``of('').wait_for(...)``."""
        return self.namespaces[""].wait_for(event, timeout)

    def disconnect(self) -> None:
        """Say goodbye (``0::``) if connected, then stop everything; final and idempotent."""
        if self.state is State.CLOSED:
            return
        was_connected = self.state is State.CONNECTED
        self.state = State.CLOSED
        transport, self._transport = self._transport, None
        if transport is not None:
            if was_connected:
                self._goodbye(transport)
            transport.close()
        self._stop(self._io)
        self._stop(self._greenlets)
        self._outbox.clear()
        for namespace in self.namespaces.values():
            namespace.end()
        if was_connected:
            self._publish_all("disconnect", "client")

    def spawn(self, fn: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Run ``fn(*args)`` in a greenlet the client owns (killed on disconnect)."""
        return self._greenlets.spawn(fn, *args)

    # -- what namespaces call ------------------------------------------------------------
    def put(self, packet: Packet) -> None:
        """Queue one packet for the server (kept while reconnecting)."""
        self._check_open()
        self._outbox.append(encode_packet(packet))
        self._outbox_ready.set()

    def leave(self, namespace: ClientNamespace) -> None:
        """Send ``0::/ns`` for ``namespace``; it stays known, ``of`` joins it again."""
        self.put(DisconnectPacket(namespace.endpoint))

    def lost(self, reason: str) -> None:
        """The transport is gone (or the server advised reconnecting)."""
        transport = self._transport
        if transport is None or self.state is not State.CONNECTED:
            return
        log.info("%r: transport lost: %s", self, reason)
        self._transport = None
        transport.close()
        self._stop(self._io)
        for namespace in self.namespaces.values():
            namespace.joined.clear()
        if self.reconnect:
            self.state = State.RECONNECTING
            self._publish_all("disconnect", reason)
            self.spawn(self._reconnect)
        else:
            self._finish(reason)

    # -- connecting ----------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.state is State.CLOSED:
            raise NotConnected(f"{self!r} was disconnected")

    def _open(self, timeout: float) -> None:
        """Handshake and start a transport; return once the server's ``1::`` arrived."""
        self.state = State.CONNECTING
        self._connected = gevent.event.Event()
        try:
            with gevent.Timeout(timeout, ConnectFailed(f"no connection within {timeout:g}s")):
                transport = self._handshake(timeout)
                transport.open()
                self._start(transport)
                self._connected.wait()
                if self._transport is not transport:
                    raise ConnectFailed(f"the {transport.name} transport closed before the"
                                        " server's 1::")
        except BaseException:
            self._abandon()
            raise
        self.state = State.CONNECTED

    def _handshake(self, timeout: float) -> ClientTransport:
        body = fetch_handshake(session_url(self.url, self.resource, "", self.query),
                               self.headers, timeout)
        try:
            sid, heartbeat, close, offered = parse_handshake(body)
        except ProtocolError as exc:
            raise ConnectFailed(str(exc)) from None
        name = next((name for name in self.transports if name in offered), None)
        if name is None:
            raise ConnectFailed(f"the server offers {offered}, we speak {list(self.transports)}")
        self.sid, self.transport = sid, name
        self.heartbeat_timeout, self.close_timeout = heartbeat, close
        return TRANSPORTS[name](self.url, self.resource, sid, self.query, self.headers,
                                timeout=max(timeout, heartbeat or 0) + 5)

    def _start(self, transport: ClientTransport) -> None:
        """Make ``transport`` current: rejoin namespaces first, then start reading/writing."""
        # What the old session left in the outbox: its acks and heartbeats mean nothing
        # to the new one, and the namespaces to join are joined first, once.
        self._outbox = collections.deque(
            text for text in self._outbox if not text.startswith(_SESSION_BOUND))
        self._outbox.extendleft(reversed([
            encode_packet(ConnectPacket(endpoint))
            for endpoint, namespace in self.namespaces.items() if endpoint and namespace.wanted]))
        if self._outbox:
            self._outbox_ready.set()
        self._transport = transport
        self._io.spawn(self._read, transport)
        self._io.spawn(self._write, transport)

    def _abandon(self) -> None:
        """A connection attempt failed: drop what it started."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self._stop(self._io)

    def _reconnect(self) -> None:
        """Try again as the 0.9 client does; publish reconnect or reconnect_failed."""
        delay = self.reconnection_delay
        for attempt in range(1, self.max_reconnection_attempts + 1):
            gevent.sleep(delay)
            delay = min(delay * 2, self.reconnection_limit)
            self._publish_all("reconnecting", delay, attempt)
            try:
                self._open(self._connect_timeout)
            except ConnectFailed as exc:
                log.info("%r: reconnection attempt %d failed: %s", self, attempt, exc)
                self.state = State.RECONNECTING
                continue
            self._publish_all("reconnect", self.transport, attempt)
            return
        self._finish("reconnect failed")
        self._publish_all("reconnect_failed")

    def _finish(self, reason: str) -> None:
        """No more connections: forget what waits to be sent; keep the events."""
        self.state = State.CLOSED
        self._outbox.clear()
        for namespace in self.namespaces.values():
            namespace.end()
        if reason != "reconnect failed":
            self._publish_all("disconnect", reason)

    # -- the transport's greenlets -------------------------------------------------------
    def _read(self, transport: ClientTransport) -> None:
        """Receive until the transport ends; a silent server ends it after the
        heartbeat timeout."""
        reason = "transport closed"
        try:
            while True:
                with gevent.Timeout(self.heartbeat_timeout or None,
                                    TransportClosed("heartbeat timeout")):
                    texts = transport.receive()
                self.payloads += 1
                for text in texts:
                    if self._transport is not transport or self.state is State.CLOSED:
                        return
                    self._dispatch(decode_packet(text))
        except TransportClosed as exc:
            reason = str(exc)
        except ProtocolError as exc:
            log.warning("%r: malformed packet from the server: %s", self, exc)
            reason = "protocol error"
        self._lost_from_io(reason)

    def _write(self, transport: ClientTransport) -> None:
        """Send queued packets in batches, once the server's ``1::`` has arrived."""
        self._connected.wait()
        while True:
            self._outbox_ready.wait()
            batch = [self._outbox[i] for i in range(min(len(self._outbox), BATCH_LIMIT))]
            if not batch:
                self._outbox_ready.clear()
                continue
            try:
                transport.send(batch)
            except TransportClosed as exc:
                self._lost_from_io(str(exc))
                return
            for _ in batch:
                self._outbox.popleft()

    def _lost_from_io(self, reason: str) -> None:
        """Report a lost transport from its own reader/writer, outside the io group."""
        if self.state is State.CONNECTED:
            self.spawn(self.lost, reason)
        elif self.state is State.CONNECTING and self._transport is not None:
            self._connected.set()  # wake _open, which then fails
            self._transport = None

    def _dispatch(self, packet: Packet) -> None:
        if isinstance(packet, HeartbeatPacket):
            self.heartbeats += 1
            self.put(HeartbeatPacket())
        elif isinstance(packet, NoopPacket):
            pass
        elif isinstance(packet, DisconnectPacket) and packet.endpoint == "":
            self.spawn(self._booted)
        else:
            if isinstance(packet, ConnectPacket) and packet.endpoint == "":
                self._connected.set()
            namespace = self.namespaces.get(packet.endpoint)
            if namespace is None:
                log.info("%r: packet for unknown namespace %r", self, packet.endpoint)
                return
            namespace.receive(packet)

    def _booted(self) -> None:
        """The server ended the session (``0::``): final, no reconnecting."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self._stop(self._io)
        if self.state is not State.CLOSED:
            self._finish("booted")

    # -- helpers -------------------------------------------------------------------------
    def _goodbye(self, transport: ClientTransport) -> None:
        try:
            with gevent.Timeout(2, TransportClosed("goodbye timed out")):
                transport.send([encode_packet(DisconnectPacket())])
        except TransportClosed:
            pass

    def _publish_all(self, event: str, *args: Any) -> None:
        for namespace in list(self.namespaces.values()):
            namespace.publish(event, *args)

    @staticmethod
    def _stop(group: gevent.pool.Group) -> None:
        current = gevent.getcurrent()
        for greenlet in list(group):
            if greenlet is not current:
                greenlet.kill(block=False)
