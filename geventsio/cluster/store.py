"""Per-client storage in a cluster: in the owner's memory, copied into the message queue.

Only a client's owner runs its namespaces, so only the owner writes its values: the owner
reads them from its own memory (a :class:`~geventsio.core.storage.MemoryStore`, with the
same limits), and every write is also copied into one hash per client in the queue. That
copy is what a survivor reads when it ends the sessions of a process that died (their
``recv_disconnect`` may ``get()`` a nickname), and it is written again from memory when
Redis comes back empty. Redis being down therefore costs nothing but the copy.

Values are kept as JSON, so they must be JSON-able (``set`` raises TypeError otherwise,
and a tuple comes back as a list). The hash goes when the client's session ends; every
write also gives it an expiry (:data:`KEEP_SECONDS`), so that even a cluster that died
whole leaves nothing for long.
"""

from __future__ import annotations

from typing import Any, Callable

from ..core.storage import MemoryStore
from ..protocol import json_dumps, json_loads
from .backend import Backend, QueueUnavailable
from .keys import Keys

__all__ = ["RedisStore", "KEEP_SECONDS"]

#: How long a client's values outlive their last write if nothing deletes them.
KEEP_SECONDS = 24 * 3600


class RedisStore(MemoryStore):
    """A :class:`MemoryStore` whose values are also kept in a :class:`Backend` (Redis, or
    the memory backend in tests) for the other processes."""

    __slots__ = ("backend", "keys")

    def __init__(self, backend: Backend, keys: Keys, max_keys: int = 1 << 62,
                 max_bytes: int = 1 << 62) -> None:
        super().__init__(max_keys, max_bytes)
        self.backend = backend
        self.keys = keys

    def _copy(self, write: Callable[[], Any]) -> None:
        try:
            write()
        except QueueUnavailable:
            pass  # the backend logged it; the value is in memory, written back later

    def set(self, sid: str, key: str, value: Any) -> None:
        """Store ``value`` (TypeError if JSON cannot encode it; LimitExceeded past a
        limit, storing nothing)."""
        text = json_dumps(value)
        super().set(sid, key, json_loads(text))
        self._copy(lambda: self._write(sid, key, text))

    def _write(self, sid: str, key: str, text: str) -> None:
        where = self.keys.store(sid)
        self.backend.hash_set(where, key, text.encode("utf-8", "surrogatepass"))
        self.backend.expire(where, KEEP_SECONDS)

    def get(self, sid: str, key: str, default: Any = None) -> Any:
        """From memory for a client of this process; from the queue for another's (a
        survivor ending a dead process's sessions)."""
        if sid in self._data:
            return super().get(sid, key, default)
        try:
            data = self.backend.hash_get(self.keys.store(sid), key)
        except QueueUnavailable:
            return default
        return default if data is None else json_loads(data.decode("utf-8", "surrogatepass"))

    def has(self, sid: str, key: str) -> bool:
        return self.get(sid, key, _MISSING) is not _MISSING

    def delete(self, sid: str, key: str) -> bool:
        found = super().delete(sid, key) if sid in self._data else self.has(sid, key)
        self._copy(lambda: self.backend.hash_delete(self.keys.store(sid), key))
        return found

    def drop(self, sid: str) -> None:
        super().drop(sid)
        self._copy(lambda: self.backend.delete(self.keys.store(sid)))

    def republish(self) -> None:
        """Write every value of this process's clients again (the queue lost them)."""
        for sid, entry in list(self._data.items()):
            for key, value in list(entry.values.items()):
                self._write(sid, key, json_dumps(value))


_MISSING = object()
