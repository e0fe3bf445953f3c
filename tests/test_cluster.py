"""Three real server processes (``python -m geventsio --message-queue``) and one real Redis.

Each client is connected to one process directly (the e2e tests put nginx in front); the
real node ``socket.io-client@0.9.16`` on websocket and xhr-polling, raw polling clients
sending each request to a different process. Every assertion waits for what it expects.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from typing import Iterator

import pytest

from .conftest import wait_until
from .nodeclient import NodeDriver, NodeSocket
from .rawclient import XhrClient, request
from .redisserver import RedisServer
from .served import ServedProcess
from .test_cluster_inprocess import event, keys

pytestmark = pytest.mark.timeout(180)

_ids = itertools.count()


def start_process(redis: RedisServer, close_timeout: int = 6) -> ServedProcess:
    argv = [sys.executable, "-m", "geventsio", "--namespace", "/chat=tests.cluster_app:Chat",
            "--port", "0", "--message-queue", redis.url, "--no-access-log",
            "--heartbeat-interval", "1", "--heartbeat-timeout", "5",
            "--close-timeout", str(close_timeout), "--polling-duration", "2",
            "--metrics-path", "/metrics"]
    return ServedProcess(argv)


@pytest.fixture
def processes(redis_server: RedisServer) -> Iterator[list[ServedProcess]]:
    started = [start_process(redis_server) for _ in range(3)]
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def chat_client(node: NodeDriver, process: ServedProcess, transport: str,
                nick: str) -> NodeSocket:
    client = NodeSocket(node, f"c{next(_ids)}", process.url, transport)
    client.connect()
    client.of("/chat")
    assert client.wait_ack(client.emit("nick", nick, ns="/chat", ack=True)) == [
        str(process.proc.pid)]
    return client


def holding(process: ServedProcess) -> list[str]:
    """What a process's metrics page says it still holds: sessions, namespace members."""
    page = request(process.port, "GET", "/metrics").text
    return [line for line in page.splitlines()
            if line.startswith(("geventsio_sessions{", "geventsio_namespace_clients{"))
            and not line.endswith(" 0.0")]


def app_keys(redis: RedisServer) -> list[bytes]:
    """Keys about clients (liveness and the process list are not)."""
    return [k for k in keys(redis) if b":alive:" not in k and not k.endswith(b":nodes")]


def test_chat_rooms_across_three_processes(node: NodeDriver, processes: list[ServedProcess],
                                           redis_server: RedisServer) -> None:
    transports = ["websocket", "xhr-polling", "websocket"]
    clients = [chat_client(node, p, t, f"n{i}")
               for i, (p, t) in enumerate(zip(processes, transports))]
    sids = sorted(c.sid for c in clients)
    for client in clients:
        client.wait_ack(client.emit("join", "lobby", ns="/chat", ack=True))
    for client in clients:  # clients(room) agrees on every process
        assert client.wait_ack(client.emit("clients", "lobby", ns="/chat", ack=True)) == [sids]
    for n in range(5):
        clients[0].emit("say", "lobby", f"m{n}", ns="/chat")
    for client in clients[1:]:
        wait_until(lambda c=client: len(c.events("said", ns="/chat")) == 5)
        assert c_texts(client) == [f"m{n}" for n in range(5)]  # once each, in order
    assert clients[0].events("said", ns="/chat") == []  # except the sender
    clients[1].emit("everyone", "all", ns="/chat")
    for client in clients:
        assert client.wait_event("everyone", ns="/chat") == ["n1", "all"]
    clients[2].emit("poke", clients[1].sid, "psst", ns="/chat")
    assert clients[1].wait_event("poked", ns="/chat") == ["n2", "psst"]
    for client in clients:
        client.disconnect()
    for client in clients[:2]:
        client.wait_report("disconnect")
    wait_until(lambda: not app_keys(redis_server),
               describe=lambda: f"keys left in Redis: {app_keys(redis_server)}")
    for process in processes:
        wait_until(lambda p=process: not holding(p), describe=lambda p=process: str(holding(p)))


def c_texts(client: NodeSocket) -> list[str]:
    return [args[1] for args in client.events("said", ns="/chat")]


