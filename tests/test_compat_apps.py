"""gevent-socketio 0.3 style apps (tests/compat) under the real 0.9.16 client.

Each app is written as it would have been for gevent-socketio, importing ``geventsio``:
a chat with nicknames, rooms, a cooperative mixin, a callback without arguments, a clock
pushing dict packets through ``server.sockets``, ``socketio_manage`` keywords and the
legacy server keywords; a Pyramid app; a Django app using ``sdjango``.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys

import gevent
import pytest

from geventsio.http.flashpolicy import POLICY_REQUEST

from .compat import chat
from .conftest import ROOT
from .nodeclient import NodeSocket
from .rawclient import request

_ids = itertools.count(1)
TRANSPORTS = ["websocket", "xhr-polling"]
TIMERS = dict(heartbeat_interval=1, heartbeat_timeout=5, close_timeout=3, polling_duration=1)


@pytest.fixture
def chat_server(tmp_path):
    server = chat.make_server("127.0.0.1", 0, str(tmp_path / "access.log"), **TIMERS)
    server.start()
    clock = gevent.spawn(chat.clock, server, 0.2)
    try:
        yield server
    finally:
        clock.kill()
        server.stop(timeout=2)


def client(node, server, transport, ns="/chat"):
    sock = NodeSocket(node, f"cx{next(_ids)}", f"http://127.0.0.1:{server.server_port}",
                      transport)
    assert sock.connect()["transport"] == transport
    if ns:
        sock.of(ns)
    return sock


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_chat_nicknames_rooms_and_mixins(node, chat_server, transport):
    ann, ben = client(node, chat_server, transport), client(node, chat_server, transport)
    ann.reply("welcome", ns="/chat")  # ann acknowledges 'welcome'; ben never does
    for sock, name in ((ann, "ann"), (ben, "ben")):
        assert sock.wait_ack(sock.emit("nickname", name, ns="/chat", ack=True)) == [True]
    ann.wait_event("announcement", ns="/chat",
                   predicate=lambda r: r["args"] == ["ben has connected"])
    # the zero-argument callback ran when ann acknowledged
    assert ann.wait_event("welcomed", ns="/chat") == ["ann"]
    welcome = [p for p in ann.packets_seen("event") if p.get("name") == "welcome"]
    assert welcome and welcome[0]["ack"] == "data"  # an event asks for a data ack

    for sock in (ann, ben):
        assert sock.wait_ack(sock.emit("join", "lobby", ns="/chat", ack=True)) == ["lobby"]
    assert ann.wait_ack(ann.emit("user message", "lobby", "hi", ns="/chat", ack=True)) == [1]
    assert ben.wait_event("msg_to_room", ns="/chat") == ["ann", "hi"]
    assert ann.wait_ack(ann.emit("user message", "lobby", "again", ns="/chat",
                                 ack=True)) == [2]
    # the cooperative mixin's __init__ ran: its history is per client
    assert ann.wait_ack(ann.emit("history", ns="/chat", ack=True)) == [["hi", "again"]]
    assert ben.wait_ack(ben.emit("history", ns="/chat", ack=True)) == [[]]
    assert ann.events("msg_to_room", ns="/chat") == []
    assert ben.events("welcomed", ns="/chat") == []

    ben.disconnect()
    ann.wait_event("announcement", ns="/chat",
                   predicate=lambda r: r["args"] == ["ben has disconnected"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sockets_dict_packets_and_manage_keywords(node, chat_server, transport):
    ann, ben = client(node, chat_server, transport), client(node, chat_server, transport)
    lone = client(node, chat_server, transport, ns=None)  # never joins /chat
    # the clock pushes dict packets to every session in /chat, through server.sockets
    for sock in (ann, ben):
        assert sock.wait_event("tick", ns="/chat")[0] >= 1
    sockets = chat_server.sockets
    assert len(sockets) == 3 and {ann.sid, ben.sid, lone.sid} == set(sockets.keys())
    assert sockets[ann.sid]["/chat"].socket is sockets[ann.sid]
    assert "/chat" not in sockets[lone.sid]

    # self.socket['/chat'] from the default namespace, and self.socket.server
    ann.emit("shout", "hey")
    assert ann.wait_event("shout", ns="/chat") == ["hey", chat_server.server_port]
    # a handler whose one argument is named 'packet' gets the packet as a dict
    ann.emit("packet", 1, 2)
    assert ann.wait_event("packet_seen") == ["packet", [1, 2]]
    # json_dumps given to socketio_manage writes what the stdlib cannot
    ann.emit("price", ns="/chat")
    assert ann.wait_event("price", ns="/chat") == ["1.25", "2012-05-01"]
    # error_handler given to socketio_manage sees the errors
    ann.emit("no such thing", ns="/chat")
    assert ann.wait_event("oops", ns="/chat") == ["no_such_method"]
    assert ("no_such_method", "/chat") in chat.ERRORS
    # the shout of a client that has not joined /chat is an error, not a crash
    lone.emit("shout", "anyone?")
    assert lone.wait_event("oops") == ["handler_error"]
    assert lone.events("tick", ns="/chat") == []


def test_legacy_server_keywords(tmp_path):
    log_path = tmp_path / "access.log"
    server = chat.make_server("127.0.0.1", 0, str(log_path), **TIMERS)
    assert server.config.resource == "socket.io"  # from namespace=
    server.start()
    try:
        policy = server.policy_server  # started by policy_listener=
        assert policy is not None and policy.server_host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", policy.server_port), timeout=10) as conn:
            conn.sendall(POLICY_REQUEST)
            assert b'<allow-access-from domain="*" to-ports="*"/>' in conn.makefile("rb").read()
        assert request(server.server_port, "GET", "/").text == "compat chat"
    finally:
        server.stop(timeout=2)
    assert server.log_file.closed
    assert '"GET / HTTP/1.1" 200' in log_path.read_text()


def test_pyramid_app(node, make_server):
    from .compat.pyramid_chat import make_app

    live = make_server(app=make_app(), namespaces=None, **TIMERS)
    assert request(live.port, "GET", "/").text == "pyramid index"
    socks = []
    for transport in TRANSPORTS:
        sock = NodeSocket(node, f"px{next(_ids)}", live.url, transport)
        sock.connect()
        sock.of("/echo")
        socks.append(sock)
    first, second = socks
    assert first.wait_ack(first.emit("hello", "ann", ns="/echo", ack=True)) == ["Request"]
    assert second.wait_event("hello", ns="/echo") == ["bonjour, ann"]


@pytest.fixture
def django_port():
    """The port of the sdjango project served in a child process (Django's settings are
    process-wide: the Django example configures others in this process)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.compat.django_server"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        with gevent.Timeout(30, AssertionError("the Django server did not start")):
            line = proc.stdout.readline()
        yield int(line)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_django_app_with_sdjango(node, django_port):
    url = f"http://127.0.0.1:{django_port}"
    assert request(django_port, "GET", "/").text == "django index"
    socks = []
    for transport in TRANSPORTS:
        sock = NodeSocket(node, f"dx{next(_ids)}", url, transport)
        sock.connect()
        sock.of("/chat")  # answered only if autodiscover() registered the namespace
        socks.append(sock)
    first, second = socks
    assert first.wait_ack(first.emit("whoami", ns="/chat", ack=True)) == ["WSGIRequest", True]
    for sock in socks:
        assert sock.wait_ack(sock.emit("join", "den", ns="/chat", ack=True)) == ["den"]
    second.emit("say", "den", "hello from polling", ns="/chat")
    assert first.wait_event("said", ns="/chat") == ["hello from polling"]
