"""Many processes: the message queue behind the manager (see docs/scaling.md).

:func:`open_backend` turns a ``message_queue`` value into a backend: ``redis://``,
``rediss://`` and ``unix://`` URLs give a :class:`~geventsio.cluster.redisbackend.
RedisBackend`, ``memory://`` a new :class:`~geventsio.cluster.backend.MemoryBackend`, and
a backend object is used as it is (servers of one Python process sharing one
``MemoryBackend`` behave as processes sharing a Redis).
"""

from __future__ import annotations

from typing import Any

from ..core.manager import Manager
from ..exceptions import ConfigurationError
from .backend import Backend, MemoryBackend, QueueUnavailable
from .dispatcher import Dispatcher
from .index import SharedRoomIndex
from .keys import Keys
from .store import RedisStore

__all__ = ["open_backend", "join", "Backend", "MemoryBackend", "QueueUnavailable"]


def join(manager: Manager, backend: Backend, keys: Keys | None = None,
         keep_store: bool = False) -> Dispatcher:
    """Make ``manager`` reach the other processes through ``backend``: its room index and
    its store (unless ``keep_store``: an app's own store) move to the backend, and its
    ``deliver`` and ``disconnect`` reach clients held elsewhere. Before any session."""
    if manager.sessions:
        raise RuntimeError("join() must come before the manager's first session")
    cluster = manager.cluster = Dispatcher(manager, backend, keys)
    manager.index = SharedRoomIndex(backend, cluster.keys)
    if not keep_store:
        manager.store = RedisStore(backend, cluster.keys, manager.config.max_store_keys,
                                   manager.config.max_store_bytes)
    return cluster


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
