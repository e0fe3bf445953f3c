"""Volatile packets: written when the client's transport can take them now, else lost.

Proven both ways: a fast client gets every volatile packet; a client whose transport
cannot take one now (a polling client between two polls, a websocket whose peer stopped
reading) loses it, while every non-volatile packet still arrives, in order.
"""

from __future__ import annotations

import gevent
import pytest

from .conftest import wait_until
from .nodeclient import NodeSocket
from .rawclient import open_websocket
from .test_bad_input import PollingClient


def test_fast_websocket_client_gets_every_volatile_packet(node, live):
    sock = NodeSocket(node, "fast", live.url, "websocket")
    assert sock.connect()["transport"] == "websocket"
    token = sock.emit("volatile_burst", 20, ack=True)
    assert sock.wait_ack(token) == [20]
    assert sock.wait_event("burst_done") == [20]
    assert sock.events("v") == [[i] for i in range(20)]


def test_volatile_broadcast_reaches_fast_websocket_clients(node, live):
    socks = [NodeSocket(node, f"fast{i}", live.url, "websocket") for i in range(3)]
    for sock in socks:
        sock.connect()
    assert live.server.sockets.volatile.emit("v", "all") == 3
    for sock in socks:
        assert sock.wait_event("v") == ["all"]


def test_polling_client_between_polls_loses_volatile_only(live):
    client = PollingClient(live.port)        # connected; no poll is open now
    session = live.manager.sessions[client.sid]
    assert session.transport is None
    emitter = live.server.sockets
    assert emitter.emit("n", 1) == 1
    assert emitter.volatile.emit("v", "lost") == 0
    assert emitter.emit("n", 2) == 1
    assert client.poll() == ['5:::{"name":"n","args":[1]}', '5:::{"name":"n","args":[2]}']


def test_polling_client_with_a_waiting_poll_gets_volatile(live):
    client = PollingClient(live.port)
    session = live.manager.sessions[client.sid]
    poll = gevent.spawn(client.poll)
    wait_until(lambda: session.transport is not None)
    assert live.server.sockets.volatile.emit("v", "kept") == 1
    assert poll.get(timeout=15) == ['5:::{"name":"v","args":["kept"]}']


def test_stalled_websocket_loses_volatile_keeps_the_rest_in_order(live):
    sid, ws = open_websocket(live.port)      # this peer reads nothing until the end
    try:
        transport = live.manager.sessions[sid].transport
        emitter = live.server.sockets
        chunk = "x" * 65536
        sent = 0
        while transport._writer is None:      # fill the socket buffers until writes block
            assert sent < 2000, "the writer never blocked"
            emitter.emit("fill", sent, chunk)
            sent += 1
            gevent.sleep(0)                  # let the writer run (a yield, not a wait)
        assert not transport.ready_for_volatile()
        assert emitter.volatile.emit("v", "lost") == 0
        emitter.emit("after", "kept")
        expected = [f'5:::{{"name":"fill","args":[{i},"{chunk}"]}}' for i in range(sent)]
        expected.append('5:::{"name":"after","args":["kept"]}')
        got = []
        while len(got) < len(expected):
            text = ws.recv_text()
            if text != "2::" and '"name":"welcome"' not in text:
                got.append(text)
        assert got == expected
        wait_until(lambda: transport.ready_for_volatile())
        assert emitter.volatile.emit("v", "now fine") == 1
        assert ws.recv_until(lambda t: t != "2::") == '5:::{"name":"v","args":["now fine"]}'
    finally:
        ws.close()


@pytest.mark.parametrize("flags", ["volatile.broadcast", "broadcast.volatile"])
def test_volatile_combines_with_broadcast_and_rooms(node, live, flags):
    socks = [NodeSocket(node, f"{flags}{i}", live.url, "websocket") for i in range(3)]
    for sock in socks:
        sock.connect()
    sender, member, other = socks
    for sock in (sender, member):
        sock.wait_ack(sock.emit("join", "game", ack=True))
    namespace = live.manager.sessions[sender.sid].namespaces[""]
    first, second = flags.split(".")
    emitter = getattr(getattr(namespace, first), second)
    assert emitter.to("game").emit("v", "room") == 1
    assert emitter.emit("v", "everyone but sender") == 2
    live.server.sockets.emit("sync")
    for sock in socks:
        sock.wait_event("sync")
    assert sender.events("v") == []
    assert member.events("v") == [["room"], ["everyone but sender"]]
    assert other.events("v") == [["everyone but sender"]]
