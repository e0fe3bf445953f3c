"""The short way for Socket.IO requests that arrived whole (geventsio.http.lean and
geventsio.http.connection): it must read exactly what gevent's way reads, leave every
other request to gevent's way, and answer the same."""

from __future__ import annotations

import io
import re
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.http.connection import RequestLoop
from geventsio.http.handler import SocketIOHandler
from geventsio.http.handshake import environ_headers
from geventsio.http.lean import buffered_request
from geventsio.http.request import socketio_environ

from .conftest import offline_handler, wait_until
from .rawclient import read_response

PREFIX = "/socket.io/"
POLL = "/socket.io/1/xhr-polling/abc?t=1"


def lean(data: bytes, max_header_bytes: int = 8192, max_headers: int = 20,
         max_body: int = 1000, last=None):
    return buffered_request(data, PREFIX, max_header_bytes, max_headers, max_body, last)


def test_a_plain_poll_is_read_whole():
    data = (b"POST " + POLL.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Connection: keep-alive\r\n\r\n3:::aNEXT")
    request = lean(data)
    assert request is not None
    assert (request.command, request.path, request.version) == ("POST", POLL, "HTTP/1.1")
    assert request.body == b"3:::a" and request.content_length == 5
    assert request.size == len(data) - len(b"NEXT") and not request.close
    assert request.headers.lines == ["Host: x", "Content-Length: 5", "Connection: keep-alive"]


def test_a_request_without_headers_is_read_whole():
    request = lean(b"GET /socket.io/1/ HTTP/1.0\r\n\r\n")
    assert request is not None and request.headers.lines == [] and request.close
    assert request.size == len(b"GET /socket.io/1/ HTTP/1.0\r\n\r\n")


GEVENTS_WAY = {
    "head not all in": b"GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n",
    "line not all in": b"GET /socket.io/1/ HTTP/1.1",
    "body not all in": b"POST /socket.io/1/ HTTP/1.1\r\nContent-Length: 9\r\n\r\n3:::",
    "body over the limit": b"POST /socket.io/1/ HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"
                           + b"x" * 1001,
    "POST without a length": b"POST /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "HEAD": b"HEAD /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "PUT": b"PUT /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "not under the resource": b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n",
    "a lookalike resource": b"GET /socket.iox/1/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/0.9": b"GET /socket.io/1/\r\n\r\n",
    "HTTP/2.0": b"GET /socket.io/1/ HTTP/2.0\r\nHost: x\r\n\r\n",
    "four words": b"GET /socket.io/1/ x HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare LF in the line": b"GET /socket.io/1/\nHTTP/1.1\r\nHost: x\r\n\r\n",
    "bare CR in the line": b"GET /socket.io/1/\rx HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare LF ends": b"GET /socket.io/1/ HTTP/1.1\nHost: x\n\r\n\r\n",
    "bare CR in a value": b"GET /socket.io/1/ HTTP/1.1\r\nX: a\rb\r\n\r\n",
    "NUL in a value": b"GET /socket.io/1/ HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    "a folded line": b"GET /socket.io/1/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "space before the colon": b"GET /socket.io/1/ HTTP/1.1\r\nX : a\r\n\r\n",
    "no colon": b"GET /socket.io/1/ HTTP/1.1\r\nHost\r\n\r\n",
    "too many headers": b"GET /socket.io/1/ HTTP/1.1\r\n" + b"X: 1\r\n" * 21 + b"\r\n",
    "header block too large": b"GET /socket.io/1/ HTTP/1.1\r\nX: " + b"a" * 8200 + b"\r\n\r\n",
    "request line too long": b"GET /socket.io/" + b"a" * 8200 + b" HTTP/1.1\r\n\r\n",
    "chunked": b"POST /socket.io/1/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "expect": b"POST /socket.io/1/ HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n"
              b"\r\nx",
    "two lengths": b"POST /socket.io/1/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n"
                   b"\r\nx",
    "a signed length": b"POST /socket.io/1/ HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
    "an underscore length": b"POST /socket.io/1/ HTTP/1.1\r\nContent_Length: 1\r\n"
                            b"Content-Length: 1\r\n\r\nx",
}


@pytest.mark.parametrize("name", list(GEVENTS_WAY))
def test_requests_that_are_not_whole_and_plain_are_left_to_gevents_way(name):
    assert lean(GEVENTS_WAY[name]) is None
    # nor does a previous request's block make them plain
    before = lean(b"GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert lean(GEVENTS_WAY[name], last=before) is None


def test_the_previous_requests_headers_serve_only_the_same_block():
    first = lean(b"POST " + POLL.encode() + b" HTTP/1.1\r\nContent-Length: 1\r\n\r\nx")
    same = lean(b"POST " + POLL.encode() + b"2 HTTP/1.1\r\nContent-Length: 1\r\n\r\ny",
                last=first)
    assert same.headers is first.headers and same.body == b"y" and same.path == POLL + "2"
    other = lean(b"POST " + POLL.encode() + b" HTTP/1.1\r\nContent-Length: 2\r\n\r\nzz",
                 last=first)
    assert other.headers is not first.headers and other.body == b"zz"
    assert other.content_length == 2 and other.headers.get("content-length") == "2"
    old = lean(b"POST " + POLL.encode() + b" HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
               last=first)
    assert old.headers is not first.headers and old.close


# -- the same reading as gevent's -------------------------------------------------------
@pytest.fixture(scope="module")
def handler():
    with offline_handler() as made:
        yield made


def _read_gevents_way(handler, data):
    """What gevent's read_request makes of ``data``: (state, body, bytes consumed)."""
    handler.rfile = io.BufferedReader(io.BytesIO(data))
    line = handler.rfile.readline(8192).decode("latin-1")
    assert handler.read_request(line)
    environ = socketio_environ(handler)
    body = handler.rfile.read(handler.content_length or 0)
    consumed = handler.rfile.tell()
    state = (handler.command, handler.path, handler.request_version, handler.headers.lines,
             handler.content_length, handler.close_connection)
    return state, environ, body, consumed


_names = st.sampled_from(["Host", "Origin", "origin", "Referer", "Content-Type", "Connection",
                          "X-Custom", "Cookie", "cookie", "Accept-Encoding", "X_Under"])
_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                blacklist_characters="\x7f"), max_size=30)
_connection = st.sampled_from([None, "keep-alive", "close", "Keep-Alive", "CLOSE", "upgrade"])


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "OPTIONS"]),
       path=st.from_regex(r"/socket\.io/1/[a-z%-]{0,12}(/[0-9a-f%]{0,8})?(\?[a-z0-9=&%?]{0,20})?",
                          fullmatch=True),
       version=st.sampled_from(["HTTP/1.1", "HTTP/1.0"]),
       headers=st.lists(st.tuples(_names, _values), max_size=6),
       connection=_connection, body=st.binary(max_size=40), after=st.binary(max_size=20))