def test_remote_disconnect_and_user_disconnected(node: NodeDriver,
                                                 processes: list[ServedProcess]) -> None:
    a = chat_client(node, processes[0], "websocket", "alice")
    b = chat_client(node, processes[1], "xhr-polling", "bob")
    assert a.wait_ack(a.emit("kick", b.sid, ns="/chat", ack=True)) == [True]
    b.wait_report("disconnect", ns="/chat")
    assert a.wait_event("user disconnected", ns="/chat") == ["bob"]
    a.disconnect()


def test_polling_requests_spread_over_processes(processes: list[ServedProcess]) -> None:
    ports = [p.port for p in processes]
    client = XhrClient(ports[0])
    path = client.path
    opened = request(ports[1], "GET", f"{path}?t=1")
    assert "1::" in opened.text
    for n, port in enumerate(itertools.islice(itertools.cycle(ports), 6)):
        assert request(port, "POST", f"{path}?t=1", b"1::/chat").text == "1"
        joined = request(ports[(n + 1) % 3], "GET", f"{path}?t=1").text
        assert "1::/chat" in joined, joined
    posted = request(ports[2], "POST", f"{path}?t=1",
                     event("nick", "raw", ack=1, ns="/chat").encode())
    assert posted.text == "1"
    answer = request(ports[0], "GET", f"{path}?t=1").text
    assert f"6::/chat:1+[\"{processes[1].proc.pid}\"]" in answer, answer
    assert request(ports[2], "GET", f"{path}?disconnect=1").status == 200
    assert request(ports[0], "GET", f"{path}?t=1").text == "0::"  # as in one process
    assert request(ports[2], "GET", f"{path}?t=1").text == "7:::1+0"


def test_killed_process_sessions_end_elsewhere(node: NodeDriver, redis_server: RedisServer,
                                               processes: list[ServedProcess]) -> None:
    a = chat_client(node, processes[0], "websocket", "alice")
    b = chat_client(node, processes[1], "websocket", "bob")
    a.wait_ack(a.emit("join", "lobby", ns="/chat", ack=True))
    b.wait_ack(b.emit("join", "lobby", ns="/chat", ack=True))
    since = node.mark()
    os.kill(processes[1].proc.pid, signal.SIGKILL)
    assert a.wait_event("user disconnected", ns="/chat", since=since,
                        timeout=30) == ["bob"]
    assert a.wait_ack(a.emit("clients", "lobby", ns="/chat", ack=True)) == [[a.sid]]
    a.disconnect()
    wait_until(lambda: not app_keys(redis_server),
               describe=lambda: f"keys left in Redis: {app_keys(redis_server)}")
    for process in (processes[0], processes[2]):
        wait_until(lambda p=process: not holding(p), describe=lambda p=process: str(holding(p)))
    nodes = redis_server.command(b"SMEMBERS", b"geventsio:nodes")
    assert nodes.count(b"\r\n$") == 2, nodes  # the dead process is forgotten


def test_redis_restart_under_real_processes(node: NodeDriver, redis_server: RedisServer,
                                            processes: list[ServedProcess]) -> None:
    a1 = chat_client(node, processes[0], "websocket", "a1")
    a2 = chat_client(node, processes[0], "xhr-polling", "a2")
    b = chat_client(node, processes[1], "websocket", "b")
    for client in (a1, a2, b):
        client.wait_ack(client.emit("join", "lobby", ns="/chat", ack=True))
    redis_server.kill()
    since = node.mark()
    for n in range(10):  # the clients of one process keep chatting
        a1.emit("say", "lobby", f"down{n}", ns="/chat")
    wait_until(lambda: len([r for r in node.reports(ev="event", client=a2.client_id,
                                                    name="said")
                            if r["args"][1].startswith("down")]) == 10)
    redis_server.start()  # empty
    sids = sorted(c.sid for c in (a1, a2, b))
    wait_until(lambda: b.wait_ack(b.emit("clients", "lobby", ns="/chat", ack=True)) == [sids],
               timeout=30)
    since = node.mark()
    a1.emit("say", "lobby", "back", ns="/chat")
    assert b.wait_event("said", ns="/chat", since=since,
                        predicate=lambda r: r["args"][1] == "back") == ["a1", "back"]
    for process in processes:
        assert process.proc.poll() is None, process.tail()
        down = [line for line in process.output if "message queue unreachable" in line]
        assert len(down) == 1, process.tail()  # once, not once per message
    for client in (a1, a2, b):
        client.disconnect()
