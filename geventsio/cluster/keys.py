"""The names of the channels and keys the processes share (all under one prefix)."""

from __future__ import annotations

import json

__all__ = ["Keys", "joined_entry", "parse_joined"]


class Keys:
    """Channel and key names, built from one prefix (``geventsio:`` by default)."""

    __slots__ = ("prefix", "all")

    def __init__(self, prefix: str = "geventsio:") -> None:
        self.prefix = prefix
        #: The channel every process listens to (broadcasts).
        self.all = prefix + "all"

    def node_channel(self, node: str) -> str:
        """The channel of one process (packets for its clients, relayed requests)."""
        return f"{self.prefix}node:{node}"

    def node_alive(self, node: str) -> str:
        return f"{self.prefix}alive:{node}"

    @property
    def nodes(self) -> str:
        return self.prefix + "nodes"

    def node_sids(self, node: str) -> str:
        return f"{self.prefix}node-sids:{node}"

    def reaping(self, node: str) -> str:
        return f"{self.prefix}reap:{node}"

    def handshake(self, sid: str) -> str:
        return f"{self.prefix}hs:{sid}"

    def owner(self, sid: str) -> str:
        return f"{self.prefix}owner:{sid}"

    def ended(self, sid: str) -> str:
        return f"{self.prefix}ended:{sid}"

    def joined(self, sid: str) -> str:
        return f"{self.prefix}joined:{sid}"

    def store(self, sid: str) -> str:
        return f"{self.prefix}store:{sid}"

    def namespace(self, endpoint: str) -> str:
        return f"{self.prefix}ns:{endpoint}"

    def room(self, endpoint: str, room: str) -> str:
        return f"{self.prefix}room:{endpoint}:{room}"


def joined_entry(endpoint: str, room: str | None = None) -> str:
    """One member of a client's ``joined`` set: a namespace, or a room of one."""
    return json.dumps([endpoint] if room is None else [endpoint, room])


def parse_joined(entry: str) -> tuple[str, str | None]:
    """(endpoint, room or None) of a ``joined`` entry; ValueError if malformed."""
    value = json.loads(entry)
    if (not isinstance(value, list) or not 1 <= len(value) <= 2
            or not all(isinstance(part, str) for part in value)):
        raise ValueError(f"not a joined entry: {entry[:100]!r}")
    return value[0], (value[1] if len(value) == 2 else None)
