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
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..exceptions import InvalidStateError, ProtocolError
from ..protocol import (
    ConnectPacket,
    DisconnectPacket,
    HeartbeatPacket,
    decode_packet,
    decode_payload,
    encode_packet,
    encode_payload,
)
from .acks import NO_ACK
from .fairness import TurnTaker
from .inbound import ROUTES, join, route
from .loglimit import LogLimiter
from .outbox import Outbox
from .sessioncompat import ErrorHandler, SocketNames
from .timers import HubTimer

if TYPE_CHECKING:
    from ..namespace import BaseNamespace
    from ..transports.base import Transport
    from .config import ServerConfig
    from .manager import Manager

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

    # Members are singletons compared by identity, so identity's hash (in C) agrees with
    # equality; Enum's own hashes the name in Python, twice per state change.
    __hash__ = object.__hash__


#: The states as module globals: the per-packet and per-request checks read them ~10x
#: faster than an enum class attribute (~5 ns against ~50 ns on Python 3.11).
HANDSHAKEN = SessionState.HANDSHAKEN
CONNECTED = SessionState.CONNECTED
CLOSED = SessionState.CLOSED

_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.HANDSHAKEN: frozenset({SessionState.CONNECTED, SessionState.CLOSED}),
    SessionState.CONNECTED: frozenset({SessionState.CLOSED}),
    SessionState.CLOSED: frozenset(),
}


