"""Many processes: the message queue behind the manager (see docs/scaling.md).

:func:`open_backend` turns a ``message_queue`` value into a backend: ``redis://``,
``rediss://`` and ``unix://`` URLs give a :class:`~geventsio.cluster.redisbackend.
RedisBackend`, ``memory://`` a new :class:`~geventsio.cluster.backend.MemoryBackend`, and
a backend object is used as it is (servers of one Python process sharing one
``MemoryBackend`` behave as processes sharing a Redis). A URL may end with
``?prefix=name:``, the start of every key and channel name (``geventsio:`` by default):
Redis channels are shared by all the databases of a server, so two clusters on one Redis
need two prefixes. :func:`connect` does all of it for a server or a ``QueueEmitter``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..core.manager import Manager
from ..exceptions import ConfigurationError
from .backend import Backend, MemoryBackend, QueueUnavailable
from .dispatcher import Dispatcher
from .index import SharedRoomIndex
from .keys import Keys
from .store import RedisStore

__all__ = ["connect", "open_backend", "join", "split_prefix", "Backend", "MemoryBackend",
           "QueueUnavailable"]

DEFAULT_PREFIX = "geventsio:"


def connect(manager: Manager, message_queue: Any, keep_store: bool = False) -> Dispatcher:
    """:func:`join` ``manager`` to the backend ``message_queue`` names, with the key
    prefix it names; a backend opened from a URL is closed when the dispatcher stops."""
    where, prefix = split_prefix(message_queue)
    cluster = join(manager, open_backend(where), Keys(prefix), keep_store)
    cluster.owns_backend = isinstance(message_queue, str)
    return cluster


def split_prefix(message_queue: Any) -> tuple[Any, str]:
    """(the URL without its ``prefix`` query parameter, the prefix); a backend object
    keeps the default prefix."""
    if not isinstance(message_queue, str) or "?" not in message_queue:
        return message_queue, DEFAULT_PREFIX
    base, _, text = message_queue.partition("?")
    query = parse_qsl(text, keep_blank_values=True)
    prefixes = [value for name, value in query if name == "prefix"]
    if not prefixes:
        return message_queue, DEFAULT_PREFIX
    if len(prefixes) > 1 or not prefixes[0] or any(c.isspace() for c in prefixes[0]):
        raise ConfigurationError(f"message_queue names one non-empty prefix without spaces, "
                                 f"got {prefixes!r}")
    rest = urlencode([(name, value) for name, value in query if name != "prefix"])
    return (f"{base}?{rest}" if rest else base), prefixes[0]


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
