"""Transports: each moves packets between one kind of connection and a session.

One small class per transport, looked up by its wire name in :data:`TRANSPORTS`.
Polling transports (xhr-polling, jsonp-polling) turn one HTTP request into one payload;
streaming ones hold the connection and write whatever the session queues: websocket and
flashsocket over RFC 6455, htmlfile and xhr-multipart as a chunked HTTP response.
"""

from __future__ import annotations

from .base import (
    HTTPSide,
    PollingSide,
    RequestSide,
    StreamingSide,
    Transport,
    UpgradeSide,
)
from .flashsocket import FlashSocketTransport
from .jsonp import JSONPPollingTransport
from .polling import XHRPollingTransport
from .streaming import HTMLFileTransport, StreamingHTTPTransport, XHRMultipartTransport
from .websocket import WebSocketTransport

__all__ = [
    "TRANSPORTS",
    "POLLING",
    "STREAMING",
    "UPGRADES",
    "Transport",
    "HTTPSide",
    "RequestSide",
    "PollingSide",
    "StreamingSide",
    "UpgradeSide",
    "XHRPollingTransport",
    "JSONPPollingTransport",
    "WebSocketTransport",
    "FlashSocketTransport",
    "StreamingHTTPTransport",
    "HTMLFileTransport",
    "XHRMultipartTransport",
]

#: Wire name -> class, per way of serving a GET; mypy checks each entry against its
#: protocol (:mod:`geventsio.transports.base`).
UPGRADES: dict[str, type[UpgradeSide]] = {
    WebSocketTransport.name: WebSocketTransport,
    FlashSocketTransport.name: FlashSocketTransport,
}
STREAMING: dict[str, type[StreamingSide]] = {
    HTMLFileTransport.name: HTMLFileTransport,
    XHRMultipartTransport.name: XHRMultipartTransport,
}
POLLING: dict[str, type[PollingSide]] = {
    XHRPollingTransport.name: XHRPollingTransport,
    JSONPPollingTransport.name: JSONPPollingTransport,
}
#: Wire name -> transport class, every transport.
TRANSPORTS: dict[str, type[HTTPSide]] = {**UPGRADES, **STREAMING, **POLLING}