class Session(SocketNames):
    """The server side of one client (one ``sid``); gevent-socketio's ``Socket``
    names come from :class:`~geventsio.core.sessioncompat.SocketNames`."""

    # Every packet touches about ten of these; slots keep them cheap and small.
    __slots__ = ("sid", "manager", "config", "handshake", "state", "outbox", "namespaces",
                 "session", "transport", "environ", "namespace_classes", "request",
                 "close_reason", "error_handler", "json_dumps", "json_loads", "_last_seen",
                 "handling", "_heartbeat_timer", "_close_timer", "_overflowed",
                 "_log_limit", "_counters", "__weakref__")

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
        self.state = HANDSHAKEN
        self.outbox = Outbox(self.config.max_queue, self.config.max_buffer_bytes,
                             manager.budget)
        self.namespaces: dict[str, BaseNamespace] = {}
        #: gevent-socketio's per-process dict, shared by all namespaces of this client.
        self.session: dict[str, Any] = {}
        self.transport: Transport | None = None
        #: What the namespaces of this client are built from (set by the handler).
        self.environ: dict[str, Any] | None = None
        self.namespace_classes: dict[str, type] | None = None
        self.request: Any = None
        self.close_reason: str | None = None
        #: What ``socketio_manage(error_handler=, json_dumps=, json_loads=)`` gave.
        self.error_handler: ErrorHandler | None = None
        self.json_dumps: Callable[[Any], str] | None = None
        self.json_loads: Callable[[str], Any] | None = None
        self._last_seen = time.monotonic()
        #: How many of this client's handlers are running now (no heartbeat timeout meanwhile).
        self.handling = 0
        self._overflowed = False  # the outbox overflowed once: the close is on its way
        self._counters = manager.counters
        self._log_limit: LogLimiter | None = None  # made by the first client_log()
        self._heartbeat_timer: HubTimer | None = None
        #: Counts close_timeout from the last detach (or the handshake); stopped while a
        #: transport is attached. One per session, really restarted on every detach.
        self._close_timer: HubTimer | None = HubTimer.started(
            self.config.close_timeout, self._on_close_timeout)

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
        return self.state is not CLOSED

    def client_log(self, level: int, cause: str, message: str, *args: Any,
                   exc_info: bool = False) -> None:
        """Log a line this client caused (bad input, a handler that raised): at most a
        few per ``cause`` per minute, so that no client can flood the log."""
        limiter = self._log_limit
        if limiter is None:
            limiter = self._log_limit = LogLimiter()
        suffix = limiter.check(cause)
        if suffix is not None:
            log.log(level, "session %s: " + message + "%s", self.sid, *args, suffix,
                    exc_info=exc_info)

    # -- state -------------------------------------------------------------------------
    def _move_to(self, wanted: SessionState) -> None:
        if wanted not in _TRANSITIONS[self.state]:
            raise InvalidStateError(self.state, wanted)
        self.state = wanted

    # -- transports --------------------------------------------------------------------
    def attach(self, transport: Transport) -> None:
        """A transport starts carrying this session; the first one connects it.

        Raises InvalidStateError when the session has closed.
        """
        if self.state is CLOSED:
            raise InvalidStateError(self.state, CONNECTED)
        previous, self.transport = self.transport, transport
        if previous is not None and previous is not transport:
            previous.replaced()
        if self._close_timer is not None:
            self._close_timer.stop()  # kept for the next detach, which restarts it
        self._last_seen = time.monotonic()
        if transport.streaming:
            self._start_heartbeats()
        self.open()

    def open(self) -> None:
        """Connect a handshaken session: queue ``1::`` and join the default namespace.

        The first transport request does this, whether a poll or a POST. Does nothing
        once connected.
        """
        if self.state is HANDSHAKEN:
            self._move_to(CONNECTED)
            self.outbox.put(CONNECT)
            self.connect_namespace("")

    def detach(self, transport: Transport, final: bool = False) -> None:
        """A transport stopped carrying this session.

        ``final`` means the client is gone with it (a closed websocket); otherwise the
        session waits ``close_timeout`` for the next transport (the next poll).
        """
        if self.transport is not transport:
            return
        self.transport = None
        self._stop_timer("_heartbeat_timer")
        if self.state is CLOSED:
            return
        if final:
            self.close("transport closed", notify=False)
        elif self._close_timer is not None:
            self._close_timer.restart()

    # -- outbound ----------------------------------------------------------------------
    def put(self, text: str) -> bool:
        """Queue one encoded packet for this client; False if it was not queued.

        Nothing is queued for a closed session. A client whose queue is full (too many
        packets or too many bytes waiting) is disconnected, once, and what waited for it
        is dropped at once (it is not reading it): packets are never dropped silently.
        When the server-wide ``max_total_buffer_bytes`` is what refuses it, the client
        with the most bytes waiting is disconnected instead and the packet queued.
        """
        if self.state is CLOSED or self._overflowed:
            return False
        outbox = self.outbox
        if outbox.put(text) or (outbox.over_budget(text) and self.manager.relieve_budget()
                                and not self._overflowed and outbox.put(text)):
            self._counters.packets_out += 1
            return True
        self.overflowed("too much waiting")
        return False

    def overflowed(self, why: str) -> None:
        """Disconnect this client, which lets too much wait for it (once): what waited is
        dropped at once, and the close runs in a greenlet of the manager."""
        if self._overflowed or self.state is CLOSED:
            return
        self._overflowed = True
        self._counters.slow_disconnects += 1
        log.warning("session %s: %s: %d packets (%d bytes) waiting, disconnecting slow "
                    "client", self.sid, why, len(self.outbox), self.outbox.size)
        self.outbox.take_all()
        self.manager.spawn(self.close, "outbox full", False)

    def put_volatile(self, text: str) -> bool:
        """Queue a packet that may be lost: only if the transport can write it now.

        That is a websocket whose writer is not backed up, or a long poll that is still
        waiting. Otherwise (between two polls, a stalled peer, a full queue) the packet is
        dropped and False returned; it never waits in the queue.
        """
        transport = self.transport
        if (self.state is not CONNECTED or transport is None
                or not transport.ready_for_volatile() or not self.outbox.put(text)):
            self._counters.volatile_dropped += 1
            return False
        self._counters.packets_out += 1
        return True

    def send_packet(self, packet: Any) -> None:
        """Encode and queue one packet: a packet object, or a gevent-socketio dict
        (``{'type': 'event', 'name': ..., 'args': [...], 'endpoint': ...}``, see
        :mod:`geventsio.packet`; a bad one raises ProtocolError)."""
        if isinstance(packet, Mapping):
            self.put(self.legacy_packet(packet))
        else:
            self.put(encode_packet(packet))

    # -- inbound -----------------------------------------------------------------------
    def receive_payload(self, text: str) -> None:
        """Handle a (possibly framed) payload from a polling POST.

        Raises ProtocolError if the framing is malformed, before any packet of the payload
        is handled; a well-framed but malformed packet is answered by :meth:`receive`.
        A long payload takes turns with the other connections (see geventsio.core.fairness).
        """
        turns = TurnTaker()
        for packet_text in decode_payload(text, self.config.max_packets_per_payload):
            self.receive(packet_text)
            turns.tick()

    def receive(self, text: str) -> None:
        """Decode and dispatch one packet; a malformed one is logged and answered.

        The client gets an ``error`` event naming the problem; the session goes on.
        """
        self._last_seen = time.monotonic()
        self._counters.packets_in += 1
        try:
            packet = decode_packet(text)
        except ProtocolError as exc:
            self._counters.protocol_errors += 1
            self.client_log(logging.WARNING, "malformed_packet", "malformed packet %.100r: %s",
                            text, exc)
            self.error("malformed_packet", exc.message, "")
            return
        if self.state is not CLOSED:  # dispatch() and route(), without calls
            handler = ROUTES.get(type(packet))
            if handler is not None:
                handler(self, packet)

    def dispatch(self, packet: Any) -> None:
        """Route one decoded packet to the namespace it names (see core.inbound)."""
        if self.state is not CLOSED:
            route(self, packet)

    # -- namespaces --------------------------------------------------------------------
    def connect_namespace(self, endpoint: str) -> None:
        """Join the client to a namespace (see :func:`geventsio.core.inbound.join`)."""
        join(self, endpoint)

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
        if self.state is CLOSED:
            return
        if notify:
            self.outbox.put(DISCONNECT)
        self._move_to(CLOSED)
        self.close_reason = reason
        log.debug("session %s closed: %s", self.sid, reason)
        self._stop_timer("_heartbeat_timer")
        self._stop_timer("_close_timer")
        for endpoint in sorted(self.namespaces, reverse=True):  # '' last
            namespace = self.namespaces.get(endpoint)
            if namespace is not None:
                namespace.session_ended(reason)
        for endpoint in list(self.namespaces):  # only if a namespace failed to end
            self.forget_namespace(endpoint)
        self.manager.remove(self)
        self.outbox.wake()
        transport = self.transport
        if transport is not None:
            transport.session_closed()
        elif notify and len(self.outbox):
            self.manager.keep_farewell(self.sid, encode_payload(self.outbox.take_all()))
        self.outbox.release()
        # environ['socketio'] is this session: dropping the environ ends that cycle, so
        # reference counting frees both now (namespaces keep their own reference to it).
        self.environ = None

    # -- timers ------------------------------------------------------------------------
    def _on_close_timeout(self) -> None:
        self._stop_timer("_close_timer")
        self.manager.spawn(self.close, "close timeout", False)

    def _start_heartbeats(self) -> None:
        self._stop_timer("_heartbeat_timer")
        self._heartbeat_timer = HubTimer.started(
            self.config.heartbeat_interval, self._on_heartbeat_tick, repeat=True)

    def _on_heartbeat_tick(self) -> None:
        silent_for = time.monotonic() - self._last_seen
        if silent_for > self.config.heartbeat_timeout and not self.handling:
            self._stop_timer("_heartbeat_timer")
            log.info("session %s: no heartbeat for %.1fs", self.sid, silent_for)
            self.manager.spawn(self.close, "heartbeat timeout", False)
            return
        self.put(HEARTBEAT)

    def _stop_timer(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.close()
            setattr(self, name, None)


