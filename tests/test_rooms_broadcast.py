"""Rooms, broadcast, per-client storage, authorization and acks seen by real clients.

Several real socket.io-client 0.9.16 clients (node) at once, over each transport forced
in turn. Absence ("non-members get nothing") is checked after a later packet that every
client does get: packets of one client arrive in order, so once the later one is there,
an earlier one that is missing will never come.
"""

from __future__ import annotations

import itertools

import gevent
import pytest

from . import test_node_client
from geventsio.core.storage import MemoryStore

from .conftest import wait_until
from .nodeclient import NodeSocket

# The same per-transport fixture and connect helper as the single-client tests.
transport = test_node_client.transport
connect = test_node_client.connect

_ids = itertools.count(1)


def call(sock: NodeSocket, name: str, *args, ns: str = ""):
    """Emit with an ack and return the handler's return value."""
    token = sock.emit(name, *args, ns=ns, ack=True)
    answer = sock.wait_ack(token)
    return answer[0] if answer else None


def sync_all(live, socks) -> None:
    """A packet every client gets, after which missing earlier packets never come."""
    marker = f"sync-{next(_ids)}"
    live.server.sockets.emit("sync", marker)
    for sock in socks:
        sock.wait_event("sync", predicate=lambda r: r["args"] == [marker])


@pytest.fixture
def trio(node, live, transport):
    alice, bob, carol = (connect(node, live, transport) for _ in range(3))
    return alice, bob, carol


def test_room_emits_reach_members_only(live, trio):
    alice, bob, carol = trio
    assert call(alice, "join", "lobby") == ["lobby"]
    assert call(bob, "join", "lobby") == ["lobby"]
    assert sorted(live.server.of("").clients("lobby")) == sorted([alice.sid, bob.sid])

    assert call(alice, "to_room", "lobby", "without me") == 1   # broadcast.to: not the sender
    assert bob.wait_event("room") == ["lobby", "without me"]
    assert call(alice, "in_room", "lobby", "with me") == 2      # io.in_: the sender too
    assert alice.wait_event("room", predicate=lambda r: r["args"][1] == "with me")
    assert bob.wait_event("room", predicate=lambda r: r["args"][1] == "with me")
    sync_all(live, trio)
    assert alice.events("room") == [["lobby", "with me"]]
    assert bob.events("room") == [["lobby", "without me"], ["lobby", "with me"]]
    assert carol.events("room") == []


def test_leave_and_empty_rooms_disappear(live, trio):
    alice, bob, carol = trio
    call(alice, "join", "a")
    call(alice, "join", "b")
    assert call(bob, "join", "a") == ["a"]
    assert call(alice, "leave", "a") == ["b"]
    assert call(carol, "in_room", "a", "after leave") == 1
    assert bob.wait_event("room") == ["a", "after leave"]
    sync_all(live, trio)
    assert alice.events("room") == []
    assert call(alice, "leave", "b") == []
    assert call(alice, "leave", "never joined") == []
    assert "b" not in live.manager.index.rooms("")
    assert live.manager.index.rooms("") == ["a"]


def test_rooms_are_per_namespace(live, trio):
    alice, bob, _carol = trio
    alice.of("/chat")
    bob.of("/chat")
    call(alice, "join", "lobby", ns="/chat")
    call(bob, "join", "lobby")            # the same name on another namespace
    assert call(bob, "in_room", "lobby", "main only") == 1
    assert call(alice, "in_room", "lobby", "chat only", ns="/chat") == 1
    assert bob.wait_event("room") == ["lobby", "main only"]
    assert alice.wait_event("room", ns="/chat") == ["lobby", "chat only"]
    assert alice.events("room") == [] and bob.events("room", ns="/chat") == []


def test_broadcast_reaches_everyone_but_the_sender(live, trio):
    alice, bob, carol = trio
    assert call(alice, "shout", "hi all", {"n": 1}) == 2
    for sock in (bob, carol):
        assert sock.wait_event("shout") == ["hi all", {"n": 1}]
    assert call(bob, "to_all", "everyone") == 3
    for sock in trio:
        assert sock.wait_event("all") == ["everyone"]
    assert alice.events("shout") == []


def test_a_client_that_goes_leaves_its_rooms(live, trio):
    alice, bob, _carol = trio
    call(alice, "join", "gone-room")
    call(bob, "join", "gone-room")
    alice.disconnect()
    live.recorder.wait_for("disconnect", sid=alice.sid, ns="")
    wait_until(lambda: live.server.of("").clients("gone-room") == [bob.sid])
    assert call(bob, "in_room", "gone-room", "left?") == 1
    assert alice.sid not in live.server.of("").clients()


def test_server_of_emits_from_a_background_greenlet(live, trio):
    alice, bob, carol = trio
    alice.of("/chat")
    call(bob, "join", "news")

    def background() -> None:
        live.server.of("").emit("tick", "to main")
        live.server.of("/chat").emit("tick", "to chat")
        live.server.of("").in_("news").emit("tick", "to news")
        live.server.sockets.send("plain message")

    gevent.spawn(background).join()
    for sock in trio:
        assert sock.wait_event("tick") == ["to main"]
        assert sock.wait_event("message") == ["plain message"]
    assert alice.wait_event("tick", ns="/chat") == ["to chat"]
    assert bob.wait_event("tick", predicate=lambda r: r["args"] == ["to news"])
    sync_all(live, trio)
    assert bob.events("tick") == [["to main"], ["to news"]]
    assert carol.events("tick") == [["to main"]]
    assert carol.events("tick", ns="/chat") == [] and bob.events("tick", ns="/chat") == []


