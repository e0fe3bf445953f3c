"""Many processes: the message queue behind the manager (see docs/scaling.md).

:func:`open_backend` turns a ``message_queue`` value into a backend: ``redis://``,
``rediss://`` and ``unix://`` URLs give a :class:`~geventsio.cluster.redisbackend.
RedisBackend`, ``memory://`` a new :class:`~geventsio.cluster.backend.MemoryBackend`, and
a backend object is used as it is (servers of one Python process sharing one
``MemoryBackend`` behave as processes sharing a Redis).
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ConfigurationError
from .backend import Backend, MemoryBackend, QueueUnavailable

__all__ = ["open_backend", "Backend", "MemoryBackend", "QueueUnavailable"]


def open_backend(message_queue: Any) -> Backend:
    """The backend ``message_queue`` names; ConfigurationError for anything else."""
    if isinstance(message_queue, str):
        if message_queue == "memory://":
            return MemoryBackend()
        from .redisbackend import SCHEMES, RedisBackend

        if message_queue.startswith(SCHEMES):
            return RedisBackend(message_queue)
        raise ConfigurationError(
            f"message_queue must be a redis://, rediss://, unix:// or memory:// URL, "
            f"got {message_queue[:100]!r}")
    if all(callable(getattr(message_queue, name, None))
           for name in ("publish", "subscribe", "set", "get", "set_add", "hash_set")):
        backend: Backend = message_queue
        return backend
    raise ConfigurationError(f"message_queue must be a URL or a backend, got {message_queue!r}")
