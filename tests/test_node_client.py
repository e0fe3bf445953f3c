"""The real socket.io-client 0.9.16 (node) against our server, over each transport.

Every test runs once per transport, forced on the client and asserted to be the one in
use, so a silent fallback cannot make a test pass.
"""

from __future__ import annotations

import itertools

import pytest

from .conftest import wait_until
from .nodeclient import NodeSocket

TRANSPORTS = ["websocket", "xhr-polling"]
_ids = itertools.count(1)

MIXED_ARGS = [
    "h\u00e9llo \u2603 \u65e5\u672c\u8a9e \u00fc\u00df",
    "quote\" back\\slash /slash </script> \n newline \u2028 sep",
    "\U0001F600 emoji \U0001F680",
    {"nested": {"list": [1, 2.5, None, True, False], "deep": {"x": ["y", {"z": "\U0001F9E1"}]}}},
    [],
    {},
    0,
    -12345678901,
    None,
]


@pytest.fixture(params=TRANSPORTS)
def transport(request) -> str:
    return request.param


def connect(node, live, transport, **kwargs) -> NodeSocket:
    sock = NodeSocket(node, f"c{next(_ids)}", live.url, transport, **kwargs)
    report = sock.connect()
    assert report["transport"] == transport
    return sock


def test_connect_uses_the_forced_transport(node, live, transport):
    sock = connect(node, live, transport)
    assert sock.sid in live.manager.sessions
    assert sock.state()["transport"] == transport
    welcome = sock.wait_event("welcome")
    assert welcome == [{"id": sock.sid, "nsp": ""}]
    live.recorder.wait_for("connect", sid=sock.sid, ns="")


def test_events_with_mixed_json_args_round_trip(node, live, transport):
    sock = connect(node, live, transport)
    sock.emit("echo", *MIXED_ARGS)
    assert sock.wait_event("echo") == MIXED_ARGS
    (seen,) = live.recorder.wait_for("echo", sid=sock.sid)
    assert seen["args"] == MIXED_ARGS


def test_many_events_arrive_in_order(node, live, transport):
    sock = connect(node, live, transport)
    for i in range(50):
        sock.emit("echo", i)
    wait_until(lambda: len(sock.events("echo")) == 50)
    assert sock.events("echo") == [[i] for i in range(50)]


def test_client_ack_gets_the_handlers_return_value(node, live, transport):
    sock = connect(node, live, transport)
    token = sock.emit("ack_me", "x", 1, {"k": ["\U0001F600"]}, ack=True)
    assert sock.wait_ack(token) == ["x", 1, {"k": ["\U0001F600"]}]


def test_message_with_plain_ack(node, live, transport):
    sock = connect(node, live, transport)
    token = sock.send("hello </script>", ack=True)
    assert sock.wait_ack(token) == []
    assert sock.wait_event("message") == ["hello </script>"]
    live.recorder.wait_for("message", sid=sock.sid, data="hello </script>")


def test_json_message(node, live, transport):
    sock = connect(node, live, transport)
    sock.json({"a": [1, "b"], "emoji": "\U0001F600"})
    assert sock.wait_event("message") == [{"a": [1, "b"], "emoji": "\U0001F600"}]
    live.recorder.wait_for("json", sid=sock.sid, data={"a": [1, "b"], "emoji": "\U0001F600"})


def test_server_to_client_data_ack(node, live, transport):
    sock = connect(node, live, transport)
    sock.reply("ask", "reply", 2, {"ok": True})
    sock.emit("ask_me", "tok")
    assert sock.wait_event("ask") == ["tok"]
    assert sock.wait_event("answer") == ["reply", 2, {"ok": True}]


def test_server_to_client_plain_ack_on_a_message(node, live, transport):
    sock = connect(node, live, transport)
    sock.emit("ask_plain")
    assert sock.wait_event("message") == ["plain?"]
    assert sock.wait_event("plain_acked") == []


