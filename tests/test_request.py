"""What the handler derives from a Socket.IO request: the environ it builds itself must be
gevent's, key for key; the remembered paths must be what parse_target says."""

from __future__ import annotations

import io

import pytest
from gevent.pywsgi import Input, WSGIHandler

from geventsio.http import request as derived
from geventsio.http.handler import SocketIOHandler
from geventsio.http.headers import RequestHeaders
from geventsio.protocol import parse_target

from .conftest import offline_handler
from .rawclient import request

PATHS = ["/socket.io/1/xhr-polling/abc", "/socket.io/1/xhr-polling/abc/",
         "/socket.io/1//abc", "/socket.io/1/", "/socket.io/", "/socket.io/socket.io.js",
         "/socket.io/2/xhr-polling/abc", "/socket.io/1/x/y/z", "/elsewhere", "/"]

HEADS = [
    b"Host: x\r\nConnection: keep-alive\r\n\r\n",
    b"Host: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 38\r\n\r\n",
    b"Host: x\r\nCookie: a=1\r\nX-A: 1\r\ncookie: b=2\r\nx-a:  2 \r\n\r\n",  # repeats
    b"Host: x\r\nX_Under: 1\r\nContent_Length: 5\r\nX-Dash: 2\r\n\r\n",  # "_" names
    b"Host: x\r\nX-Folded: a\r\n  b\r\nOrigin: http://o.test\r\n\r\n",
    b"Host: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n",
    b"Host: x\r\nContent-Length: 0\r\nContent-Type: \r\nEmpty:\r\n\r\n",
]
TARGETS = ["/socket.io/1/xhr-polling/abc?t=1", "/socket.io/1/?t=1&x=%41", "/socket.io/1/a%2Fb",
           "/socket.io/1/%E9t%C3%A9?", "/socket.io/1/?", "/socket.io/1/jsonp-polling/s?i=3&t=2"]


@pytest.fixture
def handler():
    with offline_handler() as made:
        yield made


def _prepare(handler, method, target, version, head, address):
    handler.command, handler.path, handler.request_version = method, target, version
    handler.client_address = address
    handler.headers = RequestHeaders.read(io.BytesIO(head))
    length = handler.headers.get("content-length")
    handler.content_length = int(length) if length else None


def _comparable(handler, env):
    env = dict(env)
    stream = env.pop("wsgi.input")
    if isinstance(stream, Input):
        stream = ("Input", stream.rfile is handler.rfile, stream.content_length,
                  stream.socket is not None, stream.chunked_input)
    else:
        stream = ("raw", stream is handler.rfile)
    return env, stream


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("target", TARGETS)
def test_the_socketio_environ_is_gevents(handler, head, target):
    for method, version, address in (("GET", "HTTP/1.1", ("127.0.0.1", 5555)),
                                     ("POST", "HTTP/1.0", ("::1", 6, 0, 0)),
                                     ("GET", "HTTP/1.1", "/run/a.sock")):
        _prepare(handler, method, target, version, head, address)
        expected = _comparable(handler, WSGIHandler.get_environ(handler))
        assert _comparable(handler, derived.socketio_environ(handler)) == expected


def test_only_socketio_requests_of_our_own_handler_take_the_short_way(handler, monkeypatch):
    built = []
    monkeypatch.setattr("geventsio.http.handler.socketio_environ",
                        lambda h: built.append(h.path) or {})
    for target in ("/socket.io/1/?t=1", "/app/socket.io/1/", "/socket.iox/1/", "/"):
        _prepare(handler, "GET", target, "HTTP/1.1", HEADS[0], ("127.0.0.1", 1))
        handler.get_environ()
    assert built == ["/socket.io/1/?t=1"]

    class Subclass(SocketIOHandler):
        pass

    sub = Subclass(handler.socket, ("127.0.0.1", 1), handler.server)
    _prepare(sub, "GET", "/socket.io/1/?t=1", "HTTP/1.1", HEADS[0], ("127.0.0.1", 1))
    assert sub.get_environ()["PATH_INFO"] == "/socket.io/1/"
    assert built == ["/socket.io/1/?t=1"]


def test_a_session_environ_carries_the_request_keys(make_server):
    seen = {}
    from geventsio import BaseNamespace

    class Probe(BaseNamespace):
        def recv_connect(self):
            seen.update(self.environ)

    live = make_server(namespaces={"": Probe})
    sid = request(live.port, "GET", "/socket.io/1/?t=1").text.split(":")[0]
    answer = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}?t=2",
                     headers={"Cookie": "a=1", "X-Custom": "yes"})
    assert answer.status == 200
    assert seen["PATH_INFO"] == f"/socket.io/1/xhr-polling/{sid}"
    assert seen["QUERY_STRING"] == "t=2"
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and seen["REQUEST_METHOD"] == "GET"
    assert seen["HTTP_COOKIE"] == "a=1" and seen["HTTP_X_CUSTOM"] == "yes"
    assert seen["wsgi.url_scheme"] == "http" and "wsgi.input" in seen


@pytest.mark.parametrize("resource", ["socket.io", "api/socket.io"])
def test_remembered_targets_are_what_parse_target_says(resource):
    for _ in range(2):  # the second time from the cache
        for path in PATHS:
            assert derived.target_of(path, resource) == parse_target(path, resource), path


def test_only_transport_paths_are_kept_and_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(derived, "_TARGETS", {})
    derived.target_of("/elsewhere", "socket.io")
    derived.target_of("/socket.io/1/", "socket.io")
    assert derived._TARGETS == {}
    for i in range(derived._TARGETS_KEPT * 3):
        derived.target_of(f"/socket.io/1/xhr-polling/s{i}", "socket.io")
        assert len(derived._TARGETS) <= derived._TARGETS_KEPT
    assert ("/socket.io/1/xhr-polling/s0", "socket.io") not in derived._TARGETS


def test_header_keys_beyond_the_remembered_ones(monkeypatch):
    """Environ keys of header names are remembered for 256 names; later names (a client
    inventing them) are still keyed right, and nothing more is kept."""
    monkeypatch.setattr(derived, "_KEYS", {})
    lines = [f"X-Pad-{n}: {n}" for n in range(300)]
    lines += ["Content-Type: text/plain", "X_Under: no", "x-pad-7: again", "Cookie: a=1",
              "cookie: b=2"]
    for _ in range(2):
        env: dict[str, str] = {}
        derived.add_http_headers(env, lines)
        assert env == {**{f"HTTP_X_PAD_{n}": str(n) for n in range(300)},
                       "HTTP_X_PAD_7": "7,again", "HTTP_COOKIE": "a=1; b=2"}
        assert len(derived._KEYS) <= 256
