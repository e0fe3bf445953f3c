"""Websockets read by a hub watcher: an idle one holds no greenlet, a busy one borrows a
worker (geventsio/transports/websocket.py ``watch``, geventsio/core/workers.py)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gevent.event import Event
from gevent.pywsgi import WSGIServer

from geventsio import BaseNamespace, SocketIOServer
from geventsio.core.session import Session

from .conftest import describe_greenlets, greenlets_since, greenlets_snapshot, wait_until
from .rawclient import RawWebSocket, masked_frame, open_websocket


def _echo(ws: RawWebSocket, text: str) -> None:
    ws.send_text(f'5:::{{"name":"echo","args":["{text}"]}}')
    reply = ws.recv_until(lambda packet: packet.startswith("5:") and '"echo"' in packet)
    assert text in reply, reply


def test_idle_websockets_hold_no_greenlet_and_leave_nothing(live: Any) -> None:
    before = greenlets_snapshot()
    clients = [open_websocket(live.port) for _ in range(5)]
    live.wait_sessions(5)
    # Once upgraded, a silent websocket is a read watcher and nothing else.
    wait_until(lambda: not greenlets_since(before), timeout=15,
               describe=lambda: describe_greenlets(greenlets_since(before)))
    for i, (_, ws) in enumerate(clients):
        _echo(ws, f"hello {i}")
    sids = [sid for sid, _ in clients]
    for _, ws in clients[:3]:
        ws.close()  # dropped TCP connections, no close frame
    for sid in sids[:3]:
        live.recorder.wait_for("disconnect", sid=sid)
    _echo(clients[3][1], "still here")  # the others are not disturbed
    for _, ws in clients[3:]:
        ws.sock.sendall(b"\x88\x82abcd" + bytes(b ^ m for b, m in zip(b"\x03\xe8", b"ab")))
        assert ws.recv_close_code() == 1000  # a clean close is answered in kind
        ws.close()
    live.wait_sessions(0)
    # The workers that handled the messages end once idle (2 s).
    wait_until(lambda: not greenlets_since(before), timeout=15,
               describe=lambda: describe_greenlets(greenlets_since(before)))


def test_a_blocked_handler_holds_up_only_its_own_session(make_server: Any) -> None:
    release = Event()

    class Waits(BaseNamespace):
        def on_wait(self) -> None:
            release.wait(10)
            self.emit("waited")

        def on_echo(self, *args: Any) -> None:
            self.emit("echo", *args)

    live = make_server(namespaces={"": Waits})
    _, blocked = open_websocket(live.port)
    _, other = open_websocket(live.port)
    blocked.send_text('5:::{"name":"wait","args":[]}')
    for i in range(3):
        _echo(other, f"while blocked {i}")
    assert not release.is_set()
    release.set()
    blocked.recv_until(lambda packet: '"waited"' in packet)
    _echo(blocked, "after")  # its next message is read again
    blocked.close()
    other.close()


def test_a_kick_reaches_a_watched_websocket_before_its_close(live: Any) -> None:
    sid, ws = open_websocket(live.port)
    ws.send_text('5:::{"name":"kick_me","args":[]}')
    assert ws.recv_until(lambda packet: packet.startswith("0:")) == "0::"
    assert ws.recv_close_code() == 1000
    live.recorder.wait_for("disconnect", sid=sid)
    live.wait_sessions(0)
    ws.sock.settimeout(10)
    assert ws.sock.recv(10) == b""  # and the server closed the connection
    ws.close()


def test_stopping_the_server_ends_watched_websockets(make_server: Any, recorder: Any) -> None:
    live = make_server()
    sid, ws = open_websocket(live.port)
    live.server.stop(timeout=2)
    recorder.wait_for("disconnect", sid=sid)
    assert ws.recv_close_code() is not None
    ws.close()
    assert not live.server.manager.sessions
    assert live.server.manager.workers.idle == 0  # stop() ends the parked workers


def _certificate(directory: Path) -> tuple[str, str]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_a_websocket_over_tls_echoes_and_ends(make_server: Any,
                                                            tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    live = make_server(certfile=cert, keyfile=key)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    raw = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    sock = context.wrap_socket(raw)
    sock.sendall(b"GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    body = b""
    while chunk := sock.recv(4096):
        body += chunk
    sock.close()
    sid = body.split(b"\r\n\r\n", 1)[1].split(b":")[0].decode()

    ws = RawWebSocket.__new__(RawWebSocket)
    ws.buf = bytearray()
    ws.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", live.port),
                                                           timeout=10))
    ws.sock.sendall((f"GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nHost: x\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += ws.sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert ws.recv_text() == "1::"
    _echo(ws, "over tls")
    session = live.server.manager.sessions[sid]
    assert isinstance(session, Session)
    ws.close()
    live.recorder.wait_for("disconnect", sid=sid)
    live.wait_sessions(0)


def test_nothing_is_written_after_the_peer_has_gone(live: Any) -> None:
    """EOF from the client (here a half-close, so what the server writes could still be
    read) ends the session without a close frame: nobody is there to read one."""
    sid, ws = open_websocket(live.port)
    ws.sock.shutdown(socket.SHUT_WR)
    live.recorder.wait_for("disconnect", sid=sid)
    ws.sock.settimeout(10)
    opcodes = []
    try:
        while True:
            opcodes.append(ws.recv_frame()[0])
    except ConnectionError:  # the server closed the connection
        pass
    assert 8 not in opcodes, opcodes
    ws.close()
    live.wait_sessions(0)


def test_the_101_head_and_the_first_frames_go_out_in_one_write(live: Any,
                                                              monkeypatch: Any) -> None:
    """A new websocket session costs one send for the 101 head, ``1::`` and whatever the
    connect handlers queued, not one for the head and another for the frames."""
    writes = _spy_writes(monkeypatch)
    sid, ws = open_websocket(live.port)  # reads the 101 and then 1::
    ws.recv_until(lambda packet: '"welcome"' in packet)  # queued by recv_connect
    assert writes, "the transport wrote nothing through its send"
    first = writes[0]
    assert first.startswith(b"HTTP/1.1 101 "), first[:40]
    assert b"\x81\x031::" in first and b'"welcome"' in first, first
    ws.close()
    live.recorder.wait_for("disconnect", sid=sid)


def _spy_writes(monkeypatch: Any) -> list[bytes]:
    """What the websocket transports write through their non-blocking send, in order."""
    from geventsio.transports import websocket

    writes: list[bytes] = []
    real = websocket._raw_send_of

    def counting(sock: Any) -> Any:
        send = real(sock)

        def spy(data: bytes) -> int:
            writes.append(bytes(data))
            return send(data)
        return spy

    monkeypatch.setattr(websocket, "_raw_send_of", counting)
    return writes


def test_the_replies_to_one_read_go_out_in_order_in_one_write(live: Any,
                                                              monkeypatch: Any) -> None:
    """A worker writes the replies to what one read completed itself, once it has handled
    all of it: every reply, in the order of the messages, and no more writes than reads."""
    from geventsio.transports.websocket import WebSocketTransport

    writes = _spy_writes(monkeypatch)
    reads: list[int] = []
    serve = WebSocketTransport._serve_bytes

    def counted(self: Any, data: bytes) -> None:
        reads.append(len(data))
        serve(self, data)

    monkeypatch.setattr(WebSocketTransport, "_serve_bytes", counted)
    sid, ws = open_websocket(live.port)
    ws.recv_until(lambda packet: '"welcome"' in packet)
    del writes[:], reads[:]
    ws.sock.sendall(b"".join(masked_frame(f'5:::{{"name":"echo","args":[{i}]}}')
                             for i in range(20)))
    replies = [ws.recv_until(lambda packet: '"echo"' in packet) for _ in range(20)]
    assert replies == [f'5:::{{"name":"echo","args":[{i}]}}' for i in range(20)]
    assert writes and len(writes) <= len(reads), (len(writes), reads)
    ws.close()
    live.recorder.wait_for("disconnect", sid=sid)


def test_what_a_handler_queued_goes_out_while_it_blocks(make_server: Any) -> None:
    """The worker writes a read's replies when the handlers return; a handler that blocks
    first does not hold back what it queued before blocking."""
    release = Event()

    class Blocks(BaseNamespace):
        def on_first_then_wait(self) -> None:
            self.emit("first")
            release.wait(10)
            self.emit("second")

    live = make_server(namespaces={"": Blocks})
    _, ws = open_websocket(live.port)
    ws.send_text('5:::{"name":"first_then_wait","args":[]}')
    assert '"first"' in ws.recv_until(lambda packet: packet.startswith("5:"))
    assert not release.is_set()  # it arrived while the handler was still blocked
    release.set()
    assert '"second"' in ws.recv_until(lambda packet: packet.startswith("5:"))
    ws.close()
    live.wait_sessions(0)


def test_a_session_ended_mid_read_writes_what_came_before_then_closes(live: Any) -> None:
    """Frames read together with a kick: the replies before it, ``0::``, the close frame,
    and nothing for the messages after it."""
    sid, ws = open_websocket(live.port)
    ws.recv_until(lambda packet: '"welcome"' in packet)
    ws.sock.sendall(masked_frame('5:::{"name":"echo","args":["before"]}')
                    + masked_frame('5:::{"name":"kick_me","args":[]}')
                    + masked_frame('5:::{"name":"echo","args":["after"]}'))
    assert ws.recv_text() == '5:::{"name":"echo","args":["before"]}'
    assert ws.recv_text() == "0::"
    assert ws.recv_close_code() == 1000
    live.recorder.wait_for("disconnect", sid=sid)
    assert not live.recorder.find("echo", sid=sid, args=["after"])
    ws.close()
    live.wait_sessions(0)


def test_closing_a_watched_websocket_from_the_server_reports_no_error(make_server: Any,
                                                                      recorder: Any,
                                                                      monkeypatch: Any) -> None:
    """A server-side end (a session closed elsewhere, the server stopping) shuts a socket
    whose read watcher is waiting: gevent must not take the transport for a greenlet to
    throw into (it logged an AttributeError per websocket)."""
    import gevent

    errors: list[Any] = []
    hub = gevent.get_hub()
    original = hub.handle_error
    monkeypatch.setattr(hub, "handle_error",
                        lambda context, *exc: errors.append(exc) or original(context, *exc))
    live = make_server()
    sid, first = open_websocket(live.port)
    live.server.manager.get(sid).close("server disconnect", notify=True)
    assert first.recv_close_code() is not None
    recorder.wait_for("disconnect", sid=sid)
    other, second = open_websocket(live.port)
    live.server.stop(timeout=2)
    recorder.wait_for("disconnect", sid=other)
    assert second.recv_close_code() is not None
    first.close()
    second.close()
    wait_until(lambda: not live.server.manager.sessions)
    gevent.sleep(0)  # a callback the shutdowns scheduled has run by now
    assert errors == []


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_every_way_a_watched_websocket_ends_closes_its_connection(live: Any) -> None:
    """The transport holds the handler's own socket object (the server's close() at the
    end of the handler's greenlet only marks it closed) and closes it when it ends,
    without a shutdown first when that close is the last: whichever way the websocket
    ends, the client sees the end of the connection and the server keeps no descriptor."""
    before = _open_fds()
    ends = {"dropped": open_websocket(live.port), "half-closed": open_websocket(live.port),
            "close frame": open_websocket(live.port), "kicked": open_websocket(live.port)}
    live.wait_sessions(4)
    assert _open_fds() >= before + 4
    ends["dropped"][1].close()
    ends["half-closed"][1].sock.shutdown(socket.SHUT_WR)
    ends["close frame"][1].sock.sendall(
        b"\x88\x82abcd" + bytes(b ^ m for b, m in zip(b"\x03\xe8", b"ab")))
    ends["kicked"][1].send_text('5:::{"name":"kick_me","args":[]}')
    for how, (sid, ws) in ends.items():
        live.recorder.wait_for("disconnect", sid=sid)
        if how == "dropped":
            continue
        ws.sock.settimeout(10)
        while ws.sock.recv(4096):  # what the server wrote last (0::, a close frame)
            pass
        ws.close()  # recv gave b"": the server closed its side
    live.wait_sessions(0)
    wait_until(lambda: _open_fds() <= before, timeout=15,
               describe=lambda: f"{_open_fds()} descriptors open, {before} before")


@pytest.mark.parametrize("from_listener", [True, False])
def test_websockets_have_nagle_off(make_server: Any, monkeypatch: Any,
                                   from_listener: bool) -> None:
    """A websocket's writes must not wait for the client's delayed ACK: its connection
    has TCP_NODELAY from the listener (our server sets it there on Linux), or the
    handler sets it (a listener without it: another system than Linux)."""
    if not from_listener:
        monkeypatch.setattr(SocketIOServer, "init_socket",
                            lambda self: WSGIServer.init_socket(self))
    live = make_server()
    assert live.server.accepts_no_delay is from_listener
    sid, ws = open_websocket(live.port)
    held = live.manager.sessions[sid].transport.sock
    assert held.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    _echo(ws, "no delay")
    ws.close()
