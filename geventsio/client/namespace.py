"""One endpoint of a client connection: events in (``on``, ``wait_for``), events out
(``emit``, ``send``), and the acks of both directions.

A :class:`ClientNamespace` is made by :meth:`Client.of <geventsio.client.Client.of>`,
which also joins it. Packets the server sends to its endpoint arrive in
:meth:`ClientNamespace.receive`; listeners of server events run in greenlets the client
owns, so a listener may block (emit and wait, call ``wait_for``) without stopping the
reader. The client's own lifecycle events (``connect``, ``disconnect``, ``reconnecting``,
``reconnect``, ``reconnect_failed``, ``connect_failed``, ``error``) are published the same
way, as the 0.9 JavaScript client does, so ``wait_for('reconnect')`` works.
"""

from __future__ import annotations

import collections
import logging
from typing import TYPE_CHECKING, Any, Callable

import gevent
import gevent.event

from ..core.acks import AckRegistry, accepts_arguments, ack_args
from ..exceptions import AckTimeout, ErrorReason
from ..protocol import (
    AckPacket,
    ConnectPacket,
    DisconnectPacket,
    ErrorPacket,
    EventPacket,
    JsonPacket,
    MessagePacket,
    Packet,
)
from .errors import NamespaceRefused, NotConnected

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["ClientNamespace", "INBOX_LIMIT", "DEFAULT_ACK_TIMEOUT"]

log = logging.getLogger("geventsio.client")

#: How many events a namespace keeps for :meth:`ClientNamespace.wait_for` (oldest dropped).
INBOX_LIMIT = 1000
#: Seconds an emit/send callback waits for the server's ack before it is dropped.
DEFAULT_ACK_TIMEOUT = 60.0

Listener = Callable[..., Any]


