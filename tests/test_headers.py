"""Request headers read without the email package agree with gevent's own parser, and a
malformed header block gets 400 from a live server."""

from __future__ import annotations

import io

import pytest
from gevent.pywsgi import WSGIHandler, headers_factory

from geventsio.http.headers import MAX_HEADER_BYTES, MAX_HEADERS, RequestHeaders

from .rawclient import request

BLOCKS = [
    b"Host: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n",
    b"host: a\r\nX-Dup: one\r\nx-dup: two\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
    b"Host: a\r\nX-Folded: first\r\n  second part\r\nX-After: yes\r\n\r\n",
    b"Host: a\r\nX-Spaces:   padded value  \r\nX-Empty:\r\n\r\n",
    b"Host: a\r\nX-Latin: caf\xe9\r\n\r\n",
    b"Host: a\n\n",                                   # bare LF line ends
]


@pytest.mark.parametrize("block", BLOCKS)
def test_agrees_with_the_email_parser(block):
    ours = RequestHeaders.read(io.BytesIO(block))
    theirs = headers_factory(io.BytesIO(block))
    assert ours.status == theirs.status == ""
    for name in ("host", "Content-Type", "content-length", "X-Dup", "x-after", "x-spaces",
                 "x-empty", "x-latin", "missing"):
        assert ours.get(name) == (theirs.get(name).strip() if theirs.get(name) is not None
                                  else None), name
        assert (name in ours) == (name in theirs)
    assert ours.typeheader == theirs.typeheader
    # gevent builds the environ from the raw lines: the same variables, the same values
    # (a folded value's line break becomes spaces either way)
    assert _environ_pairs(ours) == _environ_pairs(theirs)


def _environ_pairs(headers) -> list[tuple[str, str]]:
    class Holder:
        pass

    holder = Holder()
    holder.headers = headers
    return [(key, " ".join(value.split())) for key, value in WSGIHandler._headers(holder)]


def test_folded_lines_reach_the_environ_joined(live):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    live.server.application = app
    answer = request(live.port, "GET", "/outside", headers={"X-Folded": "first\r\n  second",
                                                             "X-Dup": "one"})
    assert answer.status == 200
    assert seen["HTTP_X_FOLDED"] == "first second"  # unfolded: no line break survives
    assert seen["HTTP_X_DUP"] == "one"


def test_a_folded_origin_cannot_put_a_line_break_in_the_cors_answer(live):
    raw = (b"GET /socket.io/1/?t=1 HTTP/1.1\r\nHost: a\r\nOrigin: http://a.example\r\n"
           b" X-Injected: 1\r\nConnection: close\r\n\r\n")
    answer = request(live.port, "GET", "/", raw=raw)
    assert answer.status == 200
    # unfolded to "http://a.example X-Injected: 1", which is no origin: never echoed
    assert "access-control-allow-origin" not in answer.headers
    assert b"X-Injected" not in answer.raw_head


def test_delete_drops_every_line_of_a_header():
    headers = RequestHeaders.read(io.BytesIO(
        b"Content-Length: 3\r\nX-A: 1\r\ncontent-length: 4\r\n  folded\r\n\r\n"))
    del headers["Content-Length"]
    assert headers.get("content-length") is None
    assert list(headers.headers) == ["X-A: 1\r\n"]
    with pytest.raises(KeyError):
        del headers["content-length"]


@pytest.mark.parametrize("raw, reason", [
    (b"GET /socket.io/1/ HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", "Invalid header"),
    (b"GET /socket.io/1/ HTTP/1.1\r\n folded first\r\nHost: a\r\n\r\n", "Invalid header"),
    (b"GET /socket.io/1/ HTTP/1.1\r\nOrigin: http://a\rX-Injected: 1\r\n\r\n", "bare CR"),
    (b"GET /socket.io/1/ HTTP/1.1\r\nX-Nul: a\x00b\r\n\r\n", "NUL"),
])
def test_malformed_header_blocks_get_400(live, caplog, raw, reason):
    answer = request(live.port, "GET", "/", raw=raw)
    assert answer.status == 400
    assert len(live.manager.sessions) == 0
    assert request(live.port, "GET", "/socket.io/1/?t=1").status == 200  # still serving



