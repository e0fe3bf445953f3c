"""``QueueEmitter``: emit to the clients of a cluster from a process that holds none.

A web view served by another framework, a cron job or a worker process gets the same
:class:`~geventsio.emitter.Emitter` API as ``server.of(ns)`` inside a server::

    io = QueueEmitter('redis://127.0.0.1:6379/0')
    io.of('/chat').to('lobby').emit('news', {'title': 'hello'})
    io.of('/chat').socket(sid).disconnect()

It only publishes (it listens to nothing and owns no sessions), so ``emit`` returns 0 for a
broadcast (no local client got it) and 1 for a client with a live owner.
"""

from __future__ import annotations

from typing import Any

from ..core.config import ServerConfig
from ..core.manager import Manager
from ..emitter import Emitter
from . import connect

__all__ = ["QueueEmitter"]


class QueueEmitter:
    """Emitters for the namespaces of the servers sharing ``message_queue``."""

    def __init__(self, message_queue: Any) -> None:
        self.manager = Manager(ServerConfig.from_options())
        connect(self.manager, message_queue)

    def of(self, endpoint: str) -> Emitter:
        """Every client of namespace ``endpoint``, on every server of the cluster."""
        return Emitter(self.manager, endpoint)

    @property
    def sockets(self) -> Emitter:
        """Every client of the default namespace (``of('')``)."""
        return self.of("")

    def close(self) -> None:
        """Release the connection to the message queue (one it opened from a URL)."""
        cluster = self.manager.cluster
        if cluster is not None and cluster.owns_backend:
            cluster.backend.close()
