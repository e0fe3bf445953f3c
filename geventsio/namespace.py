"""``BaseNamespace``: the class applications subclass to handle one endpoint.

One instance exists per client per namespace. Incoming packets are turned into calls in
one place (:meth:`BaseNamespace.session_packet`): ``message`` -> ``recv_message(data)``, ``json``
-> ``recv_json(data)``, event ``my event`` -> ``on_my_event(*args)``. The return value of
the call becomes the data of the ack when the client asked for one. Event names are
validated before any method is looked up, handler arities are checked once per class, and
a handler that raises is logged while the client gets an ``error`` event and keeps its
session.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Callable

import gevent
from gevent.pool import Group

from .core.acks import NO_ACK, AckRegistry
from .core.loglimit import first_traceback
from .core.signatures import ARITY_CACHE, MANY, handler_arity
from .emitter import Emitter
from .exceptions import AckTimeout, LimitExceeded
from .namespacecompat import NamespaceNames
from .protocol import (
    DisconnectPacket,
    EventPacket,
    JsonPacket,
    encode_event,
    encode_packet,
    message_packet,
)
from .protocol.dicts import to_dict

if TYPE_CHECKING:
    from .core.session import Session

__all__ = ["BaseNamespace", "RESERVED_EVENTS"]

log = logging.getLogger("geventsio.namespace")

#: Event names a client may not emit: they name lifecycle events, not application ones.
RESERVED_EVENTS = frozenset(
    {"connect", "connecting", "disconnect", "message", "json", "open", "close", "error",
     "retry", "reconnect", "reconnecting", "newListener", "connect_failed", "reconnect_failed"}
)

_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ ]{0,127}\Z")
#: Valid event name -> handler method name, so the checks run once per name.
_METHOD_NAMES: dict[str, str] = {}
_METHOD_NAMES_LIMIT = 1024
#: The ACL check of a class that does not override it (_call then makes it inline).
_PLAIN_ACL = NamespaceNames.is_method_allowed


class BaseNamespace(NamespaceNames):
    """Handles the packets of one client on one endpoint (``''``, ``'/chat'``, ...).

    Override ``recv_connect``, ``recv_disconnect``, ``recv_message``, ``recv_json`` and
    ``on_<event>`` methods; call ``emit``, ``send``, ``disconnect`` and ``spawn``.
    gevent-socketio's other names (ACL hooks, ``process_packet``, ``jobs``, ...) come
    from :class:`~geventsio.namespacecompat.NamespaceNames`. ``__init__`` calls
    ``super().__init__()`` (no arguments) before ``initialize()``, so cooperative
    mixins listed after ``BaseNamespace`` set up their state.
    """

    def __init__(self, environ: dict[str, Any], ns_name: str, request: Any = None) -> None:
        self.environ = environ
        self.socket: Session = environ["socketio"]
        #: gevent-socketio's per-process dict, shared by all namespaces of the client.
        self.session: dict[str, Any] = self.socket.session
        self.request = request
        self.ns_name = ns_name
        self.allowed_methods: set[str] | None = None
        self._ack_registry: AckRegistry | None = None  # made by the first emit with a callback
        self._greenlets: Group | None = None
        self._ended = False
        self.reset_acl()
        super().__init__()  # cooperative mixins after us in the MRO (as gevent-socketio)
        self.initialize()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ns_name!r} of {self.socket.sid}>"

    @property
    def _acks(self) -> AckRegistry:
        """Callbacks waiting for this client's acks (made on first use: most never are)."""
        registry = self._ack_registry
        if registry is None:
            registry = self._ack_registry = AckRegistry(self, self.spawn)
        return registry

    # -- things to override ------------------------------------------------------------
    def initialize(self) -> None:
        """Called at the end of ``__init__``; set up per-client state here."""

    def authorize(self, handshake: dict[str, Any]) -> bool:
        """Whether this client may join the namespace (refused -> ``7::<ns>:2``)."""
        return True

    def recv_connect(self) -> None:
        """The client joined this namespace."""

    def recv_disconnect(self) -> None:
        """The client left (or was disconnected); a notification, cleanup happens anyway."""

    def recv_message(self, data: str) -> Any:
        """A ``send()`` from the client; the return value answers a data ack."""
        log.debug("%r: unhandled message %.100r", self, data)

    def recv_json(self, data: Any) -> Any:
        """A ``json.send()`` from the client; the return value answers a data ack."""
        log.debug("%r: unhandled json message %.100r", self, data)

    # -- properties ----------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The wire name of this namespace (same as ``ns_name``)."""
        return self.ns_name

    @property
    def broadcast(self) -> Emitter:
        """Everyone in this namespace but this client (``self.broadcast.emit(...)``);
        chain ``.to(room)`` for a room's members but this client, ``.volatile`` too."""
        return Emitter(self.socket.manager, self.ns_name, sid=self.socket.sid, broadcast=True)

    @property
    def io(self) -> Emitter:
        """Everyone in this namespace, this client included (``self.io.emit(...)``);
        ``self.io.in_(room)`` for a room's members."""
        return Emitter(self.socket.manager, self.ns_name)

    @property
    def volatile(self) -> Emitter:
        """This client, if its transport can take a packet now; otherwise the packet is
        dropped (``self.volatile.emit(...)``). Chains with ``broadcast`` and ``to``."""
        return Emitter(self.socket.manager, self.ns_name, sid=self.socket.sid, volatile=True)

    # -- rooms -------------------------------------------------------------------------
    def join(self, room: str) -> None:
        """Put this client in ``room`` of this namespace (created on first join).

        Raises LimitExceeded for a name longer than ``max_room_name_length`` or a client
        already in ``max_rooms_per_client`` rooms of this namespace.
        """
        if not isinstance(room, str):
            raise TypeError(f"room names are strings, got {type(room).__name__}")
        if self._ended:
            return
        config = self.socket.config
        if len(room) > config.max_room_name_length:
            raise LimitExceeded("max_room_name_length", config.max_room_name_length,
                                f"a room name of {len(room)} characters")
        index, sid = self.socket.manager.index, self.socket.sid
        if (index.room_count(self.ns_name, sid) >= config.max_rooms_per_client
                and sid not in index.room_members(self.ns_name, room)):
            raise LimitExceeded("max_rooms_per_client", config.max_rooms_per_client,
                                f"client {sid} is in too many rooms of {self.ns_name!r}")
        index.join(self.ns_name, room, sid)

    def leave(self, room: str) -> None:
        """Take this client out of ``room``; nothing happens if it was not in it.

        A room with no members left is gone.
        """
        self.socket.manager.index.leave(self.ns_name, room, self.socket.sid)

    @property
    def rooms(self) -> frozenset[str]:
        """The rooms of this namespace this client is in."""
        return self.socket.manager.index.rooms_of(self.ns_name, self.socket.sid)

    # -- per-client storage ------------------------------------------------------------
    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` for this client (all its namespaces see it).

        Values should be JSON-able, so that a store shared by processes can keep them.
        """
        self.socket.manager.store.set(self.socket.sid, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key`` for this client, or ``default``."""
        return self.socket.manager.store.get(self.socket.sid, key, default)

    def has(self, key: str) -> bool:
        """Whether a value is stored under ``key`` for this client."""
        return self.socket.manager.store.has(self.socket.sid, key)

    def delete(self, key: str) -> bool:
        """Remove ``key`` for this client; False if nothing was stored under it."""
        return self.socket.manager.store.delete(self.socket.sid, key)

    @property
    def handshake(self) -> dict[str, Any]:
        """Headers, address, time, query, url, xdomain and secure of the handshake."""
        return self.socket.handshake

    # -- sending -------------------------------------------------------------------------
    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None,
             timeout: float | None = None,
             on_timeout: Callable[[AckTimeout], Any] | None = None) -> None:
        """Send event ``event`` with JSON-able ``args`` to this client.

        With a ``callback`` the event always asks for a data ack (``5:N+::``), as
        gevent-socketio did: the 0.9 clients never answer a plain ack on an event. The
        callback runs with the client's ack arguments if it accepts arguments, with none
        otherwise. If the client has not answered after ``timeout`` seconds (default: the
        server's ``ack_timeout``), the callback is dropped and ``on_timeout``, if given,
        is called with an :class:`AckTimeout` in a greenlet of this namespace.
        """
        socket = self.socket
        if callback is None and on_timeout is None:  # no ack: _register_ack's answer
            packet_id = None
        else:
            packet_id, _ = self._register_ack(callback, timeout, on_timeout, event)
        if socket.json_dumps is not None:  # legacy_args() only does something then
            args = socket.legacy_args(args)
        socket.put(encode_event(event, args, self.ns_name, packet_id, packet_id is not None))

    def send(self, message: Any, json: bool = False,
             callback: Callable[..., Any] | None = None, timeout: float | None = None,
             on_timeout: Callable[[AckTimeout], Any] | None = None) -> None:
        """Send a message (``json=True``: any JSON-able value) to this client.

        A ``callback`` that takes no arguments asks for a plain ack (``3:N::``, which the
        0.9 clients answer by themselves), one that accepts arguments for a data ack
        (``3:N+::``); timeouts work as for :meth:`emit`.
        """
        packet_id, data_ack = self._register_ack(callback, timeout, on_timeout,
                                                 "json" if json else "message")
        if json:
            message = self.socket.legacy_args(message)
        self.socket.put(encode_packet(message_packet(message, self.ns_name, json=json,
                                                     id=packet_id, data_ack=data_ack)))

    def error(self, error_name: str, error_message: str, msg_id: int | None = None,
              quiet: bool = False) -> None:
        """Tell the client about an error with an ``error`` event (as gevent-socketio did),
        through the ``error_handler`` given to ``socketio_manage`` if any.

        ``quiet`` only logs it. The log lines of one client are limited (a few per error
        name per minute), since clients can cause errors at will.
        """
        self.socket.error(error_name, error_message, self.ns_name, msg_id, quiet)

    def disconnect(self, silent: bool = False) -> None:
        """Leave this namespace; on ``''`` end the whole session.

        Unless ``silent``, the client is told (``0::/ns``, or ``0::`` for the session).
        """
        if self.ns_name == "":
            self.socket.close("server disconnect", notify=not silent)
            return
        if not silent:
            self.socket.put(encode_packet(DisconnectPacket(self.ns_name)))
        self.session_ended("server disconnect")

    def spawn(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> gevent.Greenlet:
        """Run ``fn(*args, **kwargs)`` in a greenlet killed when this namespace ends."""
        if self._greenlets is None:
            self._greenlets = Group()
        return self._greenlets.spawn(self._decorated(fn), *args, **kwargs)

    # -- the session's side (core.hosting.HostedNamespace); not for overriding -------
    def session_packet(self, packet: Any) -> Any:
        """Call the method a packet names; returns its result or NO_ACK on failure."""
        if self.socket.json_loads is not None:
            packet = self._reread(packet)
            if packet is None:
                return NO_ACK
        if self._overrides_dispatch:
            return self._legacy_dispatch(packet)
        if type(packet) is EventPacket:
            name = packet.name
            method_name = _METHOD_NAMES.get(name) or self._event_method(name)
            if method_name is None:
                return NO_ACK
            return self._call(method_name, packet.args, name, packet)
        if type(packet) is JsonPacket:
            return self._call("recv_json", (packet.data,), "json", packet)
        return self._call("recv_message", (packet.data,), "message", packet)

    def _event_method(self, name: str) -> str | None:
        method_name = _METHOD_NAMES.get(name)
        if method_name is not None:
            return method_name
        if name in RESERVED_EVENTS:
            self.error("reserved_event", f'the event name "{name}" is reserved')
            return None
        if not _EVENT_NAME.match(name):
            self.error("invalid_event_name", f"the event name {name[:100]!r} is not valid")
            return None
        method_name = "on_" + name.replace(" ", "_")
        if len(_METHOD_NAMES) < _METHOD_NAMES_LIMIT:  # names come from clients: bounded
            _METHOD_NAMES[name] = method_name
        return method_name

    def _call(self, method_name: str, args: tuple[Any, ...], what: str,
              packet: Any = None) -> Any:
        cls = type(self)
        if cls.is_method_allowed is _PLAIN_ACL:  # is_method_allowed without its call
            allowed = self.allowed_methods
            denied = allowed is not None and method_name not in allowed
        else:  # an override decides
            denied = not self.is_method_allowed(method_name)
        if denied:
            self.error("method_access_denied",
                       f'You do not have access to method "{method_name}"')
            return NO_ACK
        method = getattr(self, method_name, None)
        if method is None or not callable(method):
            self.error("no_such_method", f'The method "{method_name}" was not found')
            return NO_ACK
        arities = cls.__dict__.get(ARITY_CACHE)  # handler_arity's cache, without its call
        found = None if arities is None else arities.get(method_name)
        low, high, wants_packet = found or handler_arity(cls, method_name, method)
        if wants_packet and packet is not None:  # gevent-socketio: def on_x(self, packet)
            args = (packet if isinstance(packet, dict) else to_dict(packet),)
        elif not low <= len(args) <= high:
            self.error("invalid_arguments",
                       f'"{what}" got {len(args)} argument(s); the handler takes {low}'
                       + ("" if high == low else " or more" if high >= MANY else f" to {high}"))
            return NO_ACK
        decorator = self.exception_handler_decorator  # _decorated(), without its call
        try:
            return (method if decorator is None else decorator(method))(*args)
        except LimitExceeded as exc:
            self.error("limit_exceeded", str(exc))
            return NO_ACK
        except Exception as exc:
            self.socket.client_log(logging.ERROR, "handler_raised",
                                   "%r: handler %s raised %s: %s", self, method_name,
                                   type(exc).__name__, exc, exc_info=first_traceback(exc))
            self.error("handler_error", f'the server failed to handle "{what}"')
            return NO_ACK

    def session_joined(self) -> None:
        """The client joined: ``recv_connect`` (if the ACL allows it)."""
        if not self.is_method_allowed("recv_connect"):
            return
        try:
            self.recv_connect()
        except Exception:
            log.exception("%r: recv_connect raised", self)
            self.error("handler_error", "the server failed to handle the connection")

    def session_admits(self, handshake: dict[str, Any]) -> bool:
        """``authorize(handshake)``; False if it raised."""
        try:
            return bool(self.authorize(handshake))
        except Exception:
            log.exception("%r: authorize raised; refusing", self)
            return False

    def _register_ack(self, callback: Callable[..., Any] | None, timeout: float | None,
                      on_timeout: Callable[[AckTimeout], Any] | None,
                      event: str) -> tuple[int | None, bool]:
        if callback is None:
            if on_timeout is not None:
                raise TypeError("on_timeout needs a callback")
            return None, False
        config = self.socket.config
        if len(self._acks) >= config.max_pending_acks:
            raise LimitExceeded("max_pending_acks", config.max_pending_acks,
                                f"{len(self._acks)} callbacks already wait for acks of {self!r}")
        if timeout is None:
            timeout = config.ack_timeout
        return self._acks.register(callback, timeout, on_timeout, event)

    def session_ack(self, ack_id: int, args: tuple[Any, ...]) -> None:
        """Run the callback waiting for ack ``ack_id``."""
        self._acks.resolve(ack_id, args)

    def session_ended(self, reason: str) -> None:
        """The namespace is over: notify, forget, kill its greenlets. Idempotent."""
        if self._ended:
            return
        self._ended = True
        self.socket.forget_namespace(self.ns_name)
        try:
            self.recv_disconnect()
        except Exception:
            log.exception("%r: recv_disconnect raised", self)
        if self._ack_registry is not None:
            self._ack_registry.drop_all()
        self.session_refused()

    def session_refused(self) -> None:
        """Kill the greenlets this instance spawned (it was refused, or it ended)."""
        if self._greenlets is None:
            return
        current = gevent.getcurrent()
        for greenlet in list(self._greenlets):
            if greenlet is not current:
                greenlet.kill(block=False)

