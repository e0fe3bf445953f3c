"""server.stop(timeout): stop accepting, hand out what was queued, close, return in time."""

from __future__ import annotations

import socket
import time

import gevent

from geventsio.protocol import decode_payload

from .nodeclient import NodeSocket
from .rawclient import handshake, read_response


def _get(sock: socket.socket, buf: bytearray, path: str):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1"))
    return read_response(sock, buf)


def test_packets_queued_between_polls_are_handed_out_while_stopping(make_server):
    live = make_server(close_timeout=10, polling_duration=1)
    sid = handshake(live.port)
    path = f"/socket.io/1/xhr-polling/{sid}"
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        assert decode_payload(_get(sock, buf, path).text)[0] == "1::"
        namespace = live.manager.sessions[sid].namespaces[""]
        for i in range(50):  # no poll is open: all 50 wait in the queue
            namespace.emit("n", i)
        started = time.monotonic()
        stopping = gevent.spawn(live.server.stop, timeout=6)
        gevent.sleep(0)  # stop() has closed the listener and is draining now
        assert live.server.closed
        answer = _get(sock, buf, path)  # the client's next poll, kept alive
        assert decode_payload(answer.text) == [f'5:::{{"name":"n","args":[{i}]}}'
                                                for i in range(50)]
        stopping.get(timeout=15)
    assert time.monotonic() - started < 6 + 2
    assert not live.manager.sessions
    live.recorder.wait_for("disconnect", sid=sid, ns="")


def test_a_handshake_on_a_kept_alive_connection_is_refused_while_draining(make_server):
    live = make_server(close_timeout=10, polling_duration=1)
    sid = handshake(live.port)
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        _get(sock, buf, f"/socket.io/1/xhr-polling/{sid}")
        live.manager.sessions[sid].namespaces[""].emit("keeps", "the drain busy")
        stopping = gevent.spawn(live.server.stop, timeout=4)
        gevent.sleep(0)
        answer = _get(sock, buf, "/socket.io/1/?t=1")
        assert (answer.status, answer.text) == (503, "server shutting down")
        stopping.get(timeout=15)


def test_stop_returns_within_its_timeout_when_a_client_never_takes_its_packets(make_server):
    live = make_server(close_timeout=10, polling_duration=1)
    sid = handshake(live.port)
    live.manager.sessions[sid].open()
    live.manager.sessions[sid].namespaces[""].emit("never", "taken")
    started = time.monotonic()
    live.server.stop(timeout=1)
    # half of the timeout drains, then the sessions close; a generous bound for a
    # loaded machine, far below "waits for the client" (close_timeout is 10 s)
    assert time.monotonic() - started < 1 + 2
    assert not live.manager.sessions


def test_websocket_and_polling_clients_get_everything_sent_before_stop(make_server, node):
    live = make_server(heartbeat_interval=1, heartbeat_timeout=5, close_timeout=5,
                       polling_duration=2)
    clients = [NodeSocket(node, name, live.url, name) for name in ("websocket", "xhr-polling")]
    sids = [client.connect()["sid"] for client in clients]
    for sid in sids:
        namespace = live.manager.sessions[sid].namespaces[""]
        for i in range(100):
            namespace.emit("n", i)
    live.server.stop(timeout=6)
    for client in clients:
        client.wait_report("disconnect", ns="", timeout=15)
        got = [r["args"][0] for r in node.history
               if r.get("client") == client.client_id and r.get("ev") == "event"
               and r.get("name") == "n"]
        assert got == list(range(100)), (client.client_id, got[:5], len(got))
