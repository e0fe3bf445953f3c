"""The Python client (geventsio.client) against two real servers, over both its transports.

Every test runs six times: against an in-process geventsio server (the namespaces of
tests/apps.py) and against the reference server, node socket.io 0.9.19 from npm
(tests/js/node_server.js, the same events), each over websocket, xhr-polling and
jsonp-polling.
"""

from __future__ import annotations

import socket
from typing import Any, Iterator

import gevent.event
import pytest

from geventsio import SocketIOServer
from geventsio.client import Client, ConnectFailed, NamespaceRefused, NotConnected, State
from geventsio.client.transports import JsonpPollingTransport, TransportClosed

from .apps import Recorder, make_namespaces
from .conftest import wait_until
from .nodeserver import NodeServer

TRANSPORTS = ["websocket", "xhr-polling", "jsonp-polling"]
UNICODE = "h\u00e9llo \U0001F600 </script>"


class GeventsioPeer:
    """Our server in this process, on a free port that a restart keeps."""

    name = "geventsio"
    heartbeat_timeout = 3

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = 0
        self._start()

    def _start(self) -> None:
        self.server = SocketIOServer(
            ("127.0.0.1", self.port), None, namespaces=make_namespaces(self.recorder),
            log=None, heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
            polling_duration=2)
        self.server.start()
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"

    def restart(self) -> None:
        self.server.stop(timeout=2)
        self._start()

    def wait_seen(self, kind: str, **match: Any) -> None:
        self.recorder.wait_for(kind, **match)

    def close(self) -> None:
        self.server.stop(timeout=2)


class NodePeer:
    """node socket.io 0.9.19, heartbeat interval 1 s, heartbeat timeout 5 s."""

    name = "node"
    heartbeat_timeout = 5

    def __init__(self) -> None:
        self.node = NodeServer()
        self.port = self.node.port
        self.url = self.node.url

    def restart(self) -> None:
        self.node.close()
        self.node = NodeServer(self.port)

    def wait_seen(self, kind: str, **match: Any) -> None:
        self.node.wait_for(kind, **match)

    def close(self) -> None:
        self.node.close()


@pytest.fixture(params=["geventsio", "node"])
def peer(request: Any) -> Iterator[Any]:
    server = GeventsioPeer() if request.param == "geventsio" else NodePeer()
    yield server
    server.close()


@pytest.fixture(params=TRANSPORTS)
def connect(request: Any, peer: Any) -> Iterator[Any]:
    """Factory: a connected client of ``peer`` over the parametrized transport."""
    clients: list[Client] = []

    def make(**options: Any) -> Client:
        options.setdefault("reconnection_delay", 0.1)
        client = Client(peer.url, transports=[request.param], **options)
        clients.append(client)
        client.connect(timeout=15)
        assert client.transport == request.param
        return client

    yield make
    for client in clients:
        client.disconnect()


def test_events_and_acks_both_ways(connect: Any) -> None:
    client = connect()
    assert client.wait_for("welcome")[0]["id"] == client.sid
    client.emit("echo", UNICODE, {"n": [1, 2.5, None, True]})
    assert client.wait_for("echo") == (UNICODE, {"n": [1, 2.5, None, True]})

    acked = gevent.event.AsyncResult()
    client.emit("ack_me", "x", 1, callback=lambda *args: acked.set(args))
    assert acked.get(timeout=10) == ("x", 1)

    client.on("ask", lambda token: ("yes", token))  # the return value answers the data ack
    client.emit("ask_me", "t1")
    assert client.wait_for("answer") == ("yes", "t1")

    client.emit("ask_plain")  # the server sends 3:N::plain? and the client acks by itself
    assert client.wait_for("message") == ("plain?",)
    client.wait_for("plain_acked")


def test_messages_with_plain_and_data_acks(connect: Any, peer: Any) -> None:
    client = connect()
    data_acked = gevent.event.AsyncResult()
    client.send(UNICODE, callback=lambda *args: data_acked.set(args))  # 3:1+::
    assert data_acked.get(timeout=10) == (UNICODE,)
    plain_acked = gevent.event.Event()
    client.send("plain", callback=plain_acked.set)  # no arguments: 3:2::, a plain ack
    assert plain_acked.wait(timeout=10)
    peer.wait_seen("message", data="plain")
    assert client.wait_for("message") == (UNICODE,)  # both servers send it back


