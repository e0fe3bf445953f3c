"""flashsocket: the websocket transport as the 0.9 client's Flash fallback uses it.

web-socket-js (a Flash object emulating ``WebSocket``) speaks the same RFC 6455 protocol
to the same URL shape, ``/<resource>/1/flashsocket/<sid>``; only the name differs. Before
it connects, Flash fetches the socket policy (see :mod:`geventsio.http.flashpolicy`).
"""

from __future__ import annotations

from typing import ClassVar

from .websocket import WebSocketTransport

__all__ = ["FlashSocketTransport"]


class FlashSocketTransport(WebSocketTransport):
    """A websocket carrying a session for a Flash client."""

    name: ClassVar[str] = "flashsocket"
