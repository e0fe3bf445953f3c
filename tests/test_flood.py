"""A flood of bad and idle traffic: thousands of handshakes that never connect, hundreds
of connections sending garbage, a 200 MB body and a websocket frame declaring 1 GB. A real
client is served throughout, nothing refused is read into memory, and afterwards file
descriptors and sessions are back to the baseline."""

from __future__ import annotations

import os
import socket
import statistics
import time

import gevent
from gevent.pool import Pool

from .conftest import wait_until
from .rawclient import RawWebSocket, handshake, read_response, request

GARBAGE = [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS hello
    b"GET / HTTP/9.9\r\n\r\n",
    b"NOT-HTTP AT ALL\r\n\r\n",
    b"GET /socket.io/1/ HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /socket.io/1/xhr-polling/nosuchsid HTTP/1.1\r\nContent-Length: 4\r\n\r\n5:::",
    b"GET /socket.io/1/?t=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    b"\x00\xff" * 100,
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _garbage(port: int, i: int) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(GARBAGE[i % len(GARBAGE)])
            sock.settimeout(10)
            while sock.recv(65536):
                pass
    except OSError:
        pass


def _bad_packets(port: int) -> None:
    sid = handshake(port)
    ws = RawWebSocket(port, f"/socket.io/1/websocket/{sid}")
    try:
        for text in ("1::/nope", "5:::{bad", "x", "6:::1+[", "0::/none"):
            ws.send_text(text)
        ws.send_frame(b"\xff\xfe", opcode=1)  # not UTF-8: the server closes with 1007
        ws.recv_close_code()
    except OSError:
        pass
    finally:
        ws.close()


def _huge_body(port: int, sid: str) -> int:
    """Declare a 200 MB POST body and stream it; the answer's status (413)."""
    chunk = b"x" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"POST /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nHost: x\r\n"
                     f"Content-Length: {200 << 20}\r\n\r\n".encode("latin-1"))
        try:
            for _ in range(200):
                sock.sendall(chunk)
        except OSError:
            pass  # the server stopped reading and closed: what we expect
        return read_response(sock).status


def _huge_frame(port: int) -> int | None:
    sid = handshake(port)
    ws = RawWebSocket(port, f"/socket.io/1/websocket/{sid}")
    try:
        assert ws.recv_text() == "1::"
        ws.send_frame(b"x" * 1000, length=1 << 30)  # declares 1 GB, sends 1 KB
        return ws.recv_close_code()
    finally:
        ws.close()


def test_flood_of_bad_and_idle_traffic(make_server):
    live = make_server(close_timeout=3, polling_duration=1, heartbeat_interval=1,
                       heartbeat_timeout=5, request_head_timeout=5, keepalive_timeout=5)
    fds, rss = _fds(), _rss_mb()
    port = live.port
    victim_times: list[float] = []

    def victim() -> None:
        for _ in range(20):
            started = time.monotonic()
            assert request(port, "GET", "/socket.io/1/?t=1", timeout=10).status == 200
            victim_times.append(time.monotonic() - started)
            gevent.sleep(0.05)  # a client's own pace between handshakes, not a wait

    pool = Pool(100)
    served = gevent.spawn(victim)
    idle = [pool.spawn(handshake, port) for _ in range(2000)]
    bad = [pool.spawn(_garbage, port, i) for i in range(450)]
    bad += [pool.spawn(_bad_packets, port) for _ in range(50)]
    sid = handshake(port)
    body, frame = gevent.spawn(_huge_body, port, sid), gevent.spawn(_huge_frame, port)
    pool.join(timeout=180, raise_error=True)
    assert body.get(timeout=60) == 413
    assert frame.get(timeout=60) == 1009
    served.get(timeout=120)
    assert all(g.successful() for g in idle + bad)
    # a liveness bound (starvation would be seconds), not a speed test
    assert statistics.median(victim_times) < 1.0, victim_times
    assert _rss_mb() - rss < 100  # nothing refused was read in (200 MB body, 1 GB frame)
    # handshaken sessions that never connected go at their close timeout
    live.wait_sessions(0, timeout=60)
    wait_until(lambda: _fds() <= fds, timeout=30, describe=lambda: f"{_fds()} fds, was {fds}")
