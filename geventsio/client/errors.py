"""The exceptions of the Python client.

::

    GeventSIOError
     └── ClientError                 base of everything the client raises on purpose
          ├── ConnectFailed          (also a builtin ConnectionError) the handshake or the
          │                          transport could not be opened; ``status`` holds the
          │                          HTTP status when the server answered one
          ├── NamespaceRefused       the server refused to join a namespace (``7::/ns:2``)
          └── NotConnected           emit/send/of on a client that was disconnected for good

Waiting too long (``connect``, ``of``, ``wait_for``) raises the builtin ``TimeoutError``.
"""

from __future__ import annotations

from ..exceptions import GeventSIOError

__all__ = ["ClientError", "ConnectFailed", "NamespaceRefused", "NotConnected"]


class ClientError(GeventSIOError):
    """Base class of the client's own exceptions."""


class ConnectFailed(ClientError, ConnectionError):
    """The client could not connect: nothing listening, an HTTP error at handshake
    (``status``: 401/403 when ``authorization`` refused it), no transport both sides
    speak, or no ``1::`` from the server in time."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NamespaceRefused(ClientError):
    """The server answered ``7::/ns:2`` (unauthorized) to joining namespace ``endpoint``."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(f"the server refused namespace {endpoint!r}")
        self.endpoint = endpoint


class NotConnected(ClientError):
    """The client was disconnected (by :meth:`Client.disconnect`, by the server, or after
    the last reconnection attempt failed) and cannot send."""
