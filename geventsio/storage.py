"""Per-client storage: the values behind ``self.set/get/has/delete`` of a namespace.

Socket.IO 0.7 gave each client a small key-value store (``socket.set('nickname', ...)``)
shared by all its namespaces and gone with the client. Everything goes through the
:class:`ClientStore` interface, keyed by ``sid``, so that a store shared by many processes
can replace :class:`MemoryStore` without touching the namespaces. Values should be
JSON-able: the memory store keeps objects as they are, a shared store will not be able to.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClientStore", "MemoryStore"]


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


class MemoryStore(ClientStore):
    """Per-client values in this process's memory."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        """How many clients have something stored."""
        return len(self._data)

    def set(self, sid: str, key: str, value: Any) -> None:
        self._data.setdefault(sid, {})[key] = value

    def get(self, sid: str, key: str, default: Any = None) -> Any:
        return self._data.get(sid, {}).get(key, default)

    def has(self, sid: str, key: str) -> bool:
        return key in self._data.get(sid, ())

    def delete(self, sid: str, key: str) -> bool:
        values = self._data.get(sid)
        if values is None or key not in values:
            return False
        del values[key]
        if not values:
            del self._data[sid]
        return True

    def drop(self, sid: str) -> None:
        self._data.pop(sid, None)
