"""Session lifecycle over a raw websocket: heartbeats, heartbeat timeout, slow handlers."""

from __future__ import annotations

import time

import gevent

from geventsio import BaseNamespace

from .rawclient import RawWebSocket, handshake, open_websocket, request


def test_silent_websocket_client_is_reaped_by_heartbeat_timeout(make_server):
    live = make_server(heartbeat_interval=0.2, heartbeat_timeout=1.0, close_timeout=30)
    sid = handshake(live.port)
    session = live.manager.sessions[sid]
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        frames = []
        while True:  # read, never answer: the connection stays open but says nothing
            opcode, payload = ws.recv_frame()
            frames.append((opcode, payload))
            if opcode == 8:
                break
        texts = [p.decode() for o, p in frames if o == 1]
        assert texts[0] == "1::"
        assert texts.count("2::") >= 3
    finally:
        ws.close()
    live.wait_sessions(0)
    live.recorder.wait_for("disconnect", sid=sid, ns="")
    assert session.close_reason == "heartbeat timeout"


def test_answering_heartbeats_keeps_the_session(make_server):
    live = make_server(heartbeat_interval=0.2, heartbeat_timeout=0.8, close_timeout=30)
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        deadline = time.monotonic() + 3 * 0.8
        beats = 0
        while time.monotonic() < deadline:
            opcode, payload = ws.recv_frame()
            assert opcode == 1
            if payload == b"2::":
                beats += 1
                ws.send_text("2::")
        assert beats >= 5
        assert sid in live.manager.sessions
    finally:
        ws.close()
    live.wait_sessions(0)  # closing the websocket ends the session at once


def test_a_slow_handler_does_not_get_its_client_timed_out(make_server):
    class Slow(BaseNamespace):
        def on_slow(self, seconds: float) -> str:
            gevent.sleep(seconds)
            return "done"

    live = make_server(namespaces={"": Slow}, heartbeat_interval=0.2, heartbeat_timeout=0.6,
                       close_timeout=30)
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        assert ws.recv_text() == "1::"
        ws.send_text('5:1+::{"name":"slow","args":[1.5]}')  # blocks the reader 1.5 s
        while True:
            text = ws.recv_text()
            if text == "2::":
                ws.send_text("2::")
            elif text.startswith("6:::"):
                break
        assert text == '6:::1+["done"]'
        assert sid in live.manager.sessions
    finally:
        ws.close()


def test_packets_from_one_client_are_handled_in_order(make_server):
    order: list[int] = []

    class Ordered(BaseNamespace):
        def on_n(self, n: int) -> None:
            if n % 7 == 0:
                gevent.sleep(0.01)  # a handler that yields must not let later ones pass
            order.append(n)

    live = make_server(namespaces={"": Ordered})
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        assert ws.recv_text() == "1::"
        for n in range(100):
            ws.send_text('5:::{"name":"n","args":[%d]}' % n)
        ws.send_text('5:1+::{"name":"n","args":[100]}')
        assert ws.recv_until(lambda t: t.startswith("6:::")) == "6:::1"
    finally:
        ws.close()
    assert order == list(range(101))


def test_a_client_that_cannot_keep_up_is_disconnected_not_silently_skipped(make_server, caplog):
    from .test_bad_input import PollingClient

    live = make_server(max_queue=10)
    slow, other = PollingClient(live.port), PollingClient(live.port)
    namespace = live.manager.sessions[slow.sid].namespaces[""]
    for i in range(10):
        namespace.emit("n", i)  # exactly fills the queue: nothing happens yet
    assert slow.sid in live.manager.sessions
    namespace.emit("n", 10)     # one more than it can hold
    live.recorder.wait_for("disconnect", sid=slow.sid, ns="")
    assert slow.sid not in live.manager.sessions
    assert any("disconnecting slow client" in r.getMessage() for r in caplog.records)
    assert request(live.port, "GET", slow.path).text == "7:::1+0"
    other.assert_alive()


def test_a_websocket_reader_that_stalls_is_disconnected_when_its_queue_fills(make_server):
    live = make_server(max_queue=50)
    sid, ws = open_websocket(live.port)
    try:
        session = live.manager.sessions[sid]
        namespace = session.namespaces[""]
        big = "x" * 60_000
        # The client reads nothing: the socket buffers fill, the writer blocks, the
        # outbox grows past max_queue and the session is closed.
        for _ in range(2000):
            if sid not in live.manager.sessions:
                break
            namespace.emit("big", big)
            gevent.sleep(0)
        live.recorder.wait_for("disconnect", sid=sid, ns="")
        assert session.close_reason == "outbox full"
    finally:
        ws.close()
    live.wait_sessions(0)


def test_a_peer_that_never_reads_nor_closes_is_cut_off(make_server, monkeypatch):
    # The session overflows and closes; the writer is stuck on a full socket and the
    # reader waits for a peer that says nothing. The connection must still be cut and
    # its greenlets end, while the peer keeps its socket open and reads nothing.
    from geventsio.transports import held

    from .conftest import wait_until

    monkeypatch.setattr(held, "FLUSH_GRACE", 0.5)
    live = make_server(max_queue=50)
    sid, ws = open_websocket(live.port)
    try:
        session = live.manager.sessions[sid]
        transport = session.transport
        namespace = session.namespaces[""]
        while sid in live.manager.sessions:
            namespace.emit("big", "x" * 60_000)
            gevent.sleep(0)
        assert session.close_reason == "outbox full"
        writer = transport._writer
        # The handler's greenlet closes the server's socket when it ends.
        wait_until(lambda: writer.dead and transport.sock.fileno() == -1, timeout=15)
        ws.sock.settimeout(10)
        while ws.sock.recv(1 << 20):  # what the server managed to send, then EOF
            pass
    finally:
        ws.close()


def test_a_kept_alive_connection_gets_no_new_session_after_stop(make_server):
    import socket as socket_module

    from .rawclient import read_response

    live = make_server()
    with socket_module.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        ask = b"GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(ask)
        buf = bytearray()
        assert read_response(sock, buf).status == 200
        live.server.stop(timeout=2)
        sock.sendall(ask)                     # same connection, after stop()
        answer = read_response(sock, buf)
    assert (answer.status, answer.text) == (503, "server shutting down")
    assert len(live.manager.sessions) == 0
