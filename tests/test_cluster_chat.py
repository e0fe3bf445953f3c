"""The chat across processes behind nginx, with the real 0.9 clients (issue 11's acceptance).

nginx spreads every request round-robin with no affinity over the server processes, so a
session's handshake, websocket, polls, posts and htmlfile stream may each reach another
process. The clients are the node ``socket.io-client@0.9.16`` on websocket and on
xhr-polling, and the browser build in Chromium on jsonp-polling and htmlfile. They chat in
two rooms; every message must arrive exactly once, in order per sender, and nowhere else;
``clients(room)`` must be the same on every worker; a client that leaves is told to the
others (``user disconnected``) once; and nothing stays behind in any worker.

Topologies: one process behind nginx (no message queue: the proxy path alone), three
``python -m geventsio`` processes with a Redis message queue, and ``gunicorn -w 4`` with it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterator

import pytest

from .browser import Chromium, require_chromium
from .cluster import GunicornWorkers, Nginx, ServerProcesses, wait_for
from .clusterchat import TIMEOUT, NodeMember, PageMember, chat_round, join_all, sids_by_room

ROOMS = ("red", "blue")
NODE_TRANSPORTS = ("websocket", "xhr-polling")
BROWSER_TRANSPORTS = ("jsonp-polling", "htmlfile")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as browser:
        yield browser


def start(topology: str, redis_server: Any) -> Any:
    """The servers of ``topology``; all have ``ports``, ``pids``, ``states()``, ``logs()``."""
    if topology == "one process":
        return ServerProcesses(1)
    if topology == "three processes":
        return ServerProcesses(3, message_queue=redis_server.url)
    return GunicornWorkers(4, message_queue=redis_server.url)


@pytest.mark.parametrize("topology", ["one process", "three processes", "gunicorn -w 4"])
def test_chat_in_rooms_through_nginx(topology, node, chromium, redis_server):
    servers = start(topology, redis_server)
    pages: list[PageMember] = []
    try:
        with Nginx(servers.ports) as nginx:
            run_chat(servers, nginx, node, chromium, pages)
    except BaseException:
        print(servers.logs()[-20000:])
        raise
    finally:
        for page in pages:
            page.close()
        servers.stop()


def run_chat(servers: Any, nginx: Nginx, node: Any, chromium: Chromium,
             pages: list[PageMember]) -> None:
    members: list[Any] = []
    for n in range(3):
        for transport in NODE_TRANSPORTS:
            members.append(NodeMember(node, f"n{n}-{transport}", nginx.url, transport))
    for transport in BROWSER_TRANSPORTS:
        pages.append(PageMember(chromium, f"b-{transport}", nginx.url, transport))
        members.append(pages[-1])
    for member in members:  # the transport really used: no fallback made it pass
        assert member.transport_now() == member.transport, member.name

    owners = join_all(members, lambda i: ROOMS[i % 2])
    rooms = {m.sid: ROOMS[i % 2] for i, m in enumerate(members)}
    pids = set(servers.pids)
    assert set(owners.values()) <= pids
    if len(pids) > 1:  # the sessions are spread over the workers
        assert len(set(owners.values())) >= 2, owners
    print(f"owners: {sorted(Counter(owners.values()).values())}")

    chat_round(members, rooms, count=5)
    chat_round(members, rooms, count=5, first=6)  # a second round, after the first settled
    expect_clients_everywhere(servers, sids_by_room(members, rooms))
    if len(servers.ports) > 1:  # no affinity: polling sessions were served by several
        assert spread_sessions(nginx, members) >= 2, nginx.access_log()[-50:]
    for member in members:  # the owner's own view agrees too
        assert member.call("who", rooms[member.sid])[1] == sids_by_room(members, rooms)[
            rooms[member.sid]]

    leaving, staying = members[0], members[1:]
    leaving.leave()
    for member in staying:
        wait_for(lambda m=member: [leaving.sid] in m.received("user disconnected"), TIMEOUT,
                 f"{member.name} told that {leaving.name} left")
    expect_clients_everywhere(servers, sids_by_room(staying, rooms))
    chat_round(staying, rooms, count=5, first=11)  # the others keep going
    for member in staying:  # nobody was told twice
        assert member.received("user disconnected").count([leaving.sid]) == 1, member.name
    for member in staying:
        member.leave()
    wait_for(lambda: all(s["sessions"] == 0 and s["index"]["rooms"] == 0
                         and s["stored"] == 0 for s in servers.states()), TIMEOUT,
             "every worker empty")


def spread_sessions(nginx: Nginx, members: list[Any]) -> int:
    """How many polling members had requests answered by more than one upstream."""
    upstreams: dict[str, set[str]] = {}
    for entry in nginx.access_log():
        for member in members:
            if member.transport != "websocket" and member.sid in entry["uri"]:
                upstreams.setdefault(member.sid, set()).add(entry["upstream"])
    return sum(1 for found in upstreams.values() if len(found) > 1)


def expect_clients_everywhere(servers: Any, by_room: dict[str, list[str]]) -> None:
    """``clients(room)`` of every worker is exactly the room's members."""
    for room, sids in by_room.items():
        def agree(room: str = room, sids: list[str] = sids) -> bool:
            return all(state["clients"] == sids for state in servers.states(room))
        try:
            wait_for(agree, TIMEOUT, f"clients({room!r}) on every worker")
        except AssertionError:
            raise AssertionError(json.dumps(servers.states(room), indent=1)) from None
