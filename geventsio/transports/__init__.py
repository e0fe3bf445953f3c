"""Transports: each moves packets between one kind of connection and a session.

One small class per transport, looked up by its wire name in :data:`TRANSPORTS`.
Polling transports turn one HTTP request into one payload; streaming ones (websocket)
hold the connection and write whatever the session queues.
"""

from __future__ import annotations

from .polling import XHRPollingTransport
from .websocket import WebSocketTransport

__all__ = ["TRANSPORTS", "XHRPollingTransport", "WebSocketTransport"]

#: Wire name -> transport class.
TRANSPORTS: dict[str, type] = {
    WebSocketTransport.name: WebSocketTransport,
    XHRPollingTransport.name: XHRPollingTransport,
}
