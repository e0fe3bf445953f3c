"""After a websocket upgrade: frames sent with the request are read, and the connection's
buffered request reader (8 KB each) is let go while the websocket lives."""

from __future__ import annotations

import gc
import io

from .conftest import wait_until
from geventsio.http.upgraded import UpgradedReader, reader_of

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


class _Calls:
    """recv/wait stand-ins that record their order; recv answers from a script."""

    def __init__(self, answers: list) -> None:
        self.log: list[str] = []
        self.answers = answers

    def recv(self, size: int) -> bytes:
        self.log.append("recv")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def wait(self) -> None:
        self.log.append("wait")


def test_the_reader_gives_the_leftover_first_then_reads():
    calls = _Calls([b"abc"])
    read = UpgradedReader(b"early", calls.recv, calls.wait).read
    assert read(10) == b"early" and calls.log == []
    assert read(10) == b"abc" and calls.log == ["recv"]


def test_after_a_short_read_the_reader_waits_before_reading():
    calls = _Calls([b"ab", b"cd", b"x" * 4, b"y"])
    read = UpgradedReader(b"", calls.recv, calls.wait).read
    assert read(4) == b"ab"              # first read: straight away
    assert read(4) == b"cd"              # the socket was emptied: wait, then read
    assert read(4) == b"xxxx"            # again
    assert read(4) == b"y"               # a full read: more may be there, read at once
    assert calls.log == ["recv", "wait", "recv", "wait", "recv", "recv"]


def test_a_wakeup_with_nothing_to_read_waits_again():
    calls = _Calls([b"a", BlockingIOError(), b"b"])
    read = UpgradedReader(b"", calls.recv, calls.wait).read
    read(4)
    assert read(4) == b"b"
    assert calls.log == ["recv", "wait", "recv", "wait", "recv"]


def test_a_gevent_socket_is_read_by_waiting_then_reading():
    import gevent
    import gevent.socket

    left, right = gevent.socket.socketpair()
    try:
        reader = reader_of(left, b"")
        read = reader.read
        assert reader._wait is not None
        gevent.spawn_later(0.05, right.sendall, b"late")
        assert read(100) == b"late"
        gevent.spawn_later(0.05, right.sendall, b"later")
        assert read(100) == b"later"     # waited (drained), then read
        right.close()
        assert read(100) == b""          # end of stream
    finally:
        left.close()
        right.close()


def test_a_websocket_sessions_environ_keeps_the_request_but_no_body(make_server):
    from geventsio import BaseNamespace

    seen: dict = {}

    class Main(BaseNamespace):
        def recv_connect(self) -> None:
            seen["header"] = self.environ.get("HTTP_X_APP")
            seen["query"] = self.environ.get("QUERY_STRING")
            seen["body"] = self.environ["wsgi.input"].read()
            seen["socketio"] = self.environ["socketio"] is self.socket

    live = make_server(namespaces={"": Main})
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, _ws_path(sid) + "?room=7", headers={"X-App": "yes"})
    assert ws.recv_text() == "1::"
    wait_until(lambda: "socketio" in seen)
    assert seen == {"header": "yes", "query": "room=7", "body": b"", "socketio": True}
    ws.sock.close()


def test_closing_one_sessions_empty_body_leaves_the_others_readable():
    from geventsio.http.upgraded import NO_BODY

    NO_BODY.close()  # what an app may do with its environ['wsgi.input']
    assert not NO_BODY.closed
    assert NO_BODY.read() == b"" and NO_BODY.readline() == b""


def test_an_upgrade_read_whole_from_an_emptied_buffer_reads_no_more(live, monkeypatch):
    from geventsio.http import upgraded

    looked = []
    original = upgraded.buffered_bytes

    def spying(rfile, sock):
        looked.append(True)
        return original(rfile, sock)

    monkeypatch.setattr(upgraded, "buffered_bytes", spying)
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, _ws_path(sid))  # the request alone, in one write
    assert ws.recv_text() == "1::"
    assert looked == []  # the buffer was known to be empty: no read to look
    ws.send_text('5:::{"name":"echo","args":["after"]}')
    assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["after"]}'
    ws.sock.close()
    early = RawWebSocket(live.port, _ws_path(handshake(live.port)), early=masked_frame("2::"))
    assert early.recv_text() == "1::"
    assert looked == [True]  # bytes after the request: taken from the buffer
    early.sock.close()
