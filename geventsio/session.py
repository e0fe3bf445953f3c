"""One client connection: its state, outgoing queue, namespaces, timers and greenlets.

A session is created at handshake and outlives any single HTTP request: a polling client
attaches a new transport for every poll, a websocket client attaches once. The session owns
everything about its client: state, outbox, namespace instances (each owning the greenlets
its handlers spawned), heartbeat and close timers (hub timers, not greenlets). When it
closes, all of that goes with it; the websocket transport owns its one writer greenlet.

Inbound packets are dispatched in the greenlet that read them (the websocket reader or the
POST request), so one client's packets reach its handlers in the order sent, and a handler
that blocks delays only its own client. While a handler runs, the heartbeat timeout is not
enforced, so a slow handler does not get its client disconnected.
"""

from __future__ import annotations

import enum
import logging
import time
from typing import TYPE_CHECKING, Any, Callable

import gevent

from .acks import NO_ACK, ack_args
from .config import PACKETS_PER_TURN
from .exceptions import InvalidStateError, ProtocolError
from .outbox import Outbox
from .protocol import (
    AckPacket,
    ConnectPacket,
    DisconnectPacket,
    ErrorPacket,
    ErrorReason,
    EventPacket,
    HeartbeatPacket,
    JsonPacket,
    MessagePacket,
    NoopPacket,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
)

if TYPE_CHECKING:
    from .config import ServerConfig
    from .manager import Manager
    from .namespace import BaseNamespace

__all__ = ["SessionState", "Session", "NO_ACK"]

log = logging.getLogger("geventsio.session")

HEARTBEAT = encode_packet(HeartbeatPacket())
DISCONNECT = encode_packet(DisconnectPacket())
CONNECT = encode_packet(ConnectPacket())


class SessionState(enum.Enum):
    """Where a session is in its life."""

    HANDSHAKEN = "handshaken"  # sid issued, no transport has attached yet
    CONNECTED = "connected"  # a transport attached and ``1::`` was queued
    CLOSED = "closed"  # ended; nothing of it is kept


_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.HANDSHAKEN: frozenset({SessionState.CONNECTED, SessionState.CLOSED}),
    SessionState.CONNECTED: frozenset({SessionState.CLOSED}),
    SessionState.CLOSED: frozenset(),
}