def test_the_byte_limit_counts_every_line_and_the_blank_line():
    block = b"Host: a\r\nX-Pad: " + b"p" * 100 + b"\r\n\r\n"
    assert RequestHeaders.read(io.BytesIO(block), max_bytes=len(block)).status == ""
    refused = RequestHeaders.read(io.BytesIO(block), max_bytes=len(block) - 1)
    assert refused.code == 431 and "larger than" in refused.status


def test_the_line_limit_is_exact():
    block = b"".join(b"X-%d: v\r\n" % i for i in range(5)) + b"\r\n"
    assert RequestHeaders.read(io.BytesIO(block), max_count=5).status == ""
    assert RequestHeaders.read(io.BytesIO(block), max_count=4).code == 431


@pytest.mark.parametrize("block, problem", [
    (b"Content-Length: 12\r\n\r\n", ""),
    (b"Transfer-Encoding: chunked\r\n\r\n", ""),
    (b"Content-Length: 1\r\ncontent-length: 1\r\n\r\n", "repeated"),
    (b"Content-Length: 1\xb2\r\n\r\n", "invalid"),  # "1²": str.isdigit() alone says yes
    (b"Content-Length: " + b"9" * 19 + b"\r\n\r\n", "invalid"),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", "together"),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "unsupported"),
    # any case, and after other headers: the fast path (no framing header) must see them
    (b"Host: x\r\nCONTENT-LENGTH: 1\r\ncontent-length: 2\r\n\r\n", "repeated"),
    (b"Host: x\r\ntRaNsFeR-eNcOdInG: gzip\r\n\r\n", "unsupported"),
    (b"Host: x\r\nContent_Length: 5\r\n\r\n", "stands for"),
    (b"Host: x\r\nX-Content-Length: 5\r\nX_Other: 1\r\n\r\n", ""),
    (b"Content-Length: 1\r\n 2\r\n\r\n", "invalid"),  # a fold changes the value read
])
def test_framing_problems(block, problem):
    headers = RequestHeaders.read(io.BytesIO(block))
    found = headers.framing_problem("HTTP/1.1")
    assert (problem in found) if problem else found == ""


@pytest.mark.parametrize("block", [
    b"\r\n", b"Host: x\r\n\r\n", b"Host: x\r\nX: a\x00b\r\n\r\n", b"Host: x\r\nX: a\rb\r\n\r\n",
    b"Host: x\r\nX: a\nb\r\n\r\n", b"Host: x\nX: y\n\n", b"Host: x\r\r\nX: y\r\n\r\n",
    b"Host: x\r\nX: a\r\n b\r\n\r\n", b"Host: x\r\nX: a\r\n\tb\r\n\r\n", b" Host: x\r\n\r\n",
    b"Host : x\r\n\r\n", b"Host\r\n\r\n", b"H\xe9: x\r\n\r\n", b"Host: \xe9\xff\r\n\r\n",
    b"Host: x\r\n", b"Host: x", b"",
    b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS)) + b"\r\n",
    b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n",
    b"X: " + b"v" * (MAX_HEADER_BYTES - 7) + b"\r\n\r\n",  # exactly the limit
    b"X: " + b"v" * (MAX_HEADER_BYTES - 6) + b"\r\n\r\n",  # one byte over
])
def test_a_buffered_block_reads_as_line_by_line(block):
    """Taken whole from a buffered reader or line by line: one result, one position."""
    stream = io.BytesIO(block + b"GET")
    by_lines = RequestHeaders.read(stream)
    buffered = io.BufferedReader(io.BytesIO(block + b"GET"), 1 << 16)
    whole = RequestHeaders.read(buffered)
    assert (whole.lines, whole.status, whole.code) == (by_lines.lines, by_lines.status,
                                                       by_lines.code)
    assert whole.items() == by_lines.items()
    if not whole.status:
        assert buffered.read() == stream.read()