def test_clients_lists_namespace_and_room_members(live, trio):
    alice, bob, carol = trio
    call(carol, "join", "x")
    everyone = sorted(s.sid for s in trio)
    assert call(alice, "clients") == everyone
    assert call(alice, "clients", "x") == [carol.sid]
    assert call(alice, "clients", "nobody here") == []
    assert sorted(live.server.sockets.clients()) == everyone
    assert live.server.of("/chat").clients() == []


def test_per_client_storage(live, trio):
    alice, bob, _carol = trio
    assert call(alice, "store_get", "nick") == [None, False]
    call(alice, "store_set", "nick", "alice \U0001F600")
    call(bob, "store_set", "nick", "bob")
    assert call(alice, "store_get", "nick") == ["alice \U0001F600", True]
    assert call(bob, "store_get", "nick") == ["bob", True]
    alice.of("/chat")                     # shared by all namespaces of one client
    assert call(alice, "store_get", "nick", ns="/chat") == ["alice \U0001F600", True]
    assert call(alice, "store_delete", "nick") is True
    assert call(alice, "store_delete", "nick") is False
    assert call(alice, "store_get", "nick", ns="/chat") == [None, False]
    bob.disconnect()
    live.recorder.wait_for("disconnect", sid=bob.sid, ns="")
    wait_until(lambda: not live.manager.store.has(bob.sid, "nick"))
    assert len(live.manager.store) == 0


def test_server_to_client_ack_answered(live, trio, transport):
    alice = trio[0]
    alice.reply("slow", "ok", 7)
    alice.emit("ask_with_timeout", 30)
    assert alice.wait_event("slow") == [30]
    assert alice.wait_event("answered") == ["ok", 7]
    assert live.recorder.find("ack_timeout") == []


def test_server_to_client_ack_that_times_out(live, trio):
    alice = trio[0]                       # registers no reply: the ack never comes
    alice.emit("ask_with_timeout", 0.5)
    assert alice.wait_event("slow") == [0.5]
    (error,) = alice.wait_event("ack_timed_out")
    assert "no ack for 'slow'" in error and "0.5s" in error
    namespace = live.manager.sessions[alice.sid].namespaces[""]
    assert len(namespace._acks) == 0
    assert live.recorder.find("answered") == []


def test_handshake_refused_by_authorization(node, make_server, transport):
    seen = []

    def authorization(handshake):
        seen.append(handshake)
        return handshake["query"].get("token") == "letmein"

    live = make_server(authorization=authorization)
    refused = NodeSocket(node, f"r{next(_ids)}", live.url, transport, query="token=nope")
    refused.connect(wait=False)
    report = refused.wait_report("error")
    assert "handshake unauthorized" in str(report)
    assert len(live.manager.sessions) == 0
    allowed = NodeSocket(node, f"r{next(_ids)}", live.url, transport, query="token=letmein")
    assert allowed.connect()["transport"] == transport
    data = seen[-1]
    assert data["query"]["token"] == "letmein"
    assert data["address"]["address"] == "127.0.0.1"
    assert set(data) >= {"headers", "address", "time", "query", "url", "xdomain", "secure"}
    assert data["secure"] is False and data["url"].startswith("/socket.io/1/")
    assert live.manager.sessions[allowed.sid].handshake is data


def test_namespace_refused_by_authorize(live, trio):
    alice, bob, _carol = trio
    alice.of("/private", wait=False)
    assert alice.wait_report("connect_failed", ns="/private")["ns"] == "/private"
    assert "/private" not in live.manager.sessions[alice.sid].namespaces
    assert live.server.of("/private").clients() == []
    call(alice, "shout", "still here")
    assert bob.wait_event("shout") == ["still here"]


def test_reserved_event_never_reaches_recv_disconnect(live, trio):
    alice, bob, _carol = trio
    alice.emit("disconnect")              # the client library sends it as an event
    assert alice.wait_event("error")[0] == "reserved_event"
    call(alice, "shout", "alive")
    assert bob.wait_event("shout") == ["alive"]
    assert live.recorder.find("disconnect", sid=alice.sid) == []
    assert alice.sid in live.manager.sessions


class JournalStore(MemoryStore):
    """An application's own store: a memory store that also keeps a journal of calls."""

    def __init__(self) -> None:
        super().__init__(max_keys=100, max_bytes=1 << 16)
        self.journal: list[tuple[str, str, str]] = []

    def set(self, sid: str, key: str, value: object) -> None:
        self.journal.append(("set", sid, key))
        super().set(sid, key, value)

    def drop(self, sid: str) -> None:
        self.journal.append(("drop", sid, ""))
        super().drop(sid)


def test_the_store_option_puts_the_apps_store_behind_set_and_get(node, make_server):
    store = JournalStore()
    server = make_server(store=store, heartbeat_interval=0.5, heartbeat_timeout=3,
                         close_timeout=3, polling_duration=2)
    assert server.manager.store is store
    sock = connect(node, server, "websocket")
    call(sock, "store_set", "nick", "alice")
    assert call(sock, "store_get", "nick") == ["alice", True]
    assert ("set", sock.sid, "nick") in store.journal
    sock.disconnect()
    wait_until(lambda: ("drop", sock.sid, "") in store.journal)
    assert not store.has(sock.sid, "nick")
