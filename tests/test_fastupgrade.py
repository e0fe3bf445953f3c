"""A new connection that opens with a websocket upgrade is answered in one pass
(geventsio/http/fastupgrade.py): the same head, environ and log line as the handler's
way, and anything else left to the handler with nothing consumed."""

from __future__ import annotations

import base64
import re
import socket
from typing import Any

import pytest
from gevent.socket import wait_read

import geventsio.http.fastupgrade as fastupgrade
import geventsio.server
from geventsio import BaseNamespace

from .conftest import wait_until
from .rawclient import _read_head, handshake, masked_frame, parse_head, request

KEY = base64.b64encode(b"sixteen byte key").decode("ascii")


class Served:
    """Spies on ``serve_upgrade``: what it answered for each connection. ``serve_upgrade``
    does not wait for a connection's first bytes; with ``ready`` the spy waits for them
    (up to 10 s) before calling it, so that a test's request is there when it looks, as
    a real client's nearly always is."""

    def __init__(self, monkeypatch: Any, force_handler: bool = False,
                 ready: bool = True) -> None:
        self.results: list[bool] = []
        real = fastupgrade.serve_upgrade

        def spy(server: Any, sock: Any, address: Any) -> bool:
            if ready:
                wait_read(sock.fileno(), timeout=10)
            result = False if force_handler else real(server, sock, address)
            self.results.append(result)
            return result
        monkeypatch.setattr(geventsio.server, "serve_upgrade", spy)


class Lines:
    """An access log that keeps its lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)


def _environs() -> tuple[type[BaseNamespace], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    class Keeps(BaseNamespace):
        def recv_connect(self) -> None:
            seen.append(dict(self.environ))

        def on_echo(self, *args: Any) -> None:
            self.emit("echo", *args)
    return Keeps, seen


def _upgrade(port: int, path: str, headers: str = "", early: bytes = b""
             ) -> tuple[socket.socket, bytes, bytearray]:
    """Send an upgrade request for ``path`` (with ``early`` bytes right behind it):
    the socket, the answer's head as sent, and what was read after it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n{headers}\r\n").encode("latin-1") + early)
    buf = bytearray()
    head = _read_head(sock, buf)
    return sock, head, buf


def _first_text(sock: socket.socket, buf: bytearray) -> str:
    while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7F):
        chunk = sock.recv(4096)
        assert chunk, bytes(buf)
        buf += chunk
    size = buf[1] & 0x7F
    text = bytes(buf[2:2 + size]).decode("utf-8")
    del buf[:2 + size]
    return text


def test_an_upgrade_for_a_new_session_is_served_in_one_pass(make_server: Any,
                                                            monkeypatch: Any) -> None:
    served = Served(monkeypatch)
    cls, environs = _environs()
    live = make_server(namespaces={"": cls})
    sid = handshake(live.port)
    sock, head, buf = _upgrade(live.port, f"/socket.io/1/websocket/{sid}?x=1")
    assert parse_head(head)[0] == 101
    assert _first_text(sock, buf) == "1::"
    sock.sendall(masked_frame('5:::{"name":"echo","args":["hi"]}'))
    assert _first_text(sock, buf) == '5:::{"name":"echo","args":["hi"]}'
    assert served.results == [False, True]  # the handshake's connection, the upgrade's
    environ = environs[0]
    assert environ["PATH_INFO"] == f"/socket.io/1/websocket/{sid}"
    assert environ["QUERY_STRING"] == "x=1" and environ["HTTP_UPGRADE"] == "websocket"
    assert live.server.manager.get(sid).environ is not None
    sock.close()
    live.wait_sessions(0)


def _one_upgrade(make_server: Any, monkeypatch: Any, force_handler: bool
                 ) -> tuple[bytes, dict[str, Any], str, list[bool]]:
    served = Served(monkeypatch, force_handler)
    cls, environs = _environs()
    access = Lines()
    live = make_server(namespaces={"": cls}, log=access)
    sid = handshake(live.port)
    sock, head, buf = _upgrade(live.port, f"/socket.io/1/websocket/{sid}",
                               headers="Cookie: a=1\r\nX_Under: no\r\nUser-Agent: t\r\n")
    assert _first_text(sock, buf) == "1::"
    wait_until(lambda: len(access.lines) == 2, describe=lambda: str(access.lines))
    environ = dict(environs[0])
    for key in ("REMOTE_PORT", "socketio"):
        environ.pop(key)
    environ["PATH_INFO"] = environ["PATH_INFO"].replace(sid, "<sid>")
    for key in ("HTTP_HOST", "SERVER_PORT"):  # (each run has a server of its own)
        environ[key] = environ[key].replace(str(live.port), "<port>")
    line = re.sub(r"\[.*?\]", "[date]", access.lines[1].replace(sid, "<sid>"))
    sock.close()
    live.wait_sessions(0)
    return head, environ, re.sub(r" [0-9.]+\n$", " <seconds>\n", line), served.results


