"""Serving a request for a session that another process owns (no sticky sessions).

The process that received the request (:func:`serve_elsewhere`, called by the handler)
publishes it to the owner and writes the owner's answer as its HTTP response. The owner
(:func:`serve_request`) serves it as a local request of the same transport would be: a
POST's payload is dispatched, a poll attaches to the session with its timers and waits.
Streams (htmlfile GET) and websockets are not relayed: they are the first transport
request of their session, so the process holding them is its owner.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..core.session import SessionState
from ..exceptions import ErrorAdvice, ErrorReason, InvalidStateError, ProtocolError
from ..protocol import ErrorPacket, encode_packet, parse_query
from ..transports import TRANSPORTS
from ..transports.websocket import WebSocketTransport

if TYPE_CHECKING:
    from .dispatcher import Dispatcher
    from .envelope import Envelope

__all__ = ["serve_elsewhere", "serve_request"]

log = logging.getLogger("geventsio.cluster")

NOT_HANDSHAKEN = encode_packet(
    ErrorPacket(ErrorReason.CLIENT_NOT_HANDSHAKEN, ErrorAdvice.RECONNECT))
#: Seconds a relayed request waits for its answer beyond what the owner may take.
MARGIN = 5.0


def serve_elsewhere(handler: Any, cls: Any, sid: str) -> bool:
    """Relay this HTTP request of ``sid`` to the process that owns it and answer with what
    it says; False (nothing answered) if no live process owns ``sid`` or the request is a
    stream, which only the owner serves."""
    cluster: Dispatcher = handler.server.manager.cluster
    owner = cluster.owner_of(sid, ended=True)
    if owner is None or owner == cluster.node:
        return False
    method = handler._require_method("GET", "POST")
    if method == "GET" and cls.streaming:
        return False
    query = parse_query(handler.environ.get("QUERY_STRING", ""))
    index = cls.parse_index(query)
    config = handler.server.config
    payload, wait = "", config.polling_duration + MARGIN
    if "disconnect" in query:
        method = "DISCONNECT"
    elif method == "POST":
        payload = cls.decode_post(handler._read_body())
        wait = config.request_body_timeout + MARGIN
    answer = cluster.relay(owner, sid, cls.name, method, payload, wait)
    if answer is None:
        handler._answer_unknown(cls, "POST" if method == "POST" else "GET", "", index)
        return True
    _respond(handler, cls, method, index, *answer)
    return True


def _respond(handler: Any, cls: Any, method: str, index: int, status: int,
             body: str) -> None:
    if status != HTTPStatus.OK:
        raise ProtocolError(body, status=HTTPStatus(status))
    if method == "GET":
        handler._answer_poll(cls, body, index)
        return
    headers = handler._cors_headers()
    if method == "DISCONNECT":
        handler._respond(HTTPStatus.OK, b"", content_type=None, headers=headers)
        return
    if headers:
        headers.append(("X-XSS-Protection", "0"))
    handler._respond(HTTPStatus.OK, body.encode("utf-8"), headers=headers)


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
    cls = TRANSPORTS.get(request.transport)
    if (cls is None or session is None or session.state is SessionState.CLOSED
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
    try:
        return HTTPStatus.OK, cls(session).poll(manager.config.polling_duration)
    except InvalidStateError:
        return HTTPStatus.OK, NOT_HANDSHAKEN