def test_two_namespaces_on_one_connection(node, live, transport):
    sock = connect(node, live, transport)
    report = sock.of("/chat")
    assert report["sid"] == sock.sid
    assert sock.wait_event("welcome", ns="/chat") == [{"id": sock.sid, "nsp": "/chat"}]
    sock.emit("echo", "on chat", ns="/chat")
    sock.emit("echo", "on main")
    assert sock.wait_event("echo", ns="/chat") == ["on chat"]
    assert sock.wait_event("echo") == ["on main"]
    assert live.recorder.wait_for("echo", sid=sock.sid, ns="/chat")[0]["args"] == ["on chat"]
    assert set(live.manager.sessions[sock.sid].namespaces) == {"", "/chat"}


def test_leaving_one_namespace_keeps_the_other(node, live, transport):
    sock = connect(node, live, transport)
    sock.of("/chat")
    sock.disconnect(ns="/chat")
    live.recorder.wait_for("disconnect", sid=sock.sid, ns="/chat")
    wait_until(lambda: "/chat" not in live.manager.sessions[sock.sid].namespaces)
    sock.emit("echo", "still")
    assert sock.wait_event("echo") == ["still"]
    assert not live.recorder.find("disconnect", sid=sock.sid, ns="")


def test_unknown_namespace_is_refused(node, live, transport):
    sock = connect(node, live, transport)
    sock.of("/nowhere", wait=False)
    report = sock.wait_report("connect_failed", ns="/nowhere")
    assert report["ns"] == "/nowhere"
    assert "/nowhere" not in live.manager.sessions[sock.sid].namespaces
    sock.emit("echo", "fine")
    assert sock.wait_event("echo") == ["fine"]


def test_namespace_authorize_refusal(node, live, transport):
    refused = connect(node, live, transport)
    refused.of("/private", wait=False)
    refused.wait_report("connect_failed", ns="/private")
    allowed = connect(node, live, transport, query="token=yes")
    allowed.of("/private")
    assert allowed.wait_event("welcome", ns="/private")[0]["nsp"] == "/private"


def test_server_side_disconnect_then_reconnect_to_a_new_session(node, live, transport):
    # A kick (0::) makes the 0.9 client report 'booted' and, by its design, not reconnect
    # on its own; the application connects again and gets a new session.
    sock = connect(node, live, transport, reconnect=True)
    old_sid = sock.sid
    since = node.mark()
    sock.emit("kick_me")
    assert sock.wait_report("disconnect", since=since)["reason"] == "booted"
    live.recorder.wait_for("disconnect", sid=old_sid, ns="")
    live.wait_sessions(0)
    report = sock.connect()
    assert report["transport"] == transport
    assert sock.sid != old_sid
    assert list(live.manager.sessions) == [sock.sid]
    sock.emit("echo", "again")
    assert sock.wait_event("echo", since=since) == ["again"]


def test_lost_session_makes_the_client_reconnect_by_itself(node, live, transport):
    # The session ends without a goodbye (as when a server restarts): the client notices
    # (closed websocket, or 7:::1+0 with "reconnect" advice on its next poll) and
    # reconnects to a new session on its own.
    sock = connect(node, live, transport, reconnect=True,
                   options={"reconnection delay": 100})
    old_sid = sock.sid
    since = node.mark()
    live.manager.sessions[old_sid].close("test restart", notify=False)
    report = sock.wait_report("reconnect", since=since, timeout=20)
    assert report["transport"] == transport
    assert report["sid"] != old_sid
    assert report["sid"] in live.manager.sessions
    sock.emit("echo", "back")
    assert sock.wait_event("echo", since=since) == ["back"]


def test_client_side_disconnect_ends_the_session(node, live, transport):
    sock = connect(node, live, transport)
    sock.of("/chat")
    sock.disconnect()
    live.recorder.wait_for("disconnect", sid=sock.sid, ns="")
    live.recorder.wait_for("disconnect", sid=sock.sid, ns="/chat")
    live.wait_sessions(0)