class Session:
    """The server side of one client (one ``sid``)."""

    # Every packet touches about ten of these; slots keep them cheap and small.
    __slots__ = ("sid", "manager", "config", "handshake", "state", "outbox", "namespaces",
                 "session", "transport", "environ", "namespace_classes", "request",
                 "close_reason", "_last_seen", "_dispatching", "_heartbeat_timer",
                 "_close_timer", "__weakref__")

    def __init__(
        self,
        sid: str,
        manager: "Manager",
        handshake: dict[str, Any],
    ) -> None:
        self.sid = sid
        self.manager = manager
        self.config: ServerConfig = manager.config
        self.handshake = handshake
        self.state = SessionState.HANDSHAKEN
        self.outbox = Outbox(self.config.max_queue)
        self.namespaces: dict[str, BaseNamespace] = {}
        #: gevent-socketio's per-process dict, shared by all namespaces of this client.
        self.session: dict[str, Any] = {}
        self.transport: Any = None
        #: What the namespaces of this client are built from (set by the handler).
        self.environ: dict[str, Any] | None = None
        self.namespace_classes: dict[str, type] | None = None
        self.request: Any = None
        self.close_reason: str | None = None
        self._last_seen = time.monotonic()
        self._dispatching = 0
        self._heartbeat_timer: Any = None
        self._close_timer: Any = None
        self._start_close_timer()

    def __repr__(self) -> str:
        return f"<Session {self.sid} {self.state.value}>"

    # -- gevent-socketio names -------------------------------------------------------
    @property
    def sessid(self) -> str:
        """gevent-socketio's name for :attr:`sid`."""
        return self.sid

    @property
    def connected(self) -> bool:
        """True while the session has not closed."""
        return self.state is not SessionState.CLOSED

    # -- state -------------------------------------------------------------------------
    def _move_to(self, wanted: SessionState) -> None:
        if wanted not in _TRANSITIONS[self.state]:
            raise InvalidStateError(self.state, wanted)
        self.state = wanted

    # -- transports --------------------------------------------------------------------
    def attach(self, transport: Any) -> None:
        """A transport starts carrying this session; the first one connects it.

        Raises InvalidStateError when the session has closed.
        """
        if self.state is SessionState.CLOSED:
            raise InvalidStateError(self.state, SessionState.CONNECTED)
        previous, self.transport = self.transport, transport
        if previous is not None and previous is not transport:
            previous.replaced()
        if self._close_timer is not None:
            self._close_timer.stop()  # kept for the next detach: no new timer per poll
        self._last_seen = time.monotonic()
        if transport.streaming:
            self._start_heartbeats()
        self.open()

    def open(self) -> None:
        """Connect a handshaken session: queue ``1::`` and join the default namespace.

        The first transport request does this, whether a poll or a POST. Does nothing
        once connected.
        """
        if self.state is SessionState.HANDSHAKEN:
            self._move_to(SessionState.CONNECTED)
            self.outbox.put(CONNECT)
            self.connect_namespace("")

    def detach(self, transport: Any, final: bool = False) -> None:
        """A transport stopped carrying this session.

        ``final`` means the client is gone with it (a closed websocket); otherwise the
        session waits ``close_timeout`` for the next transport (the next poll).
        """
        if self.transport is not transport:
            return
        self.transport = None
        self._stop_timer("_heartbeat_timer")
        if self.state is SessionState.CLOSED:
            return
        if final:
            self.close("transport closed", notify=False)
        else:
            self._start_close_timer()

    # -- outbound ----------------------------------------------------------------------
    def put(self, text: str) -> bool:
        """Queue one encoded packet for this client; False if it was not queued.

        Nothing is queued for a closed session. A client whose queue is full is
        disconnected: packets are never dropped silently.
        """
        if self.state is SessionState.CLOSED:
            return False
        if self.outbox.put(text):
            return True
        log.warning("session %s: %d packets waiting, disconnecting slow client",
                    self.sid, len(self.outbox))
        self.manager.spawn(self.close, "outbox full", False)
        return False

    def put_volatile(self, text: str) -> bool:
        """Queue a packet that may be lost: only if the transport can write it now.

        That is a websocket whose writer is not backed up, or a long poll that is still
        waiting. Otherwise (between two polls, a stalled peer, a full queue) the packet is
        dropped and False returned; it never waits in the queue.
        """
        transport = self.transport
        if (self.state is not SessionState.CONNECTED or transport is None
                or not transport.ready_for_volatile()):
            return False
        return self.outbox.put(text)

    def send_packet(self, packet: Any) -> None:
        """Encode and queue one packet object."""
        self.put(encode_packet(packet))

    # -- inbound -----------------------------------------------------------------------
    def receive_payload(self, text: str) -> None:
        """Handle a (possibly framed) payload from a polling POST.

        Raises ProtocolError if the framing is malformed, before any packet of the payload
        is handled; a well-framed but malformed packet is answered by :meth:`receive`.
        Every ``PACKETS_PER_TURN`` packets the other greenlets get a turn.
        """
        packets = decode_payload(text, self.config.max_packets_per_payload)
        for count, packet_text in enumerate(packets, 1):
            self.receive(packet_text)
            if count % PACKETS_PER_TURN == 0:
                gevent.sleep(0)  # every other connection gets its turn (security.md)

    def receive(self, text: str) -> None:
        """Decode and dispatch one packet; a malformed one is logged and answered.

        The client gets an ``error`` event naming the problem; the session goes on.
        """
        self._last_seen = time.monotonic()
        try:
            packet = decode_packet(text)
        except ProtocolError as exc:
            log.warning("session %s: malformed packet %.100r: %s", self.sid, text, exc)
            self._report_error("", "malformed_packet", exc.message)
            return
        self.dispatch(packet)

    def dispatch(self, packet: Any) -> None:
        """Route one decoded packet to the namespace it names."""
        if self.state is SessionState.CLOSED:
            return
        handler = _DISPATCH.get(type(packet))
        if handler is not None:
            handler(self, packet)

    def _on_disconnect(self, packet: DisconnectPacket) -> None:
        if packet.endpoint == "":
            self.close("client disconnect", notify=False)
            return
        namespace = self.namespaces.get(packet.endpoint)
        if namespace is not None:
            namespace._end("client disconnect")

    def _on_connect(self, packet: ConnectPacket) -> None:
        if packet.endpoint == "":
            return  # the default namespace connects with the transport
        self.connect_namespace(packet.endpoint)

    def _on_data(self, packet: Any) -> None:
        namespace = self.namespaces.get(packet.endpoint)
        if namespace is None:
            log.warning("session %s: packet for namespace %r it has not joined",
                        self.sid, packet.endpoint)
            return
        if packet.id is not None and not packet.data_ack:
            self.send_packet(AckPacket(packet.id, (), packet.endpoint))
        self._dispatching += 1
        try:
            result = namespace._handle(packet)
        finally:
            self._dispatching -= 1
        if packet.id is not None and packet.data_ack and result is not NO_ACK:
            self.send_packet(AckPacket(packet.id, ack_args(result), packet.endpoint))

    def _on_ack(self, packet: AckPacket) -> None:
        namespace = self.namespaces.get(packet.endpoint)
        if namespace is not None:
            namespace._on_ack(packet.ack_id, packet.args)

    def _on_error(self, packet: ErrorPacket) -> None:
        log.info("session %s: client reported error %s on %r", self.sid, packet.reason,
                 packet.endpoint)

    def _ignore(self, packet: Any) -> None:
        pass

    def _report_error(self, endpoint: str, name: str, message: str) -> None:
        self.send_packet(EventPacket("error", (name, message), endpoint))

    # -- namespaces --------------------------------------------------------------------
    def connect_namespace(self, endpoint: str) -> None:
        """Join the client to a namespace: instantiate it, confirm, call ``recv_connect``.

        An unknown namespace, or one whose ``authorize`` refuses, gets ``7::<ns>:2``; one
        whose constructor (``initialize``) raises gets ``7::<ns>`` and a log line.
        """
        if endpoint in self.namespaces:
            if endpoint:
                self.send_packet(ConnectPacket(endpoint))
            return
        classes = self.namespace_classes or {}
        cls = classes.get(endpoint)
        if cls is None and endpoint == "":
            from .namespace import BaseNamespace

            cls = BaseNamespace
        if cls is None:
            log.warning("session %s: connect to unknown namespace %r refused", self.sid, endpoint)
            self.send_packet(ErrorPacket(ErrorReason.UNAUTHORIZED, None, endpoint))
            return
        environ = self.environ if self.environ is not None else {"socketio": self}
        try:
            namespace = cls(environ, endpoint, request=self.request)
        except Exception:
            log.exception("session %s: creating namespace %r failed", self.sid, endpoint)
            self.send_packet(ErrorPacket(None, None, endpoint))
            return
        if not namespace._authorized(self.handshake):
            log.info("session %s: namespace %r refused by authorize()", self.sid, endpoint)
            namespace._discard()
            self.send_packet(ErrorPacket(ErrorReason.UNAUTHORIZED, None, endpoint))
            return
        self.namespaces[endpoint] = namespace
        self.manager.index.add_member(endpoint, self.sid)
        if endpoint:
            self.send_packet(ConnectPacket(endpoint))
        self._dispatching += 1
        try:
            namespace._connected()
        finally:
            self._dispatching -= 1

    def forget_namespace(self, endpoint: str) -> None:
        """Remove a namespace instance that has ended (called by the namespace); the
        client leaves the namespace's member list and all its rooms there."""
        if self.namespaces.pop(endpoint, None) is not None:
            self.manager.index.remove_member(endpoint, self.sid)

    # -- ending ------------------------------------------------------------------------
    def close(self, reason: str = "server disconnect", notify: bool = True) -> None:
        """End the session: namespaces get ``recv_disconnect``, everything is released.

        ``notify`` sends ``0::`` to the client first (a server-side disconnect).
        Closing twice does nothing.
        """
        if self.state is SessionState.CLOSED:
            return
        if notify:
            self.outbox.put(DISCONNECT)
        self._move_to(SessionState.CLOSED)
        self.close_reason = reason
        log.debug("session %s closed: %s", self.sid, reason)
        self._stop_timer("_heartbeat_timer")
        self._stop_timer("_close_timer")
        for endpoint in sorted(self.namespaces, reverse=True):  # '' last
            namespace = self.namespaces.get(endpoint)
            if namespace is not None:
                namespace._end(reason)
        for endpoint in list(self.namespaces):  # only if a namespace failed to end
            self.forget_namespace(endpoint)
        self.manager.remove(self)
        self.outbox.wake()
        transport = self.transport
        if transport is not None:
            transport.session_closed()
        elif notify and len(self.outbox):
            self.manager.keep_farewell(self.sid, encode_payload(self.outbox.take_all()))

    # -- timers ------------------------------------------------------------------------
    def _start_close_timer(self) -> None:
        if self.state is SessionState.CLOSED:
            return
        timer = self._close_timer
        if timer is None:
            timer = self._close_timer = gevent.get_hub().loop.timer(self.config.close_timeout)
        else:
            timer.stop()
        timer.start(self._on_close_timeout)

    def _on_close_timeout(self) -> None:
        self._stop_timer("_close_timer")
        self.manager.spawn(self.close, "close timeout", False)

    def _start_heartbeats(self) -> None:
        self._stop_timer("_heartbeat_timer")
        interval = self.config.heartbeat_interval
        timer = gevent.get_hub().loop.timer(interval, interval)
        timer.start(self._on_heartbeat_tick)
        self._heartbeat_timer = timer

    def _on_heartbeat_tick(self) -> None:
        silent_for = time.monotonic() - self._last_seen
        if silent_for > self.config.heartbeat_timeout and not self._dispatching:
            self._stop_timer("_heartbeat_timer")
            log.info("session %s: no heartbeat for %.1fs", self.sid, silent_for)
            self.manager.spawn(self.close, "heartbeat timeout", False)
            return
        self.put(HEARTBEAT)

    def _stop_timer(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.stop()
            timer.close()
            setattr(self, name, None)


_DISPATCH: dict[type, Callable[[Session, Any], None]] = {
    DisconnectPacket: Session._on_disconnect,
    ConnectPacket: Session._on_connect,
    HeartbeatPacket: Session._ignore,
    MessagePacket: Session._on_data,
    JsonPacket: Session._on_data,
    EventPacket: Session._on_data,
    AckPacket: Session._on_ack,
    ErrorPacket: Session._on_error,
    NoopPacket: Session._ignore,
}
