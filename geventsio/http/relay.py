"""Answering a request for a session that another process owns (no sticky sessions).

With a message queue, a polling GET or POST (xhr-polling, jsonp-polling, htmlfile POSTs)
or a ``?disconnect`` may reach a process that does not hold its session. The handler calls
:func:`serve_elsewhere`: the request is published to the owner, which serves it as a local
request (:mod:`geventsio.cluster.relay`), and the owner's answer is written here as this
request's HTTP response. Streams (htmlfile GET) and websockets are not relayed: they are
the first transport request of their session, so the process holding them is its owner.
See docs/scaling.md.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..exceptions import ProtocolError
from ..protocol import parse_query
from ..transports import POLLING, STREAMING, RequestSide

if TYPE_CHECKING:
    from ..cluster.dispatcher import Dispatcher

__all__ = ["serve_elsewhere", "MARGIN"]

#: Seconds a relayed request waits for its answer beyond what the owner may take.
MARGIN = 5.0


def serve_elsewhere(handler: Any, name: str, sid: str) -> bool:
    """Relay this HTTP request of ``sid`` to the process that owns it and answer with what
    it says; False (nothing answered) if no live process owns ``sid`` or the request is a
    stream, which only the owner serves."""
    cluster: Dispatcher = handler.server.manager.cluster
    owner = cluster.owner_of(sid, ended=True)
    if owner is None or owner == cluster.node:
        return False
    method = handler._require_method("GET", "POST")
    if method == "GET" and name in STREAMING:
        return False
    cls: type[RequestSide] = POLLING.get(name) or STREAMING[name]
    query = parse_query(handler.environ.get("QUERY_STRING", ""))
    index = cls.parse_index(query)
    config = handler.server.config
    payload, wait = "", config.polling_duration + MARGIN
    if "disconnect" in query:
        method = "DISCONNECT"
    elif method == "POST":
        payload = cls.decode_post(handler._read_body())
        wait = config.request_body_timeout + MARGIN
    handler.server.manager.counters.relayed_requests += 1
    answer = cluster.relay(owner, sid, cls.name, method, payload, wait)
    if answer is None:
        handler._answer_unknown(cls, "", index)
        return True
    _respond(handler, cls, method, index, *answer)
    return True


def _respond(handler: Any, cls: Any, method: str, index: int, status: int,
             body: str) -> None:
    if status != HTTPStatus.OK:
        raise ProtocolError(body, status=HTTPStatus(status))
    if method == "GET":
        headers = handler._cors_headers() + list(cls.answer_headers)
        handler._respond(HTTPStatus.OK, cls.render(body, index).encode("utf-8"),
                         content_type=cls.content_type, headers=headers)
        return
    headers = handler._cors_headers()
    if method == "DISCONNECT":
        handler._respond(HTTPStatus.OK, b"", content_type=None, headers=headers)
        return
    if headers:
        headers.append(("X-XSS-Protection", "0"))
    handler._respond(HTTPStatus.OK, body.encode("utf-8"), headers=headers)
