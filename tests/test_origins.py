"""The ``origins`` allow-list: the pure matcher, then what the server does with it.

Refused origins get 403 at the handshake (jsonp too), at the websocket upgrade and on
transport requests, with a log line, and cost other clients nothing; allowed ones get the
reference's CORS headers; an ``OPTIONS`` preflight is answered.
"""

from __future__ import annotations

import pytest

from geventsio import ConfigurationError
from geventsio.core.origins import OriginAllowList, parse_origin

from .conftest import ROOT
from .nodeclient import NodeDriver, NodeSocket
from .rawclient import RawWebSocket, handshake, request

# -- the matcher ------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("http://example.com", ("example.com", 80)),
    ("https://example.com", ("example.com", 443)),
    ("wss://example.com", ("example.com", 443)),
    ("http://Example.COM:8080", ("example.com", 8080)),
    ("http://127.0.0.1:43493/test/page.html?x=1", ("127.0.0.1", 43493)),  # a Referer
    ("127.0.0.1:34179", ("127.0.0.1", 34179)),  # the node client's websocket Origin
    ("example.com", ("example.com", 80)),
    ("http://[::1]:9000", ("::1", 9000)),
    ("null", None),
    ("", None),
    (None, None),
    ("http://", None),
    ("http://example.com:99999", None),
    ("http://example.com:port", None),
])
def test_parse_origin(value, expected):
    assert parse_origin(value) == expected


@pytest.mark.parametrize("origins, origin, allowed", [
    ("*:*", None, True),
    ("*:*", "null", True),
    ("*:*", "http://anything:1", True),
    ("example.com:80", "http://example.com", True),
    ("example.com:80", "https://example.com", False),  # 443
    ("example.com:443", "https://example.com", True),
    ("example.com:80", "http://example.com:8080", False),
    ("example.com:80", "http://sub.example.com", False),
    ("example.com:80", "http://example.com.evil.test", False),
    ("example.com:*", "http://example.com:1234", True),
    ("*:8080", "http://other.test:8080", True),
    ("*:8080", "http://other.test:8081", False),
    ("a.test:1 b.test:2", "http://b.test:2", True),
    ("a.test:1, b.test:2", "http://b.test:2", True),
    (["a.test:1", "b.test:*"], "http://b.test:9", True),
    ("EXAMPLE.com:80", "http://example.COM", True),
    ("[::1]:9000", "http://[::1]:9000", True),
    ("example.com:80", None, False),
    ("example.com:80", "null", False),
    ("example.com:80", "not a url at all", False),
    # the reference finds patterns as substrings of the option; we do not
    ("myexample.com:80", "http://example.com", False),
])
def test_allow_list(origins, origin, allowed):
    assert OriginAllowList(origins).allows(origin) is allowed


@pytest.mark.parametrize("origins", ["", " ", [], "example.com", ":80", "example.com:",
                                     "*.example.com:80", "ex ample:80x", "a.test:65536",
                                     ["a.test:1", None]])
def test_bad_patterns_are_refused(origins):
    with pytest.raises(ConfigurationError):
        OriginAllowList(origins)


def test_repr_writes_the_patterns_back():
    assert repr(OriginAllowList("a.test:1 [::1]:* *:*")) == "OriginAllowList('a.test:1 [::1]:* *:*')"


# -- the server -------------------------------------------------------------------------

GOOD = "http://good.test:8000"
BAD = "http://evil.test:8000"


@pytest.fixture
def guarded(make_server):
    return make_server(origins="good.test:8000 *:9", heartbeat_interval=0.5,
                       heartbeat_timeout=3, close_timeout=3, polling_duration=1)


def _handshake_as(port: int, origin: str) -> str:
    response = request(port, "GET", "/socket.io/1/?t=1", headers={"Origin": origin})
    assert response.status == 200, response
    return response.text.split(":")[0]


def test_allowed_origin_gets_cors(guarded):
    response = request(guarded.port, "GET", "/socket.io/1/", headers={"Origin": GOOD})
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == GOOD
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("headers", [
    {"Origin": BAD},
    {"Origin": "null"},
    {"Referer": "http://evil.test:8000/page.html"},
    {},  # no origin at all: refused, as by the reference
])
def test_handshake_from_a_refused_origin_is_403(guarded, caplog, headers):
    for path in ("/socket.io/1/?t=1", "/socket.io/1/?t=1&jsonp=0"):
        response = request(guarded.port, "GET", path, headers=headers)
        assert response.status == 403
        assert b"refused by the origins option" in response.body
        assert "access-control-allow-origin" not in response.headers
    assert "refused by the origins option" in caplog.text
    assert not guarded.manager.sessions