def test_a_request_read_whole_is_read_as_gevent_reads_it(handler, method, path, version,
                                                         headers, connection, body, after):
    lines = [f"{method} {path} {version}"] + [f"{n}: {v}" for n, v in headers]
    if connection is not None:
        lines.append(f"Connection: {connection}")
    if method == "POST" or body:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body + after
    request = lean(data)
    assert request is not None, data
    state, environ, gevents_body, consumed = _read_gevents_way(handler, data)
    assert (request.command, request.path, request.version, request.headers.lines,
            request.content_length, request.close) == state
    assert (request.body, request.size) == (gevents_body, consumed)
    again = lean(data, last=request)  # the connection's next request, the same block
    assert again.headers is request.headers
    assert (again.command, again.path, again.body, again.size, again.close) == (
        request.command, request.path, request.body, request.size, request.close)
    stream = environ.pop("wsgi.input")
    short = socketio_environ(handler, request.body)
    if request.headers.asks_upgrade():  # the connection itself, both ways
        assert short.pop("wsgi.input") is stream is handler.rfile
    else:
        assert short.pop("wsgi.input").read() == request.body
    assert short == environ
    # what the handler reads without building the environ
    handler.environ = None  # (as after a request read the short way)
    for lowered in ("origin", "referer", "cookie", "x-custom", "host", "connection"):
        key = "HTTP_" + lowered.replace("-", "_").upper()
        assert request.headers.joined(lowered) == environ.get(key), lowered
    assert handler.http_headers() == environ_headers(environ)
    assert handler.path_info() == environ["PATH_INFO"]
    assert handler.query_string() == environ["QUERY_STRING"]