def test_heartbeats_keep_an_idle_connection_alive(node, make_server, transport):
    # The handshake tells the client a 1.5 s heartbeat timeout: without heartbeats (or
    # polls) it would give up. Stay idle for several timeouts.
    live = make_server(heartbeat_interval=0.3, heartbeat_timeout=1.5, close_timeout=1.5,
                       polling_duration=0.5)
    sock = connect(node, live, transport)
    if transport == "websocket":
        wait_until(lambda: len(sock.packets_seen("heartbeat")) >= 12, timeout=30)
    else:
        first = len(node.reports(ev="packet", client=sock.client_id))
        wait_until(lambda: len(live.recorder.items) > 0 and
                   len(node.reports(ev="packet", client=sock.client_id)) >= first + 6, timeout=30)
    assert not node.reports(ev="disconnect", client=sock.client_id)
    assert sock.state()["connected"]
    assert list(live.manager.sessions) == [sock.sid]
    sock.emit("echo", "awake")
    assert sock.wait_event("echo") == ["awake"]


def test_vanished_client_is_reaped(node, make_server, transport):
    live = make_server(heartbeat_interval=0.3, heartbeat_timeout=1.5, close_timeout=1.5,
                       polling_duration=0.5)
    sock = connect(node, live, transport)
    sock.of("/chat")
    sock.drop()
    live.recorder.wait_for("disconnect", sid=sock.sid, ns="")
    live.recorder.wait_for("disconnect", sid=sock.sid, ns="/chat")
    live.wait_sessions(0)


def test_handler_error_does_not_hurt_the_session(node, live, transport):
    sock = connect(node, live, transport)
    other = connect(node, live, transport)
    sock.emit("boom")
    assert sock.wait_event("error")[0] == "handler_error"
    sock.emit("echo", "after")
    other.emit("echo", "other")
    assert sock.wait_event("echo") == ["after"]
    assert other.wait_event("echo") == ["other"]


def test_broadcast_reaches_everyone_else(node, live, transport):
    from geventsio import BaseNamespace

    clients = [connect(node, live, transport) for _ in range(3)]
    sender_ns = live.manager.sessions[clients[0].sid].namespaces[""]
    assert isinstance(sender_ns, BaseNamespace)
    assert sender_ns.broadcast.emit("news", "\U0001F4F0") == 2
    assert live.server.of("").emit("all", 1) == 3
    for sock in clients[1:]:
        assert sock.wait_event("news") == ["\U0001F4F0"]
    for sock in clients:
        assert sock.wait_event("all") == [1]
    assert clients[0].events("news") == []


def test_clients_reconnect_after_a_server_restart(node, recorder, transport):
    from geventsio import SocketIOServer

    from .apps import make_namespaces

    def start(port: int) -> SocketIOServer:
        server = SocketIOServer(("127.0.0.1", port), None, namespaces=make_namespaces(recorder),
                                log=None, heartbeat_interval=1, heartbeat_timeout=4,
                                close_timeout=4, polling_duration=1)
        server.start()
        return server

    first = start(0)
    port = first.server_port
    sock = NodeSocket(node, f"restart{next(_ids)}", f"http://127.0.0.1:{port}", transport,
                      reconnect=True, options={"reconnection delay": 100})
    assert sock.connect()["transport"] == transport
    old_sid = sock.sid
    since = node.mark()
    first.stop(timeout=2)                     # no goodbye by default: clients come back
    second = start(port)
    recorder.wait_for("disconnect", sid=old_sid, ns="")
    try:
        report = sock.wait_report("reconnect", since=since, timeout=30)
        assert report["sid"] != old_sid and report["sid"] in second.manager.sessions
        assert not [r for r in node.reports(ev="disconnect", client=sock.client_id)
                    if r.get("reason") == "booted"]
        sock.emit("echo", "after restart")
        assert sock.wait_event("echo", since=since) == ["after restart"]
    finally:
        second.stop(timeout=2)


def test_stop_with_goodbye_tells_clients_not_to_come_back(node, make_server, transport):
    live = make_server()
    sock = connect(node, live, transport, reconnect=True)
    since = node.mark()
    live.server.stop(timeout=2, goodbye=True)
    assert sock.wait_report("disconnect", since=since)["reason"] == "booted"
