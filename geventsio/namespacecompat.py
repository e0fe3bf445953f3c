"""The gevent-socketio 0.3 names of ``BaseNamespace`` that geventsio's core does not use.

:class:`NamespaceNames` is the base of :class:`~geventsio.namespace.BaseNamespace`
holding gevent-socketio's ACL hooks and its dict-packet dispatch chain, so that apps which
override or call them keep working:

* ``process_packet(packet)`` -> ``process_event(packet)`` -> ``call_method_with_acl(name,
  packet, *args)`` -> ``call_method(name, packet, *args)``, with packets as dicts
  (:mod:`geventsio.packet`). geventsio dispatches through its own fast path; when a
  namespace class overrides ``process_packet`` or ``process_event``, its packets go
  through the override instead, and the return value answers a data ack, as there;
* ``recv_error(packet)``: an error packet the client sent on this endpoint;
* ``jobs`` (the live greenlets ``spawn`` started), ``kill_local_jobs()``;
* ``exception_handler_decorator``: set it (a decorator) on a namespace class and every
  handler call and spawned function is wrapped with it, as there;
* ``get_initial_acl``, ``reset_acl``, ``is_method_allowed``, ``lift_acl_restrictions``,
  ``add_acl_method``, ``del_acl_method``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable

import gevent

from .core.acks import NO_ACK
from .protocol.dicts import to_dict

if TYPE_CHECKING:
    from gevent.pool import Group

__all__ = ["NamespaceNames"]

log = logging.getLogger("geventsio.namespace")


class NamespaceNames:
    """gevent-socketio's ``BaseNamespace`` vocabulary (mixed into ``BaseNamespace``)."""

    #: A decorator applied to every handler call and spawned function (None: none).
    exception_handler_decorator: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None
    #: Whether the class replaces ``process_packet`` or ``process_event`` (set for each
    #: subclass when it is created).
    _overrides_dispatch: bool = False
    allowed_methods: set[str] | None
    _greenlets: "Group | None"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._overrides_dispatch = (cls.process_packet is not NamespaceNames.process_packet
                                  or cls.process_event is not NamespaceNames.process_event)
    socket: Any
    ns_name: str

    # -- ACL ---------------------------------------------------------------------------
    def get_initial_acl(self) -> Iterable[str] | None:
        """Method names callable at first (``None`` = all); override to restrict."""
        return None

    def reset_acl(self) -> None:
        """Go back to :meth:`get_initial_acl`."""
        initial = self.get_initial_acl()
        self.allowed_methods = None if initial is None else set(initial)

    def is_method_allowed(self, method_name: str) -> bool:
        """Whether the ACL lets a client packet call ``method_name``."""
        return self.allowed_methods is None or method_name in self.allowed_methods

    def lift_acl_restrictions(self) -> None:
        """Allow every method from now on."""
        self.allowed_methods = None

    def add_acl_method(self, method_name: str | Iterable[str]) -> None:
        """Allow one more method (or several)."""
        names = {method_name} if isinstance(method_name, str) else set(method_name)
        if self.allowed_methods is None:
            self.allowed_methods = names
        else:
            self.allowed_methods.update(names)

    def del_acl_method(self, method_name: str) -> None:
        """Forbid a method again. Raises ValueError when no ACL is in force."""
        if self.allowed_methods is None:
            raise ValueError("no ACL is in force: call get_initial_acl/add_acl_method first")
        self.allowed_methods.discard(method_name)

    # -- greenlets ---------------------------------------------------------------------
    @property
    def jobs(self) -> list[gevent.Greenlet]:
        """The greenlets started with ``spawn`` that are still running."""
        return [g for g in (self._greenlets or ()) if not g.dead]

    def kill_local_jobs(self) -> None:
        """Kill every greenlet started with ``spawn`` (but the calling one)."""
        current = gevent.getcurrent()
        for greenlet in self.jobs:
            if greenlet is not current:
                greenlet.kill(block=False)

    # -- the dict-packet chain -----------------------------------------------------------
    def recv_error(self, packet: dict[str, Any]) -> None:
        """The client sent an error packet on this endpoint (``packet`` as a dict)."""

    def process_packet(self, packet: dict[str, Any]) -> Any:
        """Dispatch one dict packet; the return value answers a data ack."""
        kind = packet.get("type")
        if kind == "event":
            return self.process_event(packet)
        if kind in ("message", "json"):
            return self.call_method_with_acl("recv_" + kind, packet, packet.get("data"))
        if kind == "error":
            return self.call_method_with_acl("recv_error", packet)
        if kind == "ack" and isinstance(packet.get("ackId"), int):
            self.session_ack(packet["ackId"], tuple(packet.get("args", ())))
        return None

    def process_event(self, packet: dict[str, Any]) -> Any:
        """Call ``on_<name>(*args)`` for a dict event packet (name checked first)."""
        method_name = self._event_method(packet.get("name", ""))
        if method_name is None:
            return None
        return self.call_method_with_acl(method_name, packet, *packet.get("args", ()))

    def call_method_with_acl(self, method_name: str, packet: dict[str, Any],
                             *args: Any) -> Any:
        """:meth:`call_method` if the ACL allows ``method_name``; otherwise the client
        gets the ``method_access_denied`` error and None is returned."""
        if not self.is_method_allowed(method_name):
            self.error("method_access_denied",
                       f'You do not have access to method "{method_name}"')
            return None
        return self.call_method(method_name, packet, *args)

    def call_method(self, method_name: str, packet: dict[str, Any], *args: Any) -> Any:
        """Call ``method_name`` with ``args`` (or with ``packet`` alone if that is its
        one parameter's name); errors are reported to the client. Returns its result,
        or None when it could not be called or raised."""
        result = self._call(method_name, args, method_name, packet)
        return None if result is NO_ACK else result

    # -- used by BaseNamespace -------------------------------------------------------------
    def session_error(self, packet: Any) -> None:
        """A client's error packet: gevent-socketio's ``recv_error(packet_dict)``."""
        self.call_method_with_acl("recv_error", to_dict(packet))

    def _reread(self, packet: Any) -> Any:
        """``packet`` with its values re-read by the session's ``json_loads`` (given to
        ``socketio_manage``); None, after a log line and an error event, if it raised."""
        from .protocol import EventPacket, JsonPacket

        reread = self.socket.legacy_inbound
        try:
            if type(packet) is EventPacket:
                return EventPacket(packet.name, reread(packet.args), packet.endpoint,
                                   packet.id, packet.data_ack)
            if type(packet) is JsonPacket:
                return JsonPacket(reread(packet.data), packet.endpoint, packet.id,
                                  packet.data_ack)
        except Exception:
            log.exception("%r: the session's json_loads raised", self)
            self.error("invalid_json", "the server could not read the packet's values")
            return None
        return packet

    def _legacy_dispatch(self, packet: Any) -> Any:
        """gevent-socketio's path, for classes overriding process_packet/process_event."""
        try:
            return self.process_packet(to_dict(packet))
        except Exception:
            log.exception("%r: process_packet raised", self)
            self.error("handler_error", "the server failed to handle a packet")
            return NO_ACK

    def _decorated(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        decorator = self.exception_handler_decorator
        return fn if decorator is None else decorator(fn)

    # Provided by BaseNamespace.
    def _event_method(self, name: str) -> str | None:
        raise NotImplementedError

    def _call(self, method_name: str, args: tuple[Any, ...], what: str,
              packet: Any = None) -> Any:
        raise NotImplementedError

    def session_ack(self, ack_id: int, args: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def error(self, error_name: str, error_message: str, msg_id: int | None = None,
              quiet: bool = False) -> None:
        raise NotImplementedError

