"""Per-client storage: the values behind ``self.set/get/has/delete`` of a namespace.

Socket.IO 0.7 gave each client a small key-value store (``socket.set('nickname', ...)``)
shared by all its namespaces and gone with the client. Everything goes through the
:class:`ClientStore` interface, keyed by ``sid``, so that a store shared by many processes
can replace :class:`MemoryStore` without touching the namespaces. Values should be
JSON-able: the memory store keeps objects as they are, a shared store will not be able to.
"""

from __future__ import annotations

import sys
from typing import Any

from ..exceptions import LimitExceeded
from ..protocol import json_dumps

__all__ = ["ClientStore", "MemoryStore", "stored_size"]


def stored_size(key: str, value: Any) -> int:
    """What one stored value counts towards ``max_store_bytes``: the UTF-8 bytes of its
    key and of its JSON text (``sys.getsizeof`` for a value JSON cannot encode)."""
    try:
        text = json_dumps(value)
    except (TypeError, ValueError):
        return len(key.encode("utf-8", "surrogatepass")) + sys.getsizeof(value)
    return len(key.encode("utf-8", "surrogatepass")) + len(text.encode("utf-8", "surrogatepass"))


class ClientStore:
    """What a per-client store must do. Calls may block (a network store would)."""

    def set(self, sid: str, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` for client ``sid``."""
        raise NotImplementedError

    def get(self, sid: str, key: str, default: Any = None) -> Any:
        """The value under ``key`` for ``sid``, or ``default``."""
        raise NotImplementedError

    def has(self, sid: str, key: str) -> bool:
        """Whether ``sid`` has a value under ``key``."""
        raise NotImplementedError

    def delete(self, sid: str, key: str) -> bool:
        """Remove ``key`` for ``sid``; False if it was not there."""
        raise NotImplementedError

    def drop(self, sid: str) -> None:
        """Forget everything stored for ``sid`` (the client is gone)."""
        raise NotImplementedError


class _Values:
    """One client's values and what they count towards the limits."""

    __slots__ = ("values", "sizes", "total")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}
        self.total = 0


class MemoryStore(ClientStore):
    """Per-client values in this process's memory, at most ``max_keys`` values and
    ``max_bytes`` (see :func:`stored_size`) per client."""

    __slots__ = ("_data", "max_keys", "max_bytes")

    def __init__(self, max_keys: int = 1 << 62, max_bytes: int = 1 << 62) -> None:
        self._data: dict[str, _Values] = {}
        self.max_keys = max_keys
        self.max_bytes = max_bytes

    def __len__(self) -> int:
        """How many clients have something stored."""
        return len(self._data)

    def set(self, sid: str, key: str, value: Any) -> None:
        """Store ``value``; raises LimitExceeded (storing nothing) past either limit."""
        entry = self._data.get(sid) or _Values()
        size = stored_size(key, value)
        old = entry.sizes.get(key)
        if old is None and len(entry.values) >= self.max_keys:
            raise LimitExceeded("max_store_keys", self.max_keys,
                                f"client {sid} already stores {len(entry.values)} values")
        total = entry.total - (old or 0) + size
        if total > self.max_bytes:
            raise LimitExceeded("max_store_bytes", self.max_bytes,
                                f"storing {key[:100]!r} would make {total} bytes for client {sid}")
        entry.values[key] = value
        entry.sizes[key] = size
        entry.total = total
        self._data[sid] = entry

    def get(self, sid: str, key: str, default: Any = None) -> Any:
        entry = self._data.get(sid)
        return default if entry is None else entry.values.get(key, default)

    def has(self, sid: str, key: str) -> bool:
        entry = self._data.get(sid)
        return entry is not None and key in entry.values

    def delete(self, sid: str, key: str) -> bool:
        entry = self._data.get(sid)
        if entry is None or key not in entry.values:
            return False
        del entry.values[key]
        entry.total -= entry.sizes.pop(key)
        if not entry.values:
            del self._data[sid]
        return True

    def drop(self, sid: str) -> None:
        self._data.pop(sid, None)
