"""Request framing that two parsers could read two ways is refused (400, then close),
and header blocks are bounded (431): finding 2 and 4 of the security review.

Each smuggling vector is a POST whose body holds a complete "next request" to the
wrapped WSGI application. A server that reads the framing one way while a proxy reads it
another would run that request; here the whole connection gets one 400 and ends, and the
application never sees the smuggled path. The controls show the detector works: the
same next request, sent as an honest pipelined request, does run.
"""

from __future__ import annotations

import socket
import sys

import pytest

from geventsio.http.headers import MAX_HEADER_BYTES, MAX_HEADERS

from .rawclient import read_response, request

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.fixture
def seen(live):
    """Paths the wrapped WSGI application was called for."""
    paths: list[str] = []

    def app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app"]

    live.server.application = app
    return paths


def _exchange(port: int, raw: bytes) -> list:
    """Send ``raw`` on one connection; every response until the server closes it.

    At most 512 KiB is sent: a server that refuses a header block stops reading soon
    after, and a client still sending then would get a reset instead of the answer.
    """
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw[:512 * 1024])
        buf = bytearray()
        while True:
            try:
                answers.append(read_response(sock, buf))
            except ConnectionError:
                break
            if answers[-1].headers.get("connection", "").lower() == "close":
                break
        rest = bytes(buf)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    assert rest == b"", rest  # nothing after the last answer: no second response
    return answers


def _post(headers: str, body: bytes, version: str = "HTTP/1.1") -> bytes:
    return (f"POST /socket.io/1/ {version}\r\nHost: a\r\n{headers}\r\n").encode() + body


CHUNKED_SMUGGLE = b"0\r\n\r\n" + SMUGGLED

VECTORS = {
    "two TE lines and CL": _post(
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"
        f"Content-Length: {len(CHUNKED_SMUGGLE)}\r\n", CHUNKED_SMUGGLE),
    "space before the colon of TE, with CL": _post(
        f"Transfer-Encoding : chunked\r\nContent-Length: {len(CHUNKED_SMUGGLE)}\r\n",
        CHUNKED_SMUGGLE),
    "space before the colon of CL": _post(
        f"Content-Length : {len(SMUGGLED) + 3}\r\n", b"abc" + SMUGGLED),
    "tab before the colon of CL": _post(
        f"Content-Length\t: {len(SMUGGLED) + 3}\r\n", b"abc" + SMUGGLED),
    "differing CLs": _post(
        f"Content-Length: 3\r\nContent-Length: {len(SMUGGLED) + 3}\r\n", b"abc" + SMUGGLED),
    "repeated equal CLs": _post(
        "Content-Length: 3\r\nContent-Length: 3\r\n", b"abc" + SMUGGLED),
    "CL as a list": _post("Content-Length: 3, 3\r\n", b"abc" + SMUGGLED),
    "CL with a plus sign": _post("Content-Length: +3\r\n", b"abc" + SMUGGLED),
    "CL with an underscore": _post("Content-Length: 1_0\r\n", b"abcdefghij" + SMUGGLED),
    "CL with TE chunked": _post(
        f"Content-Length: {len(CHUNKED_SMUGGLE)}\r\nTransfer-Encoding: chunked\r\n",
        CHUNKED_SMUGGLE),
    "TE identity": _post("Transfer-Encoding: identity\r\n", CHUNKED_SMUGGLE),
    "TE gzip, chunked": _post("Transfer-Encoding: gzip, chunked\r\n", CHUNKED_SMUGGLE),
    "TE chunked twice in one line": _post("Transfer-Encoding: chunked, chunked\r\n",
                                          CHUNKED_SMUGGLE),
    "TE on HTTP/1.0": _post("Transfer-Encoding: chunked\r\n", CHUNKED_SMUGGLE, "HTTP/1.0"),
    "CL spelt with an underscore": _post(
        f"Content_Length: {len(SMUGGLED) + 3}\r\n", b"abc" + SMUGGLED),
    "TE spelt with an underscore": _post("Transfer_Encoding: chunked\r\n", CHUNKED_SMUGGLE),
    "TE folded onto another line": _post(
        "X-A: 1\r\nTransfer-Encoding: chunked\r\n identity\r\n", CHUNKED_SMUGGLE),
}


@pytest.mark.parametrize("raw", list(VECTORS.values()), ids=list(VECTORS))
def test_ambiguous_framing_is_refused_and_the_smuggled_request_never_runs(
        live, seen, caplog, raw):
    answers = _exchange(live.port, raw)
    assert [a.status for a in answers] == [400]
    answer = answers[0]
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert b"<" not in answer.body
    assert seen == []  # neither the smuggled request nor anything else reached the app
    assert len(live.manager.sessions) == 0  # the POST itself did not run either
    assert any("400 Bad Request from" in r.getMessage() for r in caplog.records)
    assert request(live.port, "GET", "/socket.io/1/?t=1").status == 200  # still serving