def test_both_ways_give_the_same_head_environ_and_log_line(make_server: Any,
                                                           monkeypatch: Any) -> None:
    fast = _one_upgrade(make_server, monkeypatch, force_handler=False)
    handler = _one_upgrade(make_server, monkeypatch, force_handler=True)
    assert fast[3] == [False, True] and handler[3] == [False, False]
    assert fast[0] == handler[0]  # the 101 head, byte for byte
    assert fast[1] == handler[1]  # the session's environ, key for key
    assert fast[2] == handler[2]  # the access-log line
    assert fast[2].startswith('127.0.0.1 - - [date] "GET /socket.io/1/websocket/<sid> '
                              'HTTP/1.1" 101 '), fast[2]


def test_a_client_that_sends_after_connecting_goes_to_the_handler(make_server: Any,
                                                                   monkeypatch: Any) -> None:
    served = Served(monkeypatch, ready=False)
    live = make_server()
    sid = handshake(live.port)
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    wait_until(lambda: len(served.results) == 2)  # looked at before anything was sent
    sock.sendall((f"GET /socket.io/1/websocket/{sid} HTTP/1.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode("latin-1"))
    buf = bytearray()
    assert parse_head(_read_head(sock, buf))[0] == 101  # the handler waited and served it
    assert _first_text(sock, buf) == "1::"
    assert served.results[1] is False
    sock.close()
    live.wait_sessions(0)


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(
        make_server: Any, monkeypatch: Any) -> None:
    served = Served(monkeypatch, ready=False)
    live = make_server(request_head_timeout=0.3)
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    assert sock.recv(100) == b""  # closed by the handler, nothing answered
    assert served.results == [False]
    wait_until(lambda: not live.server.manager.sessions)


def _handshake(port: int) -> str:
    response = request(port, "GET", "/socket.io/1/?t=1",
                       headers={"Origin": "http://good.example"})
    assert response.status == 200, response
    return response.text.split(":")[0]


@pytest.mark.parametrize("case", ["early frame", "unknown sid", "used sid", "bad version",
                                  "POST", "restricted origins"])
def test_anything_else_goes_to_the_handler_with_nothing_taken(
        make_server: Any, monkeypatch: Any, case: str) -> None:
    served = Served(monkeypatch)
    origins = "good.example:*" if case == "restricted origins" else "*:*"
    live = make_server(origins=origins)
    sid = _handshake(live.port)
    path = f"/socket.io/1/websocket/{sid}"
    if case == "used sid":
        first, _, first_buf = _upgrade(live.port, path)
        assert _first_text(first, first_buf) == "1::"
    if case == "unknown sid":
        path = "/socket.io/1/websocket/nosuchsession"
    headers = {"bad version": "", "restricted origins": "Origin: http://good.example\r\n"}
    early = masked_frame('5:::{"name":"echo","args":["early"]}') if case == "early frame" \
        else b""
    if case == "POST":
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
        sock.sendall(f"POST {path} HTTP/1.1\r\nContent-Length: 0\r\n\r\n".encode())
        status = parse_head(_read_head(sock, bytearray()))[0]
        assert status == 405 and served.results[-1] is False
        return
    request = (f"GET {path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: "
               f"{'12' if case == 'bad version' else '13'}\r\n"
               f"{headers.get(case, '')}\r\n").encode("latin-1") + early
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=10)
    sock.sendall(request)
    buf = bytearray()
    status = parse_head(_read_head(sock, buf))[0]
    assert served.results[-1] is False, case
    if case == "bad version":
        assert status == 426
    elif case in ("unknown sid", "used sid"):
        assert status == 101 and _first_text(sock, buf) == "7:::1+0"
    else:  # served by the handler, early frames included
        assert status == 101 and _first_text(sock, buf) == "1::"
        if case == "early frame":
            while "early" not in _first_text(sock, buf):  # (after the app's welcome)
                pass
    sock.close()
    sid = _handshake(live.port)  # the server goes on: the next client is served
    other, _, other_buf = _upgrade(live.port, f"/socket.io/1/websocket/{sid}",
                                   headers=headers.get("restricted origins", "")
                                   if case == "restricted origins" else "")
    assert _first_text(other, other_buf) == "1::"
    assert served.results[-1] is (case != "restricted origins")
    other.close()
