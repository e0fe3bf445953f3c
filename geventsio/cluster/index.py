"""The room index of one process, mirrored into the message queue's sets.

Each process delivers from its own :class:`~geventsio.rooms.RoomIndex` (no network call
per packet). :class:`SharedRoomIndex` also writes every change into the backend: one set
per namespace, one per room, and one per client listing what it joined, so that
``clients(room)`` answers for the whole cluster and a survivor can clean up after a process
that died. A change the backend cannot take (Redis down) is kept locally and logged by the
backend, once.
"""

from __future__ import annotations

from typing import Callable

from ..core.rooms import RoomIndex
from .backend import Backend, QueueUnavailable
from .keys import Keys, joined_entry

__all__ = ["SharedRoomIndex"]


class SharedRoomIndex(RoomIndex):
    """A :class:`RoomIndex` whose changes are also written to ``backend``."""

    __slots__ = ("backend", "keys")

    def __init__(self, backend: Backend, keys: Keys) -> None:
        super().__init__()
        self.backend = backend
        self.keys = keys

    def _mirror(self, write: Callable[[], None]) -> None:
        try:
            write()
        except QueueUnavailable:
            pass  # the backend logged it; the local index is what this process uses

    def add_member(self, endpoint: str, sid: str) -> None:
        super().add_member(endpoint, sid)
        self._mirror(lambda: self._add(self.keys.namespace(endpoint), sid,
                                       joined_entry(endpoint)))

    def remove_member(self, endpoint: str, sid: str) -> None:
        super().remove_member(endpoint, sid)  # leaves its rooms through self.leave
        self._mirror(lambda: self._remove(self.keys.namespace(endpoint), sid,
                                          joined_entry(endpoint)))

    def join(self, endpoint: str, room: str, sid: str) -> bool:
        if not super().join(endpoint, room, sid):
            return False
        self._mirror(lambda: self._add(self.keys.room(endpoint, room), sid,
                                       joined_entry(endpoint, room)))
        return True

    def leave(self, endpoint: str, room: str, sid: str) -> bool:
        if not super().leave(endpoint, room, sid):
            return False
        self._mirror(lambda: self._remove(self.keys.room(endpoint, room), sid,
                                          joined_entry(endpoint, room)))
        return True

    def _add(self, key: str, sid: str, entry: str) -> None:
        self.backend.set_add(key, sid)
        self.backend.set_add(self.keys.joined(sid), entry)

    def _remove(self, key: str, sid: str, entry: str) -> None:
        self.backend.set_remove(key, sid)
        self.backend.set_remove(self.keys.joined(sid), entry)

    def republish(self) -> None:
        """Write every membership of this process again (the backend lost them)."""
        for endpoint, sids in list(self._members.items()):
            for sid in list(sids):
                self._add(self.keys.namespace(endpoint), sid, joined_entry(endpoint))
        for (endpoint, room), sids in list(self._rooms.items()):
            for sid in list(sids):
                self._add(self.keys.room(endpoint, room), sid, joined_entry(endpoint, room))

    def cluster_targets(self, endpoint: str, rooms: frozenset[str] | None) -> set[str]:
        """The sids of the whole cluster in any of ``rooms`` of ``endpoint`` (all of its
        members if None); this process's own members when the backend is unreachable."""
        try:
            if rooms is None:
                return self.backend.set_members(self.keys.namespace(endpoint))
            found: set[str] = set()
            for room in rooms:
                found |= self.backend.set_members(self.keys.room(endpoint, room))
            return found
        except QueueUnavailable:
            return set(self.targets(endpoint, rooms))