@pytest.mark.parametrize("framing, body", [
    ("Content-Length: 3\r\n", b"abc"),
    ("Transfer-Encoding: chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
    ("Transfer-Encoding: Chunked\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
])
def test_control_honest_framing_then_a_pipelined_request_runs(live, seen, framing, body):
    raw = _post(framing, body) + SMUGGLED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    answers = _exchange(live.port, raw)
    assert [a.status for a in answers] == [200, 200]
    assert seen == ["/smuggled"]  # the detector above would have seen it


def test_chunked_post_body_is_read_by_the_polling_transport(live):
    from .test_bad_input import PollingClient

    client = PollingClient(live.port)
    body = b'5:::{"name":"echo","args":["chunked"]}'
    raw = (f"POST {client.path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
           f"Connection: close\r\n\r\n{len(body):x}\r\n").encode() + body + b"\r\n0\r\n\r\n"
    assert request(live.port, "POST", client.path, raw=raw).body == b"1"
    assert client.poll() == ['5:::{"name":"echo","args":["chunked"]}']


# -- header limits (431) -------------------------------------------------------------------
def _get_with_headers(headers: list[tuple[str, str]], path: str = "/socket.io/1/?t=1") -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"GET {path} HTTP/1.1\r\nHost: a\r\n{lines}\r\n".encode("latin-1")


@pytest.mark.parametrize("headers", [
    [(f"X-Big-{i}", "v" * 60_000) for i in range(97)],      # the review's probe
    [("Cookie", "c" * MAX_HEADER_BYTES)],                    # one line over the total
    [(f"X-{i}", "v" * 200) for i in range(MAX_HEADER_BYTES // 200)],  # many lines add up
])
def test_oversize_header_blocks_get_431_and_no_session(live, caplog, headers):
    answers = _exchange(live.port, _get_with_headers(headers))
    assert [a.status for a in answers] == [431]
    assert answers[0].reason == "Request Header Fields Too Large"
    assert answers[0].headers["connection"] == "close"
    assert len(live.manager.sessions) == 0
    assert any("431" in r.getMessage() for r in caplog.records)


def test_too_many_header_lines_get_431(live):
    headers = [(f"X-{i}", "v") for i in range(MAX_HEADERS)]  # with Host: one too many
    assert [a.status for a in _exchange(live.port, _get_with_headers(headers))] == [431]
    headers = [(f"X-{i}", "v") for i in range(MAX_HEADERS - 1)]  # with Host: exactly at it
    assert request(live.port, "GET", "/", raw=_get_with_headers(headers)).status == 200


def test_header_limits_are_server_options(make_server):
    small = make_server(max_header_bytes=1024, max_headers=5)
    headers = [("X-Pad", "p" * 1100)]
    assert _exchange(small.port, _get_with_headers(headers))[0].status == 431
    assert _exchange(small.port, _get_with_headers([(f"X-{i}", "v") for i in range(5)])
                     )[0].status == 431  # six with Host
    roomy = make_server()
    assert request(roomy.port, "GET", "/", raw=_get_with_headers(
        headers + [("Connection", "close")])).status == 200


def _deep_size(obj, seen=None) -> int:
    """Bytes held by ``obj`` and everything it refers to (dicts, lists, strings)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set)):
        size += sum(_deep_size(item, seen) for item in obj)
    return size


def test_thirty_handshakes_with_large_headers_hold_little(make_server):
    """The review's probe cost 5.9 MB per session; the cap bounds it by the header block."""
    live = make_server()  # the default close timeout: no session is reaped meanwhile
    probe = [(f"X-Big-{i}", "v" * 60_000) for i in range(97)]
    near_cap = [(f"X-Pad-{i}", "p" * 150) for i in range(90)]  # ~14.6 KB, under 16 KiB
    for _ in range(30):
        assert _exchange(live.port, _get_with_headers(probe))[0].status == 431
        answer = request(live.port, "GET", "/", raw=_get_with_headers(
            near_cap + [("Connection", "close")]))
        assert answer.status == 200
    sessions = list(live.manager.sessions.values())
    assert len(sessions) == 30
    for session in sessions:
        assert set(session.handshake) == {"headers", "address", "time", "issued", "query",
                                          "url", "xdomain", "secure"}
        assert len(session.handshake["headers"]) == 92  # the pads, host, connection
        # the header text is at most the cap; Python's per-string overhead comes on top
        assert _deep_size(session.handshake) < 3 * MAX_HEADER_BYTES
    held = sum(_deep_size(s.handshake) for s in sessions)
    assert held < 30 * 3 * MAX_HEADER_BYTES  # ~1.4 MB, not the 177 MB of the review