def test_namespaces_share_one_connection(connect: Any, peer: Any) -> None:
    client = connect()
    chat = client.of("/chat")
    assert client.of("/chat") is chat
    assert chat.wait_for("welcome")[0] == {"id": client.sid, "nsp": "/chat"}
    chat.emit("echo", "in chat")
    assert chat.wait_for("echo") == ("in chat",)
    client.emit("echo", "in main")
    assert client.wait_for("echo") == ("in main",)
    with pytest.raises(TimeoutError):
        chat.wait_for("echo", timeout=0.3)  # main's echo did not land in /chat

    with pytest.raises(NamespaceRefused):
        client.of("/private")

    chat.disconnect()
    peer.wait_seen("disconnect", ns="/chat", sid=client.sid)
    client.emit("echo", "still here")
    assert client.wait_for("echo") == ("still here",)
    assert client.connected


def test_client_disconnect_reaches_the_server(connect: Any, peer: Any) -> None:
    client = connect()
    client.of("/chat")
    client.disconnect()
    peer.wait_seen("disconnect", ns="", sid=client.sid)
    assert client.state is State.CLOSED
    assert client.wait_for("disconnect") == ("client",)
    with pytest.raises(NotConnected):
        client.emit("echo", 1)
    client.disconnect()  # idempotent


def test_server_disconnect_is_final(connect: Any, peer: Any) -> None:
    client = connect()
    first_sid = client.sid
    client.emit("kick_me")
    reason = client.wait_for("disconnect")
    if peer.name == "node" and client.transport != "websocket" and reason != ("booted",):
        # node 0.9.19 sends its 0:: only over an open GET; if the kick lands between two
        # polls it ends the session silently and the next GET hears 7:::1+0 (advice:
        # reconnect). The client then does what the 0.9 JavaScript client does.
        assert reason[0].endswith("advice reconnect")
        client.wait_for("reconnect", timeout=20)
        assert client.connected and client.sid != first_sid
        return
    assert reason == ("booted",)
    wait_until(lambda: client.state is State.CLOSED, 10, lambda: repr(client))
    with pytest.raises(TimeoutError):
        client.wait_for("reconnecting", timeout=1)


def test_server_leaves_a_namespace(connect: Any) -> None:
    client = connect()
    chat = client.of("/chat")
    chat.emit("kick_me")
    assert chat.wait_for("disconnect") == ("booted",)
    assert not chat.joined.is_set()
    client.emit("echo", "main stays")
    assert client.wait_for("echo") == ("main stays",)
    assert client.of("/chat") is chat  # joins again
    chat.emit("echo", "back")
    assert chat.wait_for("echo") == ("back",)


def test_an_idle_client_stays_connected(connect: Any, peer: Any) -> None:
    """Outlive the server's heartbeat timeout twice over, counting what arrives, not
    seconds: heartbeats answered on websocket, long polls renewed on xhr-polling."""
    client = connect()
    sid = client.sid
    if client.transport == "websocket":
        wait_until(lambda: client.heartbeats >= 2 * peer.heartbeat_timeout + 1, 40,
                   lambda: f"{client.heartbeats} heartbeats")
    else:  # each empty poll lasts the polling duration (2 s on both test servers)
        polls = client.payloads
        wait_until(lambda: client.payloads >= polls + peer.heartbeat_timeout + 1, 40,
                   lambda: f"{client.payloads - polls} polls")
    client.emit("echo", "alive")
    assert client.wait_for("echo") == ("alive",)
    assert client.sid == sid and client.connected


