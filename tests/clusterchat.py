"""Chat members of the many-process tests and the checks made on what they received.

A member is one real 0.9 client on ``/chat`` of ``tests/e2e_app.py``: the node
``socket.io-client@0.9.16`` (:class:`NodeMember`, websocket or xhr-polling) or the browser
build in Chromium (:class:`PageMember`, jsonp-polling or htmlfile, through
``tests/browser/harness.js``). All offer the same few calls, so a scenario is written once.

:func:`chat_round` is the scenario: every member joins a room, says ``count`` numbered
messages, and each member must get every message of its room exactly once, in order per
sender, and nothing of the other rooms.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any, Callable, Sequence

from .browser import Chromium
from .cluster import wait_for
from .nodeclient import NodeDriver, NodeSocket
from .test_browser import PageSocket, open_page

NS = "/chat"
#: Through a proxy and across processes, on a loaded machine: generous.
TIMEOUT = 45.0


class NodeMember:
    """A node client on ``/chat``."""

    def __init__(self, node: NodeDriver, name: str, url: str, transport: str) -> None:
        self.name = name
        self.transport = transport
        self.socket = NodeSocket(node, name, url + NS, transport, packets=False)
        self.socket.connect(timeout=TIMEOUT)
        self.sid: str = str(self.socket.sid)

    def call(self, event: str, *args: Any) -> list[Any]:
        """Emit with an ack; the ack's arguments."""
        token = self.socket.emit(event, *args, ns=NS, ack=True)
        return self.socket.wait_ack(str(token), timeout=TIMEOUT)

    def emit(self, event: str, *args: Any) -> None:
        self.socket.emit(event, *args, ns=NS)

    def received(self, event: str) -> list[list[Any]]:
        return self.socket.events(event, ns=NS)

    def transport_now(self) -> str:
        return str(self.socket.state()["transport"])

    def leave(self) -> None:
        self.socket.disconnect()


class PageMember:
    """A browser client on ``/chat`` in its own page."""

    _keys = itertools.count(1)

    def __init__(self, chromium: Chromium, name: str, url: str, transport: str) -> None:
        self.name = name
        self.transport = transport
        self.page = open_page(chromium, url)
        self.socket = PageSocket(self.page, name)
        self.page.eval("(a) => T.connect(a.name, a.o)",
                       {"name": name, "o": {"transport": transport, "ns": NS}})
        self.sid = str(self.socket.wait_connected(TIMEOUT)["sid"])

    def call(self, event: str, *args: Any) -> list[Any]:
        key = f"{self.name}-{next(self._keys)}"
        self.socket.emit(event, *args, ack=key)
        return self.socket.wait("#ack", key=key, timeout=TIMEOUT)[0]["args"]

    def emit(self, event: str, *args: Any) -> None:
        self.socket.emit(event, *args)

    def received(self, event: str) -> list[list[Any]]:
        return [entry["args"] for entry in self.socket.log(event)]

    def transport_now(self) -> str:
        return str(self.socket.state()["transport"])

    def leave(self) -> None:
        """End the whole connection (``socket.disconnect()``: a namespace's disconnect
        would leave only ``/chat``). The page stays open, so that the client's goodbye
        request is not cut short, until :meth:`close`."""
        self.page.eval("(a) => { T.sockets[a].nsp.socket.disconnect(); return true; }",
                       self.name)

    def close(self) -> None:
        self.page.close()


Member = Any  # NodeMember | PageMember


def join_all(members: Sequence[Member], room_of: Callable[[int], str]) -> dict[str, int]:
    """Every member joins its room; sid -> pid of the worker that owns its session."""
    owners = {}
    for index, member in enumerate(members):
        pid, rooms = member.call("join", room_of(index))
        assert rooms == [room_of(index)], (member.name, rooms)
        owners[member.sid] = pid
    return owners


def chat_round(members: Sequence[Member], rooms: dict[str, str], count: int,
               first: int = 1, since: int = 1) -> None:
    """Every member says ``count`` numbered messages (from ``first``) to its room, all at
    once; then each member must have every message of its room numbered from ``since``
    exactly once, in order per sender, and none from another room. ``rooms`` is
    sid -> room. (A fault test passes ``since=first``: what was lost before is not
    counted.)"""
    for member in members:
        for number in range(first, first + count):
            member.emit("say", rooms[member.sid], number, f"{member.name} #{number}")
    expected = expected_numbers(members, rooms, since, first + count - 1)
    senders = {m.sid for m in members}

    def complete() -> bool:
        return all(received_numbers(m, senders, since) == expected[m.sid] for m in members)
    try:
        wait_for(complete, TIMEOUT, "every message of the round")
    except AssertionError:
        for member in members:  # the first difference is the useful message
            assert received_numbers(member, senders, since) == expected[member.sid], \
                member.name
        raise


def expected_numbers(members: Sequence[Member], rooms: dict[str, str], since: int,
                     last: int) -> dict[str, dict[str, list[int]]]:
    """sid of a receiver -> sid of each sender in its room -> numbers since..last."""
    return {m.sid: {s.sid: list(range(since, last + 1)) for s in members
                    if rooms[s.sid] == rooms[m.sid]} for m in members}


def received_numbers(member: Member, senders: set[str],
                     since: int = 1) -> dict[str, list[int]]:
    """sender sid -> the client numbers ``member`` received from it, in arrival order
    (from ``senders`` only, numbered from ``since``).

    The namespace's own count (per sender) must equal the client's number: a message
    handled twice, or out of order, on the owner shows there too.
    """
    found: dict[str, list[int]] = defaultdict(list)
    for sender, seq, number, _text, _pid in member.received("said"):
        assert seq == number, (member.name, sender, seq, number)
        if sender in senders and number >= since:
            found[sender].append(number)
    return dict(found)


def sids_by_room(members: Sequence[Member], rooms: dict[str, str]) -> dict[str, list[str]]:
    by_room: dict[str, list[str]] = defaultdict(list)
    for member in members:
        by_room[rooms[member.sid]].append(member.sid)
    return {room: sorted(sids) for room, sids in by_room.items()}