# -- the same answers as gevent's way, over a connection ----------------------------------
def _conversation(port: int, sid: str) -> list[bytes]:
    """Requests a polling client (and some bad ones) send on one kept-alive connection."""
    base = f"/socket.io/1/xhr-polling/{sid}"
    steps = [("GET", f"{base}?t=1", b"", ""),
             ("POST", f"{base}?t=2", b"5:::" + b'{"name":"echo","args":[1]}', ""),
             ("GET", f"{base}?t=3", b"", "Origin: http://elsewhere.test\r\n"),
             ("OPTIONS", f"{base}?t=4", b"", "Origin: http://o.test\r\n"),
             ("GET", "/socket.io/1/xhr-polling/nosuchsid?t=5", b"", ""),
             ("POST", "/socket.io/1/xhr-polling/nosuchsid?t=6", b"1::", ""),
             ("GET", "/socket.io/1/flying-carpet/x", b"", ""),
             ("GET", "/socket.io/", b"", ""),
             ("POST", f"{base}?t=7", b"0::", "")]
    return [(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}"
             f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body
            for method, path, body, extra in steps]


def _normalized(answer, sid: str) -> tuple:
    headers = {k: v for k, v in answer.headers.items() if k != "date"}
    return answer.status, headers, answer.body.replace(sid.encode(), b"SID")


def _talk(port: int) -> list[tuple]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        buf = bytearray()
        sock.sendall(b"GET /socket.io/1/?t=0 HTTP/1.1\r\nHost: x\r\nOrigin: http://o.test\r\n\r\n")
        first = read_response(sock, buf)
        assert first.status == 200, first
        sid = first.text.split(":")[0]
        answers = [_normalized(first, sid)]
        for raw in _conversation(port, sid):
            sock.sendall(raw)
            answers.append(_normalized(read_response(sock, buf), sid))
    return answers


def _counting(monkeypatch) -> list[str]:
    taken: list[str] = []
    original = RequestLoop._answer_buffered

    def answer(self, request):
        taken.append(request.path)
        return original(self, request)

    monkeypatch.setattr(RequestLoop, "_answer_buffered", answer)
    return taken


def test_both_ways_answer_a_conversation_alike(make_server, monkeypatch):
    taken = _counting(monkeypatch)
    live = make_server(origins="o.test:80", polling_duration=0.2)
    short = _talk(live.port)
    assert len(taken) == len(short)  # every request took the short way
    monkeypatch.setattr(SocketIOHandler, "short_way", lambda self: False)
    del taken[:]
    gevents = _talk(live.port)
    assert taken == []
    assert [status for status, _, _ in short] == [200, 200, 200, 403, 200, 200, 200, 400,
                                                  200, 200]
    assert short == gevents