def test_reconnects_after_a_server_restart(connect: Any, peer: Any) -> None:
    client = connect()
    chat = client.of("/chat")
    chat.wait_for("welcome")
    first_sid = client.sid
    peer.restart()
    reason = client.wait_for("disconnect", timeout=20)
    assert reason != ("booted",)
    delay, attempt = client.wait_for("reconnecting", timeout=20)
    assert (delay, attempt) == (0.2, 1)  # 0.1 s, doubled after each attempt, as in 0.9
    client.wait_for("reconnect", timeout=30)
    assert client.sid != first_sid and client.connected
    assert chat.wait_for("welcome", timeout=15)[0]["id"] == client.sid  # /chat joined again
    chat.emit("echo", "after")
    assert chat.wait_for("echo") == ("after",)


def test_reconnect_rejoins_only_the_namespaces_still_wanted(connect: Any, peer: Any) -> None:
    client = connect()
    chat = client.of("/chat")
    chat.disconnect()
    peer.wait_seen("disconnect", ns="/chat", sid=client.sid)
    with pytest.raises(NamespaceRefused):
        client.of("/private")
    peer.restart()
    client.wait_for("reconnect", timeout=30)
    client.emit("echo", "back")
    assert client.wait_for("echo") == ("back",)
    assert not chat.joined.is_set()
    with pytest.raises(TimeoutError):
        chat.wait_joined(0.5)  # nobody asked the server for /chat again
    assert client.of("/chat") is chat and chat.joined.is_set()  # until of() is called


def test_reconnect_gives_up_after_max_attempts(connect: Any, peer: Any) -> None:
    client = connect(max_reconnection_attempts=2, reconnection_limit=0.2)
    peer.close()
    client.wait_for("reconnect_failed", timeout=60)
    attempts = []
    while True:
        try:
            attempts.append(client.wait_for("reconnecting", timeout=0))
        except TimeoutError:
            break
    assert attempts == [(0.2, 1), (0.2, 2)]
    assert client.state is State.CLOSED


def test_connect_to_nothing_raises_connection_error() -> None:
    with socket.socket() as probe:  # a free port, then nothing listens on it
        probe.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % probe.getsockname()[1]
    client = Client(url)
    with pytest.raises(ConnectionError):
        client.connect(timeout=5)
    assert client.state is State.NEW and not client._io  # nothing left running; may retry
    with pytest.raises(ConnectionError, match="handshake failed"):
        client.connect(timeout=5)


def test_refused_handshake_says_so(make_server: Any) -> None:
    live = make_server(authorization=lambda handshake: False)
    with pytest.raises(ConnectFailed) as failure:
        Client(live.url).connect(timeout=5)
    assert failure.value.status in (401, 403)
    assert "HTTP" in str(failure.value)


def test_no_common_transport(make_server: Any) -> None:
    live = make_server(transports=["xhr-polling"])
    with pytest.raises(ConnectFailed, match="offers"):
        Client(live.url, transports=["websocket"]).connect(timeout=5)


def test_disconnect_leaves_no_greenlets(connect: Any) -> None:
    client = connect()
    chat = client.of("/chat")
    chat.on("echo", lambda *args: None)
    chat.emit("echo", 1, callback=lambda *args: None)
    chat.wait_for("echo")
    client.disconnect()
    wait_until(lambda: not client._io and not client._greenlets, 10,
               lambda: f"io {list(client._io)}, others {list(client._greenlets)}")
    assert all(len(ns._acks) == 0 for ns in client.namespaces.values())


def test_jsonp_bodies_are_checked() -> None:
    transport = JsonpPollingTransport("http://127.0.0.1:1", "socket.io", "sid", None, None, 5)
    assert transport.decode_body('io.j[0]("\\ufffd3\\ufffd8::\\ufffd3\\ufffd2::");') \
        == "\ufffd3\ufffd8::\ufffd3\ufffd2::"
    assert transport.decode_body("") == ""
    for bad in ("alert(1)", "io.j[0](5);", 'io.j[1]("8::");', 'io.j[0]("8::'):
        with pytest.raises(TransportClosed):
            transport.decode_body(bad)
    assert transport.encode_body("5:::{\"name\":\"a\"}") == \
        b"d=%225%3A%3A%3A%7B%5C%22name%5C%22%3A%5C%22a%5C%22%7D%22"
    assert transport.url().endswith("&i=0") and "/1/jsonp-polling/sid?" in transport.url()
