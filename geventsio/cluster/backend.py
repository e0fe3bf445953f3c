"""What a message-queue backend does: move bytes and keep small keyed values.

:class:`Backend` is the whole interface: publish bytes on a channel, subscribe a callback
to a channel, and key/values, sets and hashes with expiry. The messages themselves are
:mod:`geventsio.cluster.envelope`'s; the routing is :class:`~geventsio.cluster.dispatcher.
Dispatcher`'s. :class:`MemoryBackend` connects the servers of one Python process (tests,
examples); :class:`~geventsio.cluster.redisbackend.RedisBackend` connects processes.

A backend that cannot reach its store raises :class:`QueueUnavailable` from any call;
callers degrade (serve local clients) instead of failing.
"""

from __future__ import annotations

import builtins
import time
from typing import Callable, Protocol

from ..exceptions import GeventSIOError

__all__ = ["Backend", "MemoryBackend", "QueueUnavailable", "Callback"]

#: Called with the bytes of each message published on a subscribed channel.
Callback = Callable[[bytes], None]


class QueueUnavailable(GeventSIOError):
    """The message queue cannot be reached now (Redis restarting, network down)."""


class Backend(Protocol):
    """Moves bytes between processes and keeps keyed values with expiry (seconds)."""

    def publish(self, channel: str, data: bytes) -> None:
        """Send ``data`` to every subscriber of ``channel`` (none: it is dropped)."""

    def subscribe(self, channel: str, callback: Callback) -> None:
        """Call ``callback(data)`` for each message on ``channel``, in order, from a
        greenlet of the backend; the callback must not block."""

    def close(self) -> None:
        """Stop listening and release connections."""

    def set(self, key: str, value: bytes, ttl: float | None = None,
            only_new: bool = False) -> bool:
        """Store ``value``; with ``only_new``, only if ``key`` is absent (False if it was
        there). ``ttl``: expire after that many seconds."""

    def get(self, key: str) -> bytes | None:
        """The value of ``key``, or None."""

    def delete(self, *keys: str) -> None:
        """Remove keys of any type."""

    def expire(self, key: str, ttl: float) -> None:
        """Let ``key`` expire after ``ttl`` seconds."""

    def set_add(self, key: str, member: str) -> None:
        """Add ``member`` to the set ``key``."""

    def set_remove(self, key: str, member: str) -> None:
        """Remove ``member`` from the set ``key`` (an empty set is gone)."""

    def set_members(self, key: str) -> builtins.set[str]:
        """The members of the set ``key``."""

    def hash_set(self, key: str, field: str, value: bytes) -> None:
        """Store ``value`` under ``field`` of the hash ``key``."""

    def hash_get(self, key: str, field: str) -> bytes | None:
        """The value under ``field`` of the hash ``key``, or None."""

    def hash_delete(self, key: str, field: str) -> bool:
        """Remove ``field`` of the hash ``key``; False if it was not there."""

    def hash_sizes(self, key: str) -> dict[str, int]:
        """The byte length of each field's value in the hash ``key``."""


class MemoryBackend:
    """A backend in this process's memory: servers sharing one instance behave as
    processes sharing a Redis. Callbacks run synchronously, in publish order."""

    def __init__(self) -> None:
        self._values: dict[str, object] = {}
        self._expiry: dict[str, float] = {}
        self._subscribers: dict[str, list[Callback]] = {}
        self.closed = False

    def _live(self, key: str) -> object | None:
        deadline = self._expiry.get(key)
        if deadline is not None and deadline <= time.monotonic():
            self.delete(key)
        return self._values.get(key)

    def publish(self, channel: str, data: bytes) -> None:
        for callback in list(self._subscribers.get(channel, ())):
            callback(bytes(data))

    def subscribe(self, channel: str, callback: Callback) -> None:
        self._subscribers.setdefault(channel, []).append(callback)

    def close(self) -> None:
        self.closed = True

    def set(self, key: str, value: bytes, ttl: float | None = None,
            only_new: bool = False) -> bool:
        if only_new and self._live(key) is not None:
            return False
        self._values[key] = bytes(value)
        self._expiry.pop(key, None)
        if ttl is not None:
            self.expire(key, ttl)
        return True

    def get(self, key: str) -> bytes | None:
        value = self._live(key)
        return value if isinstance(value, bytes) else None

    def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)
            self._expiry.pop(key, None)

    def expire(self, key: str, ttl: float) -> None:
        if key in self._values:
            self._expiry[key] = time.monotonic() + ttl

    def set_add(self, key: str, member: str) -> None:
        found = self._live(key)
        if not isinstance(found, set):
            found = self._values[key] = set()
        found.add(member)

    def set_remove(self, key: str, member: str) -> None:
        found = self._live(key)
        if isinstance(found, set):
            found.discard(member)
            if not found:
                self.delete(key)

    def set_members(self, key: str) -> builtins.set[str]:
        found = self._live(key)
        return set(found) if isinstance(found, set) else set()

    def hash_set(self, key: str, field: str, value: bytes) -> None:
        found = self._live(key)
        if not isinstance(found, dict):
            found = self._values[key] = {}
        found[field] = bytes(value)

    def hash_get(self, key: str, field: str) -> bytes | None:
        found = self._live(key)
        return found.get(field) if isinstance(found, dict) else None

    def hash_delete(self, key: str, field: str) -> bool:
        found = self._live(key)
        if not isinstance(found, dict) or field not in found:
            return False
        del found[field]
        if not found:
            self.delete(key)
        return True

    def hash_sizes(self, key: str) -> dict[str, int]:
        found = self._live(key)
        return {f: len(v) for f, v in found.items()} if isinstance(found, dict) else {}

    def keys(self) -> list[str]:
        """Every live key (leak checks in tests)."""
        return [key for key in list(self._values) if self._live(key) is not None]