def test_a_body_that_comes_later_is_read_gevents_way(make_server, monkeypatch):
    taken = _counting(monkeypatch)
    looked: list[object] = []
    original = RequestLoop._buffered_request

    def looking(self):
        found = original(self)
        looked.append(found)
        return found

    monkeypatch.setattr(RequestLoop, "_buffered_request", looking)
    live = make_server(polling_duration=0.2)
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        sock.sendall(b"GET /socket.io/1/?t=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        sid = read_response(sock, buf).text.split(":")[0]
        post = f"POST /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nContent-Length: 8\r\n\r\n"
        sock.sendall(post.encode() + b"3:::")
        wait_until(lambda: None in looked)  # the server looked before the rest came
        sock.sendall(b"late")
        assert read_response(sock, buf).body == b"1"
        # two whole requests in one segment: both the short way
        get = f"GET /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\n\r\n".encode()
        sock.sendall(get + get)
        assert b"3:::late" in read_response(sock, buf).body
        assert read_response(sock, buf).status == 200
    assert len(taken) == 3 and all(re.match(r"/socket\.io/1/", p) for p in taken)


def test_an_exception_on_the_short_way_answers_500_and_the_server_goes_on(make_server,
                                                                           monkeypatch):
    live = make_server()

    def broken(self, target):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(SocketIOHandler, "_serve", broken)
    taken = _counting(monkeypatch)
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(b"GET /socket.io/1/?t=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_response(sock)
        assert answer.status == 500 and answer.headers["connection"] == "close"
        assert sock.recv(1) == b""  # closed after the 500
    assert taken == ["/socket.io/1/?t=0"]
    monkeypatch.undo()
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(b"GET /socket.io/1/?t=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).status == 200


# -- answers ------------------------------------------------------------------------------
class _Sent:
    """A socket that records what is sent to it, taking at most ``take`` bytes a send."""

    def __init__(self, take: int = 1 << 30) -> None:
        self.take = take
        self.data = b""
        self.sends = 0

    def send(self, data) -> int:
        self.sends += 1
        taken = bytes(data[:self.take])
        self.data += taken
        return len(taken)

    def sendall(self, data) -> None:
        self.data += bytes(data)


def test_an_answer_that_does_not_fit_one_send_is_sent_whole():
    from geventsio.http.heads import send_whole

    sock = _Sent(take=5)
    send_whole(sock, b"0123456789abc")
    assert sock.data == b"0123456789abc" and sock.sends == 1
    sock = _Sent()
    send_whole(sock, b"whole")
    assert sock.data == b"whole" and sock.sends == 1


@pytest.mark.parametrize("close", [False, True])
@pytest.mark.parametrize("command", ["GET", "HEAD"])
@pytest.mark.parametrize("content_type,headers", [
    ("text/plain; charset=UTF-8", ()),
    ("text/javascript; charset=UTF-8", (("X-XSS-Protection", "0"),)),
    (None, (("A", "1"), ("B", "2"))),
])
def test_a_head_formatted_once_is_the_head_formatted_each_time(handler, close, command,
                                                                content_type, headers):
    from http import HTTPStatus

    handler.command, handler.close_connection = command, close
    handler.socket = _Sent()
    handler._respond(HTTPStatus.OK, b"body!", content_type=content_type, headers=headers)
    once = handler.socket.data
    # the general formatter, every header given
    lines = ([("Content-Type", content_type)] if content_type else []) + list(headers) + [
        ("Connection", "close" if close else "Keep-Alive")]
    handler.socket = _Sent()
    handler._write_head(HTTPStatus.OK, lines, b"" if command == "HEAD" else b"body!", length=5)
    answers = [re.sub(rb"Date: [^\r]*", b"Date: -", data) for data in (once, handler.socket.data)]
    assert answers[0] == answers[1]
    assert answers[0].endswith(b"\r\n\r\n" if command == "HEAD" else b"\r\n\r\nbody!")
    assert b"Content-Length: 5\r\n" in answers[0]


def test_a_handler_subclass_reads_every_request_gevents_way(make_server, monkeypatch):
    taken = _counting(monkeypatch)

    class Subclass(SocketIOHandler):
        pass

    live = make_server(handler_class=Subclass)
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        for _ in range(2):
            sock.sendall(b"GET /socket.io/1/?t=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock, buf).status == 200
    assert taken == []
