"""The owner's side of a relayed request (no sticky sessions).

The process that received an HTTP request for a session another process owns publishes it
to the owner (:func:`geventsio.http.relay.serve_elsewhere`). The owner
(:func:`serve_request`) serves it as a local request of the same transport would be: a
POST's payload is dispatched, a poll attaches to the session with its timers and waits;
the answer goes back to the requester's channel.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

from ..core.session import SessionState
from ..exceptions import ErrorAdvice, ErrorReason, InvalidStateError, ProtocolError
from ..protocol import ErrorPacket, encode_packet
from ..transports import POLLING, STREAMING
from ..transports.websocket import WebSocketTransport

if TYPE_CHECKING:
    from .dispatcher import Dispatcher
    from .envelope import Envelope

__all__ = ["serve_request"]

log = logging.getLogger("geventsio.cluster")

NOT_HANDSHAKEN = encode_packet(
    ErrorPacket(ErrorReason.CLIENT_NOT_HANDSHAKEN, ErrorAdvice.RECONNECT))


def serve_request(cluster: "Dispatcher", request: "Envelope") -> None:
    """The owner's side: serve a relayed request of one of its sessions and answer it."""
    try:
        status, body = _served(cluster, request)
    except ProtocolError as exc:
        log.warning("relayed %s of session %s: %s", request.method, request.sid, exc.message)
        status, body = int(exc.status), exc.message
    cluster.answer(request, status, body)


def _served(cluster: "Dispatcher", request: "Envelope") -> tuple[int, str]:
    manager = cluster.manager
    session = manager.get(request.sid)
    relayable = request.transport in POLLING or request.transport in STREAMING
    if (not relayable or session is None or session.state is SessionState.CLOSED
            or isinstance(session.transport, WebSocketTransport)):
        farewell = manager.take_farewell(request.sid) if request.method == "GET" else None
        return HTTPStatus.OK, farewell or NOT_HANDSHAKEN
    if request.method == "DISCONNECT":
        session.close("client disconnect", notify=True)
        return HTTPStatus.OK, ""
    if request.method == "POST":
        session.open()
        session.receive_payload(request.packet)
        return HTTPStatus.OK, "1"
    cls = POLLING.get(request.transport)
    if cls is None:  # a stream is never relayed: only its owner holds it
        return HTTPStatus.OK, NOT_HANDSHAKEN
    try:
        return HTTPStatus.OK, cls(session).poll(manager.config.polling_duration)
    except InvalidStateError:
        return HTTPStatus.OK, NOT_HANDSHAKEN