class ClientNamespace:
    """The client's side of one namespace (``''`` is the main one)."""

    def __init__(self, client: "Client", endpoint: str) -> None:
        self.client = client
        self.endpoint = endpoint
        self.joined = gevent.event.Event()  # set while the server has confirmed it
        self.refused = False
        self.wanted = True  # joined again after a reconnection; False once left
        self._listeners: dict[str, list[Listener]] = {}
        self._inbox: collections.deque[tuple[str, tuple[Any, ...]]] = collections.deque(
            maxlen=INBOX_LIMIT)
        self._arrived = gevent.event.Event()
        self._acks = AckRegistry(self, client.spawn)

    def __repr__(self) -> str:
        return f"<ClientNamespace {self.endpoint!r} of {self.client.sid}>"

    # -- listening -----------------------------------------------------------------------
    def on(self, event: str, fn: Listener | None = None) -> Any:
        """Call ``fn(*args)`` for every ``event`` the server sends here.

        When the server asks for a data ack, the return value of the first listener
        answers it (``None`` -> no arguments, a tuple -> several, anything else -> one).
        Usable as a decorator: ``@chat.on('news')``. Returns ``fn``.
        """
        if fn is None:
            return lambda f: self.on(event, f)
        self._listeners.setdefault(event, []).append(fn)
        return fn

    def off(self, event: str, fn: Listener) -> None:
        """Stop calling ``fn`` for ``event`` (a no-op if it was not listening)."""
        listeners = self._listeners.get(event, [])
        if fn in listeners:
            listeners.remove(fn)

    def wait_for(self, event: str, timeout: float = 10.0) -> tuple[Any, ...]:
        """Return the args of the oldest ``event`` not yet returned by ``wait_for``.

        Events are kept from the moment the namespace was made (up to
        :data:`INBOX_LIMIT`), so one that arrived before the call is not missed.
        Raises the builtin ``TimeoutError`` after ``timeout`` seconds.
        """
        failure = TimeoutError(f"no {event!r} event on namespace {self.endpoint!r}"
                               f" within {timeout:g}s")
        with gevent.Timeout(timeout, failure):
            while True:
                for index, (name, args) in enumerate(self._inbox):
                    if name == event:
                        del self._inbox[index]
                        return args
                self._arrived.clear()
                self._arrived.wait()

    # -- sending -------------------------------------------------------------------------
    def emit(self, event: str, *args: Any, callback: Listener | None = None,
             timeout: float = DEFAULT_ACK_TIMEOUT,
             on_timeout: Callable[[AckTimeout], Any] | None = None) -> None:
        """Send event ``event`` with JSON-able ``args``.

        With ``callback`` the packet asks for a data ack (``5:N+::``) and ``callback``
        runs with the ack's arguments (with none if it takes none). If no ack comes
        within ``timeout`` seconds the callback is dropped and ``on_timeout`` (if given)
        gets an :class:`~geventsio.AckTimeout`. Raises
        :class:`~geventsio.client.NotConnected` after a final disconnect.
        """
        packet_id = self._register(callback, timeout, on_timeout, event)
        self.client.put(EventPacket(event, args, self.endpoint, packet_id,
                                    packet_id is not None))

    def send(self, message: Any, json: bool = False, callback: Listener | None = None,
             timeout: float = DEFAULT_ACK_TIMEOUT,
             on_timeout: Callable[[AckTimeout], Any] | None = None) -> None:
        """Send a message (a string, or with ``json=True`` any JSON-able value).

        A ``callback`` that takes no arguments asks for a plain ack (``3:N::``), one
        that takes arguments for a data ack (``3:N+::``). Timeouts as for :meth:`emit`.
        """
        packet_id = self._register(callback, timeout, on_timeout,
                                   "json" if json else "message")
        data_ack = packet_id is not None and accepts_arguments(callback)  # type: ignore[arg-type]
        packet_class: Any = JsonPacket if json else MessagePacket
        self.client.put(packet_class(message, self.endpoint, packet_id, data_ack))

    def disconnect(self) -> None:
        """Leave this namespace (``0::/ns``); on ``''`` disconnect the whole client."""
        if self.endpoint == "":
            self.client.disconnect()
            return
        self.wanted = False
        self.client.leave(self)
        self.joined.clear()
        self._acks.drop_all()

    def _register(self, callback: Listener | None, timeout: float,
                  on_timeout: Callable[[AckTimeout], Any] | None, event: str) -> int | None:
        if callback is None:
            if on_timeout is not None:
                raise TypeError("on_timeout needs a callback")
            return None
        ack_id, _ = self._acks.register(callback, timeout, on_timeout, event)
        return ack_id

    # -- what the client calls -----------------------------------------------------------
    def receive(self, packet: Packet) -> None:
        """Handle one packet the server sent to this endpoint (not heartbeats/noops)."""
        if isinstance(packet, ConnectPacket):
            self.refused = False
            self.joined.set()
            self.publish("connect")
        elif isinstance(packet, DisconnectPacket):
            self.wanted = False  # the server sent us away: do not rejoin by ourselves
            self.joined.clear()
            self.publish("disconnect", "booted")
        elif isinstance(packet, EventPacket):
            self._deliver(packet.name, packet.args, packet.id if packet.data_ack else None)
        elif isinstance(packet, (MessagePacket, JsonPacket)):
            self._message(packet)
        elif isinstance(packet, AckPacket):
            self._acks.resolve(packet.ack_id, packet.args)
        elif isinstance(packet, ErrorPacket):
            self._error(packet)

    def publish(self, event: str, *args: Any) -> None:
        """Record a local (lifecycle) event and run its listeners now, in this greenlet."""
        self._record(event, args)
        for fn in list(self._listeners.get(event, ())):
            _call_listener(self, fn, args)

    def wait_joined(self, timeout: float) -> None:
        """Block until the server confirms this namespace; raises NamespaceRefused or
        TimeoutError."""
        failure = TimeoutError(f"the server did not confirm namespace {self.endpoint!r}"
                               f" within {timeout:g}s")
        with gevent.Timeout(timeout, failure):
            while not self.joined.is_set():
                if self.refused:
                    raise NamespaceRefused(self.endpoint)
                self._arrived.clear()
                self._arrived.wait()

    def end(self) -> None:
        """The client is gone for good: forget pending acks."""
        self.joined.clear()
        self._acks.drop_all()

    def _message(self, packet: MessagePacket | JsonPacket) -> None:
        if packet.id is not None and not packet.data_ack:
            self.client.put(AckPacket(packet.id, (), self.endpoint))  # plain ack: answer now
        self._deliver("message", (packet.data,), packet.id if packet.data_ack else None)

    def _error(self, packet: ErrorPacket) -> None:
        if packet.advice is not None:
            self.client.lost(f"the server said {packet.reason!r}, advice reconnect")
        elif packet.reason == ErrorReason.UNAUTHORIZED:
            self.refused = True
            self.wanted = False
            self.publish("connect_failed", "unauthorized")
        else:
            self.publish("error", packet.reason.name.lower() if packet.reason else None)

    def _deliver(self, event: str, args: tuple[Any, ...], ack_id: int | None) -> None:
        self._record(event, args)
        listeners = list(self._listeners.get(event, ()))
        if listeners:
            self.client.spawn(self._run_listeners, listeners, args, ack_id)

    def _run_listeners(self, listeners: list[Listener], args: tuple[Any, ...],
                       ack_id: int | None) -> None:
        results = [_call_listener(self, fn, args) for fn in listeners]
        if ack_id is not None and results[0] is not _FAILED:
            try:
                self.client.put(AckPacket(ack_id, ack_args(results[0]), self.endpoint))
            except NotConnected:
                log.info("%r: the client ended before ack %d could be sent", self, ack_id)

    def _record(self, event: str, args: tuple[Any, ...]) -> None:
        self._inbox.append((event, args))
        self._arrived.set()


_FAILED = object()


def _call_listener(namespace: ClientNamespace, fn: Listener, args: tuple[Any, ...]) -> Any:
    try:
        return fn(*args)
    except Exception:
        log.exception("%r: listener %r raised", namespace, fn)
        return _FAILED
