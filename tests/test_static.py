"""The browser client files: content types, ETag and 304, gzip, cache headers, HEAD."""

from __future__ import annotations

import gzip
import os
import socket

import pytest

from geventsio.http.static import ClientFile, accepts_gzip, etag_matches

from .conftest import ROOT
from .rawclient import _read_head, parse_head, request

DIST = os.path.join(ROOT, "node_modules", "socket.io-client", "dist")


def _disk(name: str) -> bytes:
    with open(os.path.join(DIST, name), "rb") as fh:
        return fh.read()


@pytest.mark.parametrize("value, expected", [
    ("gzip, deflate, br, zstd", True),
    ("GZIP", True),
    ("deflate", False),
    ("gzip;q=0", False),
    ("gzip; q=0.5", True),
    ("*", True),
    ("*;q=0", False),
    ("gzip;q=0, *", False),
    ("identity", False),
    ("gzip;q=x", False),
    ("", False),
    (None, False),
])
def test_accepts_gzip(value, expected):
    assert accepts_gzip(value) is expected


def test_etag_matching():
    assert etag_matches('"abc"', '"abc"')
    assert etag_matches('W/"abc"', '"abc"')
    assert etag_matches('"x", "abc"', '"abc"')
    assert etag_matches("*", '"abc"')
    assert not etag_matches('"abcd"', '"abc"')
    assert not etag_matches(None, '"abc"')


def test_client_file_is_compressed_once():
    found = ClientFile(b"x" * 1000, "application/javascript")
    assert found.gzipped is found.gzipped
    assert gzip.decompress(found.gzipped) == b"x" * 1000
    assert found.gzip_etag != found.etag and found.etag.startswith('"')


@pytest.mark.parametrize("path, name, content_type", [
    ("/socket.io/socket.io.js", "socket.io.js", "application/javascript"),
    ("/socket.io/socket.io.min.js", "socket.io.min.js", "application/javascript"),
    ("/socket.io/WebSocketMain.swf", "WebSocketMain.swf", "application/x-shockwave-flash"),
    ("/socket.io/static/flashsocket/WebSocketMainInsecure.swf", "WebSocketMainInsecure.swf",
     "application/x-shockwave-flash"),
])
def test_client_files_are_served_whole_and_cacheable(live, path, name, content_type):
    response = request(live.port, "GET", path)
    assert response.status == 200
    assert response.headers["content-type"] == content_type
    assert response.body == _disk(name)
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in response.headers
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")


def test_gzip_when_accepted(live):
    plain = request(live.port, "GET", "/socket.io/socket.io.js")
    zipped = request(live.port, "GET", "/socket.io/socket.io.js",
                     headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) == len(zipped.body) < len(plain.body) // 3
    assert gzip.decompress(zipped.body) == plain.body
    assert zipped.headers["etag"] != plain.headers["etag"]
    refused = request(live.port, "GET", "/socket.io/socket.io.js",
                      headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def _head_only(port: int, headers: dict[str, str], method: str = "GET",
               name: str = "socket.io.js") -> tuple[int, dict[str, str], bytes]:
    """Request a client file; its head, and whatever else arrives until the server
    closes (nothing for a 304 or a HEAD)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        lines = [f"{method} /socket.io/{name} HTTP/1.1", "Host: x", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        buf = bytearray()
        status, _, parsed = parse_head(_read_head(sock, buf))
        rest = bytes(buf)
        while True:
            data = sock.recv(65536)
            if not data:
                return status, parsed, rest
            rest += data


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_if_none_match_gets_304(live, encoding):
    first = request(live.port, "GET", "/socket.io/socket.io.js",
                    headers={"Accept-Encoding": encoding})
    etag = first.headers["etag"]
    status, headers, rest = _head_only(live.port, {"If-None-Match": etag,
                                                   "Accept-Encoding": encoding})
    assert status == 304
    assert rest == b""
    assert headers["etag"] == etag
    assert "content-length" not in headers
    assert headers["cache-control"] == "public, max-age=3600"
    status, _, rest = _head_only(live.port, {"If-None-Match": '"stale"',
                                             "Accept-Encoding": encoding})
    assert status == 200 and rest


def test_head_has_the_headers_and_no_body(live):
    status, headers, rest = _head_only(live.port, {}, "HEAD", "socket.io.min.js")
    assert status == 200
    assert rest == b""
    assert int(headers["content-length"]) == len(_disk("socket.io.min.js"))
    assert headers["etag"]


def test_missing_swf_is_404_with_the_install_hint(make_server, tmp_path):
    (tmp_path / "socket.io.js").write_bytes(b"// a client")
    live = make_server(client_dir=str(tmp_path))
    assert request(live.port, "GET", "/socket.io/socket.io.js").body == b"// a client"
    response = request(live.port, "GET", "/socket.io/WebSocketMain.swf")
    assert response.status == 404
    assert b"npm install socket.io-client@0.9.16" in response.body
