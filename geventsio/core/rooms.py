"""Who is where: the clients joined to each namespace, and to each room of a namespace.

The index answers "which sids should get this packet" without looking at any session that
is not a target: a namespace-wide send reads one set, a room send reads one set per room.
Rooms exist only while they have members; a client that leaves a namespace (or goes away)
leaves all its rooms there. The manager owns one index; sessions keep it up to date as
their namespaces connect and end, namespaces as they join and leave rooms.
"""

from __future__ import annotations

from typing import AbstractSet, Iterable

__all__ = ["RoomIndex"]

_EMPTY: frozenset[str] = frozenset()


class RoomIndex:
    """Members per endpoint, members per (endpoint, room), rooms per (endpoint, sid)."""

    __slots__ = ("_members", "_rooms", "_joined")

    def __init__(self) -> None:
        self._members: dict[str, set[str]] = {}
        self._rooms: dict[tuple[str, str], set[str]] = {}
        self._joined: dict[tuple[str, str], set[str]] = {}

    # -- namespace membership ----------------------------------------------------------
    def add_member(self, endpoint: str, sid: str) -> None:
        """``sid`` connected to ``endpoint``."""
        self._members.setdefault(endpoint, set()).add(sid)

    def remove_member(self, endpoint: str, sid: str) -> None:
        """``sid`` left ``endpoint``: it leaves every room there too."""
        for room in list(self._joined.get((endpoint, sid), ())):
            self.leave(endpoint, room, sid)
        members = self._members.get(endpoint)
        if members is not None:
            members.discard(sid)
            if not members:
                del self._members[endpoint]

    def members(self, endpoint: str) -> AbstractSet[str]:
        """The sids connected to ``endpoint`` (a live view: copy it to keep it)."""
        return self._members.get(endpoint, _EMPTY)

    # -- rooms -----------------------------------------------------------------------
    def join(self, endpoint: str, room: str, sid: str) -> bool:
        """Put ``sid`` in ``room`` of ``endpoint``; False if it was there already."""
        joined = self._joined.setdefault((endpoint, sid), set())
        if room in joined:
            return False
        joined.add(room)
        self._rooms.setdefault((endpoint, room), set()).add(sid)
        return True

    def leave(self, endpoint: str, room: str, sid: str) -> bool:
        """Take ``sid`` out of ``room``; False if it was not in it. Empty rooms vanish."""
        joined = self._joined.get((endpoint, sid))
        if joined is None or room not in joined:
            return False
        joined.discard(room)
        if not joined:
            del self._joined[(endpoint, sid)]
        members = self._rooms[(endpoint, room)]
        members.discard(sid)
        if not members:
            del self._rooms[(endpoint, room)]
        return True

    def room_members(self, endpoint: str, room: str) -> AbstractSet[str]:
        """The sids in ``room`` of ``endpoint`` (a live view: copy it to keep it)."""
        return self._rooms.get((endpoint, room), _EMPTY)

    def room_count(self, endpoint: str, sid: str) -> int:
        """How many rooms of ``endpoint`` ``sid`` is in."""
        return len(self._joined.get((endpoint, sid), _EMPTY))

    def rooms_of(self, endpoint: str, sid: str) -> frozenset[str]:
        """The rooms ``sid`` is in on ``endpoint``."""
        return frozenset(self._joined.get((endpoint, sid), _EMPTY))

    def rooms(self, endpoint: str) -> list[str]:
        """The rooms of ``endpoint`` that have members."""
        return [room for (where, room) in self._rooms if where == endpoint]

    # -- targeting -------------------------------------------------------------------
    def targets(self, endpoint: str, rooms: Iterable[str] | None = None) -> AbstractSet[str]:
        """The sids in any of ``rooms`` of ``endpoint``, or all its members if None.

        With one room or none, the stored set itself is returned: do not mutate it, and
        copy it before anything can join or leave.
        """
        if rooms is None:
            return self.members(endpoint)
        rooms = tuple(rooms)
        if len(rooms) == 1:
            return self.room_members(endpoint, rooms[0])
        found: set[str] = set()
        for room in rooms:
            found.update(self.room_members(endpoint, room))
        return found

    def namespace_sizes(self) -> dict[str, int]:
        """How many clients each endpoint has (for metrics)."""
        return {endpoint: len(sids) for endpoint, sids in self._members.items()}

    def counts(self) -> dict[str, int]:
        """How many endpoints, rooms and (endpoint, sid) room lists exist (leak checks)."""
        return {"endpoints": len(self._members), "rooms": len(self._rooms),
                "joined": len(self._joined)}
