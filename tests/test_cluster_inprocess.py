"""Two servers in this test process joined by a real Redis: the cluster's routing.

The servers share nothing but the ``redis_server`` fixture, so every packet between
their clients goes through Redis exactly as between processes (tests/test_cluster.py runs
real separate processes). Raw websocket and polling clients are pointed at one server or
the other for each request.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from geventsio import QueueEmitter
from geventsio.cluster import MemoryBackend, QueueUnavailable

from .conftest import (
    LiveServer,
    describe_greenlets,
    greenlets_since,
    greenlets_snapshot,
    wait_until,
)
from .rawclient import JsonpClient, RawWebSocket, XhrClient, handshake, request
from .redisserver import RedisServer
from .streamclient import StreamingResponse

pytestmark = pytest.mark.timeout(120)


def event(name: str, *args: Any, ack: int | None = None, ns: str = "") -> str:
    head = f"5:{ack}+:{ns}:" if ack is not None else f"5::{ns}:"
    return head + json.dumps({"name": name, "args": list(args)})


def ws_on(port: int, sid: str) -> RawWebSocket:
    ws = RawWebSocket(port, f"/socket.io/1/websocket/{sid}")
    assert ws.recv_text() == "1::"
    return ws


def next_event(ws: RawWebSocket, name: str) -> list[Any]:
    """The args of the next event ``name`` (heartbeats and other events skipped)."""
    text = ws.recv_until(lambda t: t.startswith("5:") and f'"name":"{name}"' in t)
    return list(json.loads(text.split(":", 3)[3])["args"])


def next_ack(ws: RawWebSocket, ack: int) -> list[Any]:
    text = ws.recv_until(lambda t: t.startswith(f"6:::{ack}"))
    rest = text[len(f"6:::{ack}"):]
    return list(json.loads(rest[1:])) if rest.startswith("+") else []


def keys(redis: RedisServer) -> list[bytes]:
    reply = redis.command(b"KEYS", b"*")
    return [line for line in reply.split(b"\r\n")[1:] if line and not line.startswith(b"$")]


@pytest.fixture
def pair(redis_server: RedisServer, make_server: Callable[..., LiveServer]) -> list[LiveServer]:
    # redis_server first: it is stopped after the servers
    options = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                   polling_duration=2, message_queue=redis_server.url)
    return [make_server(**options), make_server(**options)]


def test_websocket_owner_is_where_it_lands_and_broadcasts_cross(pair: list[LiveServer]) -> None:
    a, b = pair
    sid1 = handshake(a.port)
    ws1 = ws_on(b.port, sid1)  # handshaken on A, connected on B: B owns it
    assert sid1 in b.manager.sessions and sid1 not in a.manager.sessions
    sid2 = handshake(b.port)
    ws2 = ws_on(a.port, sid2)
    assert sid2 in a.manager.sessions
    try:
        ws1.send_text(event("to_all", "hi"))
        assert next_event(ws2, "all") == ["hi"]
        assert next_event(ws1, "all") == ["hi"]
        ws2.send_text(event("shout", "not me"))
        assert next_event(ws1, "shout") == ["not me"]
        a.server.of("").volatile.emit("v", 1)  # a websocket can take it now: not dropped
        assert next_event(ws1, "v") == [1]
        assert next_event(ws2, "v") == [1]
    finally:
        ws1.close()
        ws2.close()


def test_rooms_clients_and_storage_across_servers(pair: list[LiveServer],
                                                  redis_server: RedisServer) -> None:
    a, b = pair
    sid1, sid2 = handshake(a.port), handshake(a.port)
    ws1, ws2 = ws_on(a.port, sid1), ws_on(b.port, sid2)
    try:
        ws1.send_text(event("join", "r", ack=1))
        assert next_ack(ws1, 1) == [["r"]]
        ws2.send_text(event("join", "r", ack=2))
        assert next_ack(ws2, 2) == [["r"]]
        ws2.send_text(event("clients", "r", ack=3))
        assert next_ack(ws2, 3) == [sorted([sid1, sid2])]
        ws1.send_text(event("to_room", "r", "x"))
        assert next_event(ws2, "room") == ["r", "x"]
        ws1.send_text(event("store_set", "nick", {"n": 1}))
        ws1.send_text(event("store_get", "nick", ack=4))
        assert next_ack(ws1, 4) == [[{"n": 1}, True]]
        assert a.server.of("").clients("r") == b.server.of("").clients("r")
        assert b.manager.store.get(sid1, "nick") == {"n": 1}
    finally:
        ws1.close()
        ws2.close()
    wait_until(lambda: not a.manager.sessions and not b.manager.sessions)
    wait_until(lambda: not [k for k in keys(redis_server) if b"alive" not in k
                            and not k.endswith(b"nodes")],
               describe=lambda: f"keys left: {keys(redis_server)}")


def test_one_client_held_elsewhere_emit_and_disconnect(pair: list[LiveServer]) -> None:
    a, b = pair
    sid = handshake(a.port)
    ws = ws_on(b.port, sid)
    try:
        assert a.server.of("").socket(sid).emit("direct", 1) == 1
        assert next_event(ws, "direct") == [1]
        assert a.server.of("").socket(sid).clients() == [sid]
        assert a.server.of("").socket(sid).disconnect() is True
        assert ws.recv_until(lambda t: t.startswith("0::")) == "0::"
        wait_until(lambda: sid not in b.manager.sessions)
        assert a.server.of("").socket(sid).emit("direct", 2) == 0
    finally:
        ws.close()


def test_polling_requests_relayed_to_the_owner(pair: list[LiveServer]) -> None:
    a, b = pair
    client = XhrClient(a.port)
    path = client.path
    first = request(b.port, "GET", f"{path}?t=1")  # claims: B owns it
    assert first.status == 200 and first.text.startswith("1::") or "1::" in first.text
    assert client.sid in b.manager.sessions
    posted = request(a.port, "POST", f"{path}?t=1", event("echo", "relayed").encode())
    assert posted.status == 200 and posted.text == "1"
    polled = request(a.port, "GET", f"{path}?t=1")
    assert polled.status == 200 and '"args":["relayed"]' in polled.text, polled.text
    # a server-to-client ack: asked by the owner, answered by a POST to the other server
    assert request(a.port, "POST", f"{path}?t=1", event("ask_me", "tok").encode()).text == "1"
    asked = request(a.port, "GET", f"{path}?t=1").text
    assert asked.startswith("5:1+::") and '"args":["tok"]' in asked, asked
    assert request(a.port, "POST", f"{path}?t=1", b'6:::1+["yes"]').text == "1"
    answered = request(a.port, "GET", f"{path}?t=1").text
    assert '"name":"answer","args":["yes"]' in answered, answered
    assert a.manager.counters.relayed_requests == 6 and b.manager.counters.relayed_requests == 0
    gone = request(a.port, "GET", f"{path}?disconnect=1")
    assert gone.status == 200
    wait_until(lambda: client.sid not in b.manager.sessions)
    # as in one process: the 0:: of the ended session once, then "not handshaken"
    assert request(a.port, "GET", f"{path}?t=1").text == "0::"
    assert request(a.port, "GET", f"{path}?t=1").text == "7:::1+0"


def test_redis_restart_local_clients_served_then_cross_delivery_resumes(
        pair: list[LiveServer], redis_server: RedisServer, caplog: Any) -> None:
    a, b = pair
    sid1, sid2, sid3 = handshake(a.port), handshake(a.port), handshake(b.port)
    ws1, ws3, ws2 = ws_on(a.port, sid1), ws_on(a.port, sid3), ws_on(b.port, sid2)
    try:
        for n, ws in enumerate((ws1, ws2, ws3)):
            ws.send_text(event("join", "r", ack=n + 1))
            next_ack(ws, n + 1)
        redis_server.kill()
        for n in range(20):  # local clients keep being served
            ws1.send_text(event("in_room", "r", n))
            assert next_event(ws3, "room") == ["r", n]
            assert next_event(ws1, "room") == ["r", n]
        ws1.send_text(event("echo", "still"))
        assert next_event(ws1, "echo") == ["still"]
        assert a.manager.counters.queue_errors >= 20  # each broadcast's publish, counted
        ws1.send_text(event("store_set", "nick", "n1"))  # kept in the owner's memory
        ws1.send_text(event("store_get", "nick", ack=9))
        assert next_ack(ws1, 9) == [["n1", True]]
        refused = request(a.port, "GET", "/socket.io/1/?t=1")  # nowhere to record it
        assert refused.status == 503 and b"message queue" in refused.body
        redis_server.start()  # empty: the processes write back what they hold
        expected = sorted([sid1, sid2, sid3])
        wait_until(lambda: sorted(b.server.of("").clients("r")) == expected,
                   describe=lambda: f"clients(r) on B: {b.server.of('').clients('r')}")
        ws1.send_text(event("to_room", "r", "back"))
        assert next_event(ws2, "room") == ["r", "back"]
        assert a.server.of("").socket(sid2).emit("direct", 3) == 1
        assert next_event(ws2, "direct") == [3]
        wait_until(lambda: redis_server.command(  # written back for the other processes
            b"HGET", f"geventsio:store:{sid1}".encode(), b"nick") == b'$4\r\n"n1"\r\n')
    finally:
        for ws in (ws1, ws2, ws3):
            ws.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "geventsio.cluster"]
    down = [m for m in lines if m.startswith("message queue unreachable")]
    assert 1 <= len(down) <= 2, lines  # once per process, not once per message


def test_jsonp_polling_relayed(pair: list[LiveServer]) -> None:
    a, b = pair
    client = JsonpClient(a.port)
    client.port = b.port
    assert "1::" in client.poll()  # claimed by B
    assert client.sid in b.manager.sessions
    client.port = a.port  # every later request on A, relayed to B
    assert client.post(event("echo", "j")).text == "1"
    packets = client.poll()  # checks the jsonp wrapping and the index
    assert any('"args":["j"]' in p for p in packets), packets


def test_htmlfile_stream_on_owner_post_relayed(pair: list[LiveServer]) -> None:
    a, b = pair
    sid = handshake(a.port)
    stream = StreamingResponse(b.port, f"/socket.io/1/htmlfile/{sid}?t=1")
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        posted = request(a.port, "POST", f"/socket.io/1/htmlfile/{sid}",
                         event("echo", "h").encode())
        assert posted.body == b"1"
        chunk = stream.chunks_until(lambda c: b"echo" in c)[-1]
        assert b'\\"args\\":[\\"h\\"]' in chunk, chunk
        # a second stream elsewhere is not relayed: told to handshake again
        other = request(a.port, "GET", f"/socket.io/1/htmlfile/{sid}?t=1")
        assert b"7:::1+0" in other.body
    finally:
        stream.close()


def test_bad_input_relayed_gets_its_error_and_nothing_breaks(
        pair: list[LiveServer], redis_server: RedisServer, caplog: Any) -> None:
    a, b = pair
    client = XhrClient(a.port)
    assert "1::" in request(b.port, "GET", f"{client.path}?t=1").text
    bad = request(a.port, "POST", f"{client.path}?t=1", "\ufffd9\ufffd1::".encode())
    assert bad.status == 400 and b"payload" in bad.body.lower(), bad
    assert any("relayed POST" in r.getMessage() for r in caplog.records)
    # a websocket-held session is not polled through another server
    sid = handshake(a.port)
    ws = ws_on(b.port, sid)
    try:
        held = request(a.port, "GET", f"/socket.io/1/xhr-polling/{sid}?t=1")
        assert held.text == "7:::1+0"
        # garbage on the processes' channel is dropped with a log line
        reply = redis_server.command(b"PUBLISH", b"geventsio:all", b"\x01[not json")
        assert reply.startswith(b":")
        wait_until(lambda: any("malformed message from the queue" in r.getMessage()
                               for r in caplog.records))
        ws.send_text(event("echo", "alive"))
        assert next_event(ws, "echo") == ["alive"]
        assert request(a.port, "POST", f"{client.path}?t=1", event("echo", "x").encode()
                       ).text == "1"
    finally:
        ws.close()


def test_many_clients_leave_nothing_behind(pair: list[LiveServer], redis_server: RedisServer
                                           ) -> None:
    a, b = pair
    before = greenlets_snapshot()
    sockets, pollers = [], []
    for n in range(20):
        sid = handshake((a, b)[n % 2].port)
        ws = ws_on((b, a)[n % 2].port, sid)
        ws.send_text(event("join", f"room{n % 3}"))
        ws.send_text(event("store_set", "k", n))
        sockets.append(ws)
    for n in range(20):
        client = XhrClient(a.port)
        assert "1::" in request((a, b)[n % 2].port, "GET", f"{client.path}?t=1").text
        posted = request((b, a)[n % 2].port, "POST", f"{client.path}?t=1",
                         event("join", "room0").encode() + b"")
        assert posted.text == "1"
        pollers.append(client)
    wait_until(lambda: len(a.server.of("").clients("room0")) == 27,
               describe=lambda: str(len(a.server.of("").clients("room0"))))
    for ws in sockets:
        ws.close()
    for n, client in enumerate(pollers):
        assert request((b, a)[n % 2].port, "GET", f"{client.path}?disconnect=1").status == 200
    for live in pair:
        wait_until(lambda m=live.manager: not m.sessions and m.index.counts() == {
            "endpoints": 0, "rooms": 0, "joined": 0}, describe=lambda m=live.manager: str(
            (len(m.sessions), m.index.counts())))
        assert not live.manager.cluster._waiting
    wait_until(lambda: not [k for k in keys(redis_server) if b":alive:" not in k
                            and not k.endswith(b":nodes")],
               describe=lambda: f"keys left: {keys(redis_server)}")
    wait_until(lambda: not greenlets_since(before),
               describe=lambda: describe_greenlets(greenlets_since(before)))


def test_disconnect_without_transport_reaches_the_owner(pair: list[LiveServer]) -> None:
    a, b = pair
    sid = handshake(a.port)
    ws = ws_on(b.port, sid)
    try:
        gone = request(a.port, "GET", f"/socket.io/1//{sid}?disconnect=1")
        assert gone.status == 200
        assert ws.recv_until(lambda t: t.startswith("0::")) == "0::"
        wait_until(lambda: sid not in b.manager.sessions)
    finally:
        ws.close()


def test_kicked_polling_client_gets_its_farewell_through_the_other_server(
        pair: list[LiveServer]) -> None:
    a, b = pair
    client = XhrClient(a.port)
    assert "1::" in request(b.port, "GET", f"{client.path}?t=1").text  # B owns it
    assert a.server.of("").socket(client.sid).disconnect() is True  # between two polls
    wait_until(lambda: client.sid not in b.manager.sessions)
    assert request(a.port, "GET", f"{client.path}?t=1").text == "0::"
    assert request(a.port, "GET", f"{client.path}?t=1").text == "7:::1+0"  # only once


def test_servers_sharing_a_memory_backend_act_as_a_cluster(
        make_server: Callable[..., LiveServer]) -> None:
    from geventsio.cluster import MemoryBackend

    queue = MemoryBackend()
    options = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                   polling_duration=2, message_queue=queue)
    a, b = make_server(**options), make_server(**options)
    sid1, sid2 = handshake(a.port), handshake(a.port)
    ws1, ws2 = ws_on(a.port, sid1), ws_on(b.port, sid2)
    try:
        ws2.send_text(event("to_all", "m"))
        assert next_event(ws1, "all") == ["m"]
        client = XhrClient(b.port)
        assert "1::" in request(a.port, "GET", f"{client.path}?t=1").text
        assert request(b.port, "POST", f"{client.path}?t=1", event("echo", "q").encode()
                       ).text == "1"
        assert '"args":["q"]' in request(b.port, "GET", f"{client.path}?t=1").text
    finally:
        ws1.close()
        ws2.close()


def test_a_backend_object_shared_by_servers_outlives_one_of_them(
        redis_server: RedisServer, make_server: Callable[..., LiveServer]) -> None:
    from geventsio.cluster.redisbackend import RedisBackend

    queue = RedisBackend(redis_server.url)
    options = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                   polling_duration=2, message_queue=queue)
    a, b, c = make_server(**options), make_server(**options), make_server(**options)
    sid = handshake(b.port)
    ws = ws_on(b.port, sid)
    try:
        a.server.stop(timeout=1)  # b and c keep the shared backend
        assert not queue.closed
        c.server.of("").emit("after", 1)
        assert next_event(ws, "after") == [1]
    finally:
        ws.close()
        queue.close()


def test_two_clusters_on_one_redis_with_two_prefixes(
        redis_server: RedisServer, make_server: Callable[..., LiveServer]) -> None:
    options = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                   polling_duration=2)
    first = make_server(message_queue=redis_server.url + "?prefix=one:", **options)
    second = make_server(message_queue=redis_server.url + "?prefix=two:", **options)
    sid1, sid2 = handshake(first.port), handshake(second.port)
    ws1, ws2 = ws_on(first.port, sid1), ws_on(second.port, sid2)
    try:
        assert first.server.of("").clients() == [sid1]
        assert second.server.of("").clients() == [sid2]
        assert any(k.startswith(b"one:") for k in keys(redis_server))
        QueueEmitter(redis_server.url + "?prefix=two:").of("").emit("only", 2)
        assert next_event(ws2, "only") == [2]
        first.server.of("").emit("mine", 1)
        second.server.of("").emit("mine", 2)
        assert next_event(ws1, "mine") == [1]  # not the other cluster's "only" nor 2
        assert next_event(ws2, "mine") == [2]
    finally:
        ws1.close()
        ws2.close()


class FlakyBackend(MemoryBackend):
    """A memory backend that can be made unreachable, counting its failures as the
    Redis backend does."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.health = type("Health", (), {"failures": 0})()
        for name in ("publish", "set", "get", "delete", "expire", "set_add", "set_remove",
                     "set_members", "hash_set", "hash_get", "hash_delete", "hash_sizes"):
            setattr(self, name, self._guarded(getattr(self, name)))

    def _guarded(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                self.health.failures += 1
                raise QueueUnavailable("down for the test")
            return call(*args, **kwargs)
        return guarded


def test_changes_missed_while_unreachable_are_written_back(
        make_server: Callable[..., LiveServer]) -> None:
    queue = FlakyBackend()
    options = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                   polling_duration=2, message_queue=queue)
    a, b = make_server(**options), make_server(**options)
    sid = handshake(a.port)
    ws = ws_on(a.port, sid)
    try:
        for n, room in enumerate(("r", "s")):
            ws.send_text(event("join", room, ack=n + 1))
            next_ack(ws, n + 1)
        queue.down = True  # unreachable, not restarted: it keeps what it had
        ws.send_text(event("leave", "r", ack=3))
        assert next_ack(ws, 3) == [["s"]]
        ws.send_text(event("join", "t", ack=4))
        assert next_ack(ws, 4) == [["s", "t"]]
        ws.send_text(event("store_set", "k", 1))
        assert MemoryBackend.set_members(queue, "geventsio:room::r") == {sid}  # stale
        queue.down = False
        wait_until(lambda: (b.server.of("").clients("r"), b.server.of("").clients("t"))
                   == ([], [sid]), describe=lambda: str(queue.keys()))
        wait_until(lambda: b.manager.store.get(sid, "k") == 1)
    finally:
        ws.close()
    wait_until(lambda: [k for k in queue.keys() if ":alive:" not in k
                        and not k.endswith(":nodes")] == [],
               describe=lambda: str(queue.keys()))