def test_referer_stands_in_for_a_missing_origin(guarded):
    response = request(guarded.port, "GET", "/socket.io/1/?t=1&jsonp=2",
                       headers={"Referer": "http://good.test:8000/chat.html"})
    assert response.status == 200
    assert response.text.startswith("io.j[2](")
    assert "access-control-allow-origin" not in response.headers  # no Origin, no CORS


def test_transport_requests_from_a_refused_origin_are_403(guarded, caplog):
    sid = _handshake_as(guarded.port, GOOD)
    for method, transport in (("GET", "xhr-polling"), ("POST", "xhr-polling"),
                              ("GET", "jsonp-polling"), ("GET", "htmlfile"),
                              ("POST", "htmlfile")):
        response = request(guarded.port, method, f"/socket.io/1/{transport}/{sid}?i=0",
                           b"2::" if method == "POST" else b"", headers={"Origin": BAD})
        assert response.status == 403, (method, transport)
        assert "access-control-allow-origin" not in response.headers
    assert caplog.text.count("transport request from origin 'http://evil.test:8000'") == 5
    # the session is untouched; the good page's requests still work, with and without Origin
    path = f"/socket.io/1/xhr-polling/{sid}"
    first = request(guarded.port, "GET", path, headers={"Origin": GOOD})
    assert first.status == 200 and first.text.startswith("\ufffd3\ufffd1::")
    assert first.headers["access-control-allow-origin"] == GOOD
    assert request(guarded.port, "POST", path, b'5:::{"name":"echo","args":[1]}',
                   headers={"Origin": GOOD}).headers["x-xss-protection"] == "0"
    assert request(guarded.port, "GET", path).text == '5:::{"name":"echo","args":[1]}'


def test_websocket_upgrade_from_a_refused_origin_is_403(guarded, caplog):
    sid = _handshake_as(guarded.port, GOOD)
    bad = RawWebSocket(guarded.port, f"/socket.io/1/websocket/{sid}", headers={"Origin": BAD})
    try:
        assert bad.status == 403
    finally:
        bad.close()
    # the node client's scheme-less Origin on an allowed port
    good = RawWebSocket(guarded.port, f"/socket.io/1/websocket/{sid}",
                        headers={"Origin": "127.0.0.1:9"})
    try:
        assert good.status == 101
        assert good.recv_text() == "1::"
    finally:
        good.close()


def test_preflight_is_answered_for_allowed_origins(guarded):
    sid = _handshake_as(guarded.port, GOOD)
    for path in ("/socket.io/1/", f"/socket.io/1/xhr-polling/{sid}"):
        response = request(guarded.port, "OPTIONS", path, headers={
            "Origin": GOOD, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with"})
        assert response.status == 200
        assert response.body == b""
        assert response.headers["access-control-allow-origin"] == GOOD
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
        assert response.headers["access-control-allow-headers"] == "content-type, x-requested-with"
        assert response.headers["access-control-max-age"] == "7200"


def test_preflight_without_requested_headers_and_without_origin(guarded):
    response = request(guarded.port, "OPTIONS", "/socket.io/1/", headers={"Origin": GOOD})
    assert response.status == 200
    assert "access-control-allow-headers" not in response.headers
    plain = request(guarded.port, "OPTIONS", "/socket.io/1/")
    assert plain.status == 200
    assert plain.headers["allow"] == "GET, POST, OPTIONS"
    assert "access-control-allow-origin" not in plain.headers


def test_preflight_from_a_refused_origin_is_403(guarded, caplog):
    response = request(guarded.port, "OPTIONS", "/socket.io/1/", headers={
        "Origin": BAD, "Access-Control-Request-Method": "POST"})
    assert response.status == 403
    assert "access-control-allow-origin" not in response.headers
    assert "refused by the origins option" in caplog.text


def test_preflight_with_malformed_requested_headers_is_400(guarded, caplog):
    response = request(guarded.port, "OPTIONS", "/socket.io/1/", headers={
        "Origin": GOOD, "Access-Control-Request-Headers": "content-type, <bad>"})
    assert response.status == 400
    assert b"Access-Control-Request-Headers" in response.body
    assert "Access-Control-Request-Headers" in caplog.text


def test_default_origins_allow_everyone_with_cors(live):
    response = request(live.port, "OPTIONS", "/socket.io/1/",
                       headers={"Origin": "http://any.example:8123"})
    assert response.headers["access-control-allow-origin"] == "http://any.example:8123"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert handshake(live.port)  # no Origin at all


def test_node_client_without_an_origin_is_refused(guarded):
    """The 0.9.16 node client sends no Origin on its handshake, so a server with an
    origin allow-list refuses it (as the reference does); it reports the error."""
    node = NodeDriver(ROOT)
    try:
        sock = NodeSocket(node, "refused", guarded.url, "xhr-polling")
        sock.connect(wait=False)
        report = sock.wait_report("error")
        assert "refused by the origins option" in str(report.get("reason"))
        assert not guarded.manager.sessions
    finally:
        node.close()
