"""Request deadlines: slow-loris heads, slow bodies and idle kept-alive connections are
closed in time, while websockets and long polls, whose requests have arrived, are not."""

from __future__ import annotations

import os
import socket
import time

import gevent

from .conftest import wait_until
from .rawclient import open_websocket, read_response, request

HEAD = 1.0


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``timeout`` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_half_sent_request_heads_are_closed_and_a_real_client_is_served(make_server):
    live = make_server(request_head_timeout=HEAD, keepalive_timeout=HEAD)
    baseline = _open_fds()
    loris = []
    for i in range(300):
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
        sock.sendall(b"GET /socket.io/1/?t=%d HTTP/1.1\r\nHost: x\r\nX-Slow: " % i)
        loris.append(sock)
    # a real client is served at once meanwhile
    answer = request(live.port, "GET", "/socket.io/1/?t=1", timeout=5)
    assert answer.status == 200
    started = time.monotonic()
    closed = gevent.joinall([gevent.spawn(_closed_by_server, s, HEAD + 20) for s in loris],
                            timeout=HEAD + 30)
    assert all(g.value for g in closed), "some half-sent heads were kept open"
    assert time.monotonic() - started < HEAD + 20
    for sock in loris:
        sock.close()
    wait_until(lambda: _open_fds() <= baseline, timeout=15,
               describe=lambda: f"{_open_fds()} fds, baseline {baseline}")
    assert len(live.manager.sessions) == 1  # only the real client's handshake


def test_a_connection_that_sends_nothing_is_closed(make_server):
    live = make_server(request_head_timeout=HEAD)
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        assert _closed_by_server(sock, HEAD + 20)


def test_an_idle_kept_alive_connection_is_closed(make_server):
    live = make_server(keepalive_timeout=HEAD)
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        sock.sendall(b"GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock, buf).status == 200
        assert _closed_by_server(sock, HEAD + 20)


def test_a_body_that_does_not_arrive_gets_408(make_server):
    live = make_server(request_body_timeout=HEAD)
    sid = request(live.port, "GET", "/socket.io/1/?t=1").text.split(":")[0]
    with socket.create_connection(("127.0.0.1", live.port), timeout=HEAD + 20) as sock:
        sock.sendall(f"POST /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 100\r\n\r\n5:::".encode("latin-1"))
        answer = read_response(sock)
    assert answer.status == 408
    assert sid in live.manager.sessions  # the session itself goes on


def test_long_polls_and_websockets_outlive_the_request_deadlines(make_server):
    # Each deadline is far shorter than a long poll and than the websocket's life here.
    live = make_server(request_head_timeout=0.3, keepalive_timeout=0.3,
                       request_body_timeout=0.3, polling_duration=1.5, close_timeout=5,
                       heartbeat_interval=0.5, heartbeat_timeout=5)
    sid, ws = open_websocket(live.port)
    try:
        poll_sid = request(live.port, "GET", "/socket.io/1/?t=1").text.split(":")[0]
        path = f"/socket.io/1/xhr-polling/{poll_sid}"
        request(live.port, "GET", path)  # 1:: and the welcome
        started = time.monotonic()
        assert request(live.port, "GET", path, timeout=10).text == "8::"  # held 1.5 s
        assert time.monotonic() - started >= 1.5
        # the websocket, open for seconds now, still carries heartbeats and events
        ws.send_text('5:::{"name":"echo","args":["late"]}')
        assert ws.recv_until(lambda t: "late" in t) == '5:::{"name":"echo","args":["late"]}'
        assert live.manager.sessions[sid].connected
    finally:
        ws.close()


def test_gaps_between_kept_alive_requests_do_not_add_up(make_server):
    """Each wait for the next request counts the whole keepalive_timeout from its start:
    the connection's timer is reused, and a libev timer stopped and started again would
    count only what was left (the connection closed once the gaps added up)."""
    live = make_server(keepalive_timeout=HEAD, request_head_timeout=HEAD)
    with socket.create_connection(("127.0.0.1", live.port), timeout=HEAD + 20) as sock:
        buf = bytearray()
        for i in range(5):  # five gaps of 0.6 s: 3 s in all, three times the timeout
            sock.sendall(b"GET /socket.io/1/?t=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            assert read_response(sock, buf).status == 200, i
            gevent.sleep(HEAD * 0.6)
        assert _closed_by_server(sock, HEAD + 20)  # and an idle one is still closed


def test_a_deadline_throws_into_the_greenlet_that_started_it_unless_stopped():
    from geventsio.http.deadlines import Deadlines

    class Late(BaseException):
        pass

    deadlines = Deadlines()
    caught = []

    def wait(stop_after):
        deadlines.start(0.2, Late())
        try:
            gevent.sleep(stop_after)
            caught.append("in time")
        except Late:
            caught.append("late")
        finally:
            deadlines.stop()

    gevent.spawn(wait, 5).join(10)
    gevent.spawn(wait, 0.01).join(10)
    gevent.sleep(0.4)  # the stopped deadline's time passes: nothing is thrown
    assert caught == ["late", "in time"]
    deadlines.close()
    deadlines.close()  # twice is fine
    gevent.spawn(wait, 5).join(10)  # a closed one makes new timers
    assert caught == ["late", "in time", "late"]
    deadlines.close()
