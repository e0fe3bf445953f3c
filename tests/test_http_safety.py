"""What every answer carries, whatever the request (security review findings 5 and 12):
no body for HEAD, ``X-Content-Type-Options: nosniff``, no markup echoed into an error
body, and no ``null`` or ``*`` Origin echoed with credentials."""

from __future__ import annotations

import socket

import pytest

from geventsio.http.responses import safe_text

from .conftest import describe_greenlets, greenlets_since, greenlets_snapshot, wait_until
from .rawclient import _read_head, head_then_get, parse_head, request
from .test_bad_input import PollingClient


@pytest.fixture
def app_server(make_server):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/streamed":  # no length: gevent would chunk it
            start_response("200 OK", [("Content-Type", "text/plain")])
            return iter([b"part one, ", b"part two"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the app's body"]

    return make_server(app)


@pytest.mark.parametrize("path, head_status, get_status", [
    ("/socket.io/socket.io.js", 200, 200),      # a client file
    ("/socket.io/", 200, 200),                  # the welcome
    ("/socket.io/1/", 405, 200),                # the handshake takes GET and POST only
    ("/socket.io/1/xhr-polling/nosuch", 405, 200),
    ("/socket.io/2/", 400, 400),                # another protocol version
    ("/socket.io/nosuch.js", 404, 404),
    ("/outside", 200, 200),                     # the wrapped WSGI app
    ("/streamed", 200, 200),                    # the wrapped app, chunked for a GET
])
def test_head_answers_carry_no_body(app_server, path, head_status, get_status):
    (status, headers), follow = head_then_get(app_server.port, path)
    assert (status, follow.status) == (head_status, get_status)
    assert follow.body  # the GET does get one
    if status == get_status and "content-length" in headers:
        assert int(headers["content-length"]) == len(follow.body)  # what a GET would get


def test_head_of_a_refused_header_block_has_no_body(live):
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(b"HEAD /socket.io/1/ HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert body == b""


def test_get_after_a_head_of_the_client_file_is_whole(live):
    (status, headers), follow = head_then_get(live.port, "/socket.io/socket.io.js",
                                               "Accept-Encoding: gzip\r\n")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(follow.body)


# -- nosniff on every answer ---------------------------------------------------------------
def _answers(port: int) -> dict[str, object]:
    client = PollingClient(port)
    sid = client.sid
    return {
        "handshake": request(port, "GET", "/socket.io/1/?t=1"),
        "jsonp handshake": request(port, "GET", "/socket.io/1/?t=1&jsonp=0"),
        "poll": request(port, "GET", client.path),
        "post": client.post(b"3:::hi"),
        "jsonp poll": request(port, "GET", f"/socket.io/1/jsonp-polling/{sid}?i=0"),
        "client file": request(port, "GET", "/socket.io/socket.io.js"),
        "welcome": request(port, "GET", "/socket.io/"),
        "preflight": request(port, "OPTIONS", "/socket.io/1/",
                             headers={"Origin": "http://a.example"}),
        "405": request(port, "PUT", "/socket.io/1/", b"x"),
        "400 unknown transport": request(port, "GET", f"/socket.io/1/nosuch/{sid}"),
        "400 framing": request(port, "GET", "/", raw=b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
        "431": request(port, "GET", "/", raw=b"GET / HTTP/1.1\r\nX: " + b"v" * 17000 + b"\r\n\r\n"),
        "414": request(port, "GET", "/", raw=b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n"),
        "unknown sid": request(port, "GET", "/socket.io/1/xhr-polling/nosuch"),
        "400 broken chunk": request(port, "POST", client.path, raw=(
            f"POST {client.path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            "\r\nzz\r\n3:::\r\n0\r\n\r\n").encode()),
        "500 from the app": request(port, "GET", "/raises"),
    }


def test_every_answer_says_nosniff(live):
    def app(environ, start_response):
        raise RuntimeError("the app fails")

    live.server.application = app
    answers = _answers(live.port)
    for name, answer in answers.items():
        assert answer.headers.get("x-content-type-options") == "nosniff", (name, answer)
    assert answers["400 framing"].status == 400
    assert answers["431"].status == 431
    assert answers["414"].status == 414
    assert answers["400 broken chunk"].status == 400
    assert answers["500 from the app"].status == 500


def test_a_streaming_answer_says_nosniff(live):
    sid = request(live.port, "GET", "/socket.io/1/?t=1").text.split(":")[0]
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(f"GET /socket.io/1/htmlfile/{sid} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        status, _, headers = parse_head(_read_head(sock, bytearray()))
    assert status == 200
    assert headers["x-content-type-options"] == "nosniff"


# -- no markup echoed ----------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/socket.io/1/1</script>/abc",                       # unknown transport
    "/socket.io/1/?t=1&jsonp=1</script>",                # jsonp index that is not digits
    "/socket.io/2/1</script>",                          # another protocol version
    "/socket.io/1/1%3C/script%3E/abc",                   # the same, percent-encoded
])
def test_error_bodies_do_not_echo_markup(live, caplog, path):
    answer = request(live.port, "GET", path)
    assert b"<" not in answer.body and b">" not in answer.body
    assert all("<" not in r.getMessage() for r in caplog.records)


def test_refusals_before_routing_do_not_echo_markup(live):
    raw = b"GET / HTTP/1.1\r\nContent-Length: 1</script>\r\n\r\n"
    answer = request(live.port, "GET", "/", raw=raw)
    assert answer.status == 400
    assert b"Content-Length" in answer.body and b"<" not in answer.body


def test_safe_text_escapes_markup_and_control_characters():
    assert safe_text("plain words: 'ok' \"ok\"") == "plain words: 'ok' \"ok\""
    assert safe_text("1</script>&") == "1\\x3c/script\\x3e&"
    assert safe_text("a\r\nb\u2028\x00\U0001f600") == "a\\x0d\\x0ab\\u2028\\x00\\U0001f600"


# -- CORS with the default origins ---------------------------------------------------------
@pytest.mark.parametrize("origin", ["null", "*", "http://*", "not an origin",
                                    "http://a.example/path"])
def test_opaque_or_wildcard_origins_are_never_echoed(live, origin):
    for method, path in (("GET", "/socket.io/1/?t=1"), ("OPTIONS", "/socket.io/1/")):
        answer = request(live.port, method, path, headers={"Origin": origin})
        assert answer.status == 200
        assert "access-control-allow-origin" not in answer.headers, (method, answer.headers)
        assert "access-control-allow-credentials" not in answer.headers


def test_a_web_origin_is_still_echoed_with_credentials(live):
    client = PollingClient(live.port)
    answer = client.post(b"3:::hi", headers={"Origin": "https://app.example:8443"})
    assert answer.headers["access-control-allow-origin"] == "https://app.example:8443"
    assert answer.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("version, status", [
    ("HTTP/1.1", 200), ("HTTP/1.0", 200), ("HTTP/1.01", 200),  # gevent reads (1, 1)
    ("HTTP/2.0", 400), ("HTTP/1.x", 400), ("HTTX/1.1", 400), ("HTTP/0.8", 400),
])
def test_request_versions_are_checked_as_gevent_checks_them(live, version, status):
    before = greenlets_snapshot()
    raw = f"GET /socket.io/1/?t=1 {version}\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert request(live.port, "GET", "/", raw=raw.encode("latin-1")).status == status
    # the connection's greenlet (lingering after a refusal) ends: none outlives the test
    wait_until(lambda: not greenlets_since(before), timeout=15,
               describe=lambda: describe_greenlets(greenlets_since(before)))
