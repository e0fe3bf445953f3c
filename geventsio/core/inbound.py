"""A session's inbound packets, routed to the namespace instances it hosts.

:func:`route` takes one decoded packet of one client and does what its type asks: a
``connect`` joins a namespace (:func:`join`), a ``disconnect`` ends one (or the whole
session), ``message``/``json``/``event`` reach the namespace's handler and its answer goes
back as the ack the client asked for, an ``ack`` runs a callback waiting on the server
side, an ``error`` is reported to the namespace. Namespaces are reached only through
:class:`~geventsio.core.hosting.HostedNamespace`. Everything runs in the greenlet that read
the packet, so one client's packets are handled in the order they were sent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from ..exceptions import ErrorReason
from ..protocol import (
    AckPacket,
    ConnectPacket,
    DisconnectPacket,
    ErrorPacket,
    EventPacket,
    HeartbeatPacket,
    JsonPacket,
    MessagePacket,
    NoopPacket,
    encode_packet,
)
from .acks import NO_ACK, ack_args
from .hosting import HostedNamespace

if TYPE_CHECKING:
    from .session import Session

__all__ = ["route", "join", "ROUTES"]

log = logging.getLogger("geventsio.session")


def route(session: Session, packet: Any) -> None:
    """Do what one decoded packet of ``session``'s client asks."""
    handler = ROUTES.get(type(packet))
    if handler is not None:
        handler(session, packet)


def join(session: Session, endpoint: str) -> None:
    """Join the client to a namespace: instantiate it, confirm, call ``recv_connect``.

    An unknown namespace, or one whose ``authorize`` refuses, gets ``7::<ns>:2``; one
    whose constructor (``initialize``) raises gets ``7::<ns>`` and a log line. Joining
    one already joined confirms it again.
    """
    if endpoint in session.namespaces:
        if endpoint:
            session.send_packet(ConnectPacket(endpoint))
        return
    namespace = _instantiate(session, endpoint)
    if namespace is None:
        return
    if not namespace.session_admits(session.handshake):
        log.info("session %s: namespace %r refused by authorize()", session.sid, endpoint)
        namespace.session_refused()
        session.send_packet(ErrorPacket(ErrorReason.UNAUTHORIZED, None, endpoint))
        return
    session.namespaces[endpoint] = namespace
    session.manager.index.add_member(endpoint, session.sid)
    if endpoint:
        session.send_packet(ConnectPacket(endpoint))
    session.handling += 1
    try:
        namespace.session_joined()
    finally:
        session.handling -= 1


def _instantiate(session: Session, endpoint: str) -> Any:
    """A new instance of the class serving ``endpoint``, or None (the client was told)."""
    cls = (session.namespace_classes or {}).get(endpoint)
    if cls is None and endpoint == "":
        cls = session.manager.default_namespace
    if cls is None:
        session.client_log(logging.WARNING, "unknown_namespace",
                           "connect to unknown namespace %.100r refused", endpoint)
        session.send_packet(ErrorPacket(ErrorReason.UNAUTHORIZED, None, endpoint))
        return None
    environ = session.environ if session.environ is not None else {"socketio": session}
    try:
        return cls(environ, endpoint, request=session.request)
    except Exception:
        log.exception("session %s: creating namespace %r failed", session.sid, endpoint)
        session.send_packet(ErrorPacket(None, None, endpoint))
        return None


def _on_disconnect(session: Session, packet: DisconnectPacket) -> None:
    if packet.endpoint == "":
        session.close("client disconnect", notify=False)
        return
    namespace: HostedNamespace | None = session.namespaces.get(packet.endpoint)
    if namespace is not None:
        namespace.session_ended("client disconnect")


def _on_connect(session: Session, packet: ConnectPacket) -> None:
    if packet.endpoint != "":  # the default namespace connects with the transport
        join(session, packet.endpoint)


def _on_data(session: Session, packet: Any) -> None:
    namespace: HostedNamespace | None = session.namespaces.get(packet.endpoint)
    if namespace is None:
        session.client_log(logging.WARNING, "not_joined",
                           "packet for namespace %.100r it has not joined", packet.endpoint)
        return
    if packet.id is not None and not packet.data_ack:
        session.send_packet(AckPacket(packet.id, (), packet.endpoint))
    session.handling += 1
    try:
        result = namespace.session_packet(packet)
    finally:
        session.handling -= 1
    if packet.id is not None and packet.data_ack and result is not NO_ACK:
        _answer(session, packet, result)


def _answer(session: Session, packet: Any, result: Any) -> None:
    """Send a handler's return value as the data ack the client asked for; a value
    JSON cannot encode is logged and reported to the client as an ``error`` event."""
    try:
        text = encode_packet(AckPacket(packet.id, ack_args(result), packet.endpoint))
    except (TypeError, ValueError) as exc:
        session.client_log(logging.WARNING, "unencodable_answer",
                           "the answer to ack %d on %r cannot be sent: %s", packet.id,
                           packet.endpoint, exc)
        session.error("handler_error", "the server could not encode its answer",
                      packet.endpoint)
        return
    session.put(text)


def _on_ack(session: Session, packet: AckPacket) -> None:
    namespace: HostedNamespace | None = session.namespaces.get(packet.endpoint)
    if namespace is not None:
        namespace.session_ack(packet.ack_id, packet.args)


def _on_error(session: Session, packet: ErrorPacket) -> None:
    log.info("session %s: client reported error %s on %r", session.sid, packet.reason,
             packet.endpoint)
    namespace: HostedNamespace | None = session.namespaces.get(packet.endpoint)
    if namespace is not None:
        namespace.session_error(packet)


def _ignore(session: Session, packet: Any) -> None:
    pass


#: Packet type -> what handles it (``route`` reads it; so does Session.receive, which
#: spares itself the call of ``route`` on every packet).
ROUTES: dict[type, Callable[[Session, Any], None]] = {
    DisconnectPacket: _on_disconnect,
    ConnectPacket: _on_connect,
    HeartbeatPacket: _ignore,
    MessagePacket: _on_data,
    JsonPacket: _on_data,
    EventPacket: _on_data,
    AckPacket: _on_ack,
    ErrorPacket: _on_error,
    NoopPacket: _ignore,
}
