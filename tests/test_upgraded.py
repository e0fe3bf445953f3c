"""After a websocket upgrade: frames sent with the request are read, and the connection's
buffered request reader (8 KB each) is let go while the websocket lives."""

from __future__ import annotations

import gc
import io

from .conftest import wait_until
from .rawclient import RawWebSocket, handshake, masked_frame


def _ws_path(sid: str) -> str:
    return f"/socket.io/1/websocket/{sid}"


def test_frames_sent_with_the_upgrade_request_are_handled(live):
    sid = handshake(live.port)
    early = masked_frame('5:::{"name":"echo","args":["early"]}') + masked_frame("2::")
    ws = RawWebSocket(live.port, _ws_path(sid), early=early)
    assert ws.status == 101
    assert ws.recv_text() == "1::"
    assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["early"]}'
    live.recorder.wait_for("echo", sid=sid)
    ws.send_text('5:::{"name":"echo","args":["later"]}')  # and the socket is read after
    assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["later"]}'
    ws.sock.close()


def _buffered_readers() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is io.BufferedReader)


def test_idle_websockets_keep_no_buffered_reader(live):
    before = _buffered_readers()
    sockets = []
    for _ in range(20):
        sid = handshake(live.port)
        ws = RawWebSocket(live.port, _ws_path(sid))
        assert ws.recv_text() == "1::"
        sockets.append(ws)
    live.wait_sessions(20)
    held = _buffered_readers() - before
    assert held < 5, f"{held} buffered readers for 20 idle websockets"
    for ws in sockets:
        ws.send_text('5:::{"name":"echo","args":[1]}')
        assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":[1]}'
        ws.sock.close()
    wait_until(lambda: not live.manager.sessions)
