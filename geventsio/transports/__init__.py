"""Transports: each moves packets between one kind of connection and a session.

One small class per transport, looked up by its wire name in :data:`TRANSPORTS`.
Polling transports (xhr-polling, jsonp-polling) turn one HTTP request into one payload;
streaming ones hold the connection and write whatever the session queues: websocket and
flashsocket over RFC 6455, htmlfile and xhr-multipart as a chunked HTTP response.
"""

from __future__ import annotations

from typing import Any

from .base import Transport
from .flashsocket import FlashSocketTransport
from .jsonp import JSONPPollingTransport
from .polling import XHRPollingTransport
from .streaming import HTMLFileTransport, StreamingHTTPTransport, XHRMultipartTransport
from .websocket import WebSocketTransport

__all__ = [
    "TRANSPORTS",
    "Transport",
    "XHRPollingTransport",
    "JSONPPollingTransport",
    "WebSocketTransport",
    "FlashSocketTransport",
    "StreamingHTTPTransport",
    "HTMLFileTransport",
    "XHRMultipartTransport",
]

#: Wire name -> transport class.
#: (Typed Any: the handler also uses each class's HTTP rendering, which the Transport
#: protocol does not describe yet.)
TRANSPORTS: dict[str, Any] = {
    cls.name: cls
    for cls in (WebSocketTransport, FlashSocketTransport, HTMLFileTransport,
                XHRPollingTransport, JSONPPollingTransport, XHRMultipartTransport)
}
