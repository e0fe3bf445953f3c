"""How a streaming transport lets go of its connection and its writer greenlet.

Shared by the websocket and the streaming HTTP transports, which both hold a connection
open and may own one writer greenlet while a peer is slow.
"""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["finish_writer", "shutdown_quietly"]


def finish_writer(writer: Any, timeout: float = 1.0) -> None:
    """Let a writer greenlet finish what it flushes, then kill it if it has not ended."""
    if writer is None:
        return
    writer.join(timeout=timeout)
    if not writer.dead:
        writer.kill(block=True, timeout=timeout)


def shutdown_quietly(sock: Any) -> None:
    """Shut both directions of ``sock``; a peer that already left is no error."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
