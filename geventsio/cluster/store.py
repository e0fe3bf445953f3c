"""Per-client storage shared by processes: one hash per client in the message queue.

Any process can read a client's values (a survivor ending the sessions of a dead process
reads them in ``recv_disconnect``). Values are kept as JSON, so they must be JSON-able
(the memory store keeps objects as they are). The hash goes when the client's session
ends; every write also gives it an expiry (:data:`KEEP_SECONDS`), so that even a cluster
that died whole leaves nothing for long.
"""

from __future__ import annotations

from typing import Any

from ..core.storage import ClientStore
from ..exceptions import LimitExceeded
from ..protocol import json_dumps, json_loads
from .backend import Backend
from .keys import Keys

__all__ = ["RedisStore", "KEEP_SECONDS"]

#: How long a client's values outlive their last write if nothing deletes them.
KEEP_SECONDS = 24 * 3600


class RedisStore(ClientStore):
    """:class:`~geventsio.storage.ClientStore` over a :class:`Backend` (Redis, or the
    memory backend in tests), with the same limits as the memory store."""

    __slots__ = ("backend", "keys", "max_keys", "max_bytes")

    def __init__(self, backend: Backend, keys: Keys, max_keys: int = 1 << 62,
                 max_bytes: int = 1 << 62) -> None:
        self.backend = backend
        self.keys = keys
        self.max_keys = max_keys
        self.max_bytes = max_bytes

    def set(self, sid: str, key: str, value: Any) -> None:
        """Store ``value`` (TypeError if JSON cannot encode it; LimitExceeded past a
        limit, storing nothing)."""
        data = json_dumps(value).encode("utf-8", "surrogatepass")
        where = self.keys.store(sid)
        sizes = self.backend.hash_sizes(where)
        if key not in sizes and len(sizes) >= self.max_keys:
            raise LimitExceeded("max_store_keys", self.max_keys,
                                f"client {sid} already stores {len(sizes)} values")
        sizes[key] = len(data)
        total = sum(len(name.encode("utf-8", "surrogatepass")) + size
                    for name, size in sizes.items())
        if total > self.max_bytes:
            raise LimitExceeded("max_store_bytes", self.max_bytes,
                                f"storing {key[:100]!r} would make {total} bytes for client {sid}")
        self.backend.hash_set(where, key, data)
        self.backend.expire(where, KEEP_SECONDS)

    def get(self, sid: str, key: str, default: Any = None) -> Any:
        data = self.backend.hash_get(self.keys.store(sid), key)
        return default if data is None else json_loads(data.decode("utf-8", "surrogatepass"))

    def has(self, sid: str, key: str) -> bool:
        return self.backend.hash_get(self.keys.store(sid), key) is not None

    def delete(self, sid: str, key: str) -> bool:
        return self.backend.hash_delete(self.keys.store(sid), key)

    def drop(self, sid: str) -> None:
        self.backend.delete(self.keys.store(sid))
