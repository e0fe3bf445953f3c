"""Byte-level HTTP and websocket clients for tests that check exact wire behaviour.

Nothing here is clever: a request is written as bytes and the answer read back whole,
so tests can assert status lines, headers and bodies exactly, and send input no real
client would send (malformed packets, oversize bodies, bad frames).
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import struct
from dataclasses import dataclass, field
from urllib.parse import quote

from geventsio.protocol import decode_payload, json_dumps


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    raw_head: bytes = field(repr=False, default=b"")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def _read_exact(sock: socket.socket, n: int, buf: bytearray) -> bytes:
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    out = bytes(buf[:n])
    del buf[:n]
    return out


def _read_head(sock: socket.socket, buf: bytearray) -> bytes:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before the end of the head: {bytes(buf)!r}")
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    del buf[:end]
    return head


def parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    _, status, reason = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(status), reason, headers


def read_response(sock: socket.socket, buf: bytearray | None = None) -> Response:
    """Read one HTTP response (Content-Length or chunked) from ``sock``."""
    buf = bytearray() if buf is None else buf
    head = _read_head(sock, buf)
    status, reason, headers = parse_head(head)
    if "content-length" in headers:
        body = _read_exact(sock, int(headers["content-length"]), buf)
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf += sock.recv(65536)
            line_end = buf.index(b"\r\n")
            size = int(bytes(buf[:line_end]), 16)
            del buf[: line_end + 2]
            chunk = _read_exact(sock, size + 2, buf)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = bytes(buf)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return Response(status, reason, headers, body, head)


def request(port: int, method: str, path: str, body: bytes = b"",
            headers: dict[str, str] | None = None, timeout: float = 10.0,
            raw: bytes | None = None) -> Response:
    """One HTTP/1.1 request on a new connection; returns the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        if raw is None:
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
            for name, value in (headers or {}).items():
                lines.append(f"{name}: {value}")
            if body or method == "POST":
                lines.append(f"Content-Length: {len(body)}")
            raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        sock.sendall(raw)
        return read_response(sock)


def open_websocket(port: int) -> tuple[str, "RawWebSocket"]:
    """Handshake, upgrade, and read the ``1::``: (sid, connected websocket)."""
    sid = handshake(port)
    ws = RawWebSocket(port, f"/socket.io/1/websocket/{sid}")
    first = ws.recv_text()
    assert first == "1::", first
    return sid, ws


def handshake(port: int, resource: str = "socket.io") -> str:
    """Handshake and return the new sid."""
    response = request(port, "GET", f"/{resource}/1/?t=1")
    assert response.status == 200, response
    return response.text.split(":")[0]


def masked_tail(payload: bytes) -> bytes:
    """A random mask and ``payload`` masked with it (what follows a client frame's head)."""
    mask = os.urandom(4)
    return mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def masked_frame(text: str) -> bytes:
    """One masked client text frame of ``text`` (shorter than 126 bytes)."""
    payload = text.encode("utf-8")
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + masked_tail(payload)


class RawWebSocket:
    """A minimal RFC 6455 client: masked text frames out, frames in."""

    def __init__(self, port: int, path: str, timeout: float = 10.0,
                 headers: dict[str, str] | None = None, early: bytes = b"") -> None:
        """Upgrade ``path``; ``early`` (frames, see :func:`masked_frame`) goes out in the
        same write as the request, as a client that does not wait for the 101 would."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + early)
        self.status, _, self.headers = parse_head(_read_head(self.sock, self.buf))

    def send_frame(self, payload: bytes, opcode: int = 1, length: int | None = None,
                   fin: bool = True) -> None:
        """Send one masked frame; ``length`` may lie about the payload size."""
        size = len(payload) if length is None else length
        head = bytearray([(0x80 if fin else 0) | opcode])
        if size < 126:
            head.append(0x80 | size)
        elif size < 1 << 16:
            head.append(0x80 | 126)
            head += struct.pack("!H", size)
        else:
            head.append(0x80 | 127)
            head += struct.pack("!Q", size)
        self.sock.sendall(bytes(head) + masked_tail(payload))

    def send_text(self, text: str) -> None:
        self.send_frame(text.encode("utf-8"))

    def recv_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame; raises ConnectionError at EOF."""
        first, second = _read_exact(self.sock, 2, self.buf)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", _read_exact(self.sock, 2, self.buf))[0]
        elif size == 127:
            size = struct.unpack("!Q", _read_exact(self.sock, 8, self.buf))[0]
        return first & 0x0F, _read_exact(self.sock, size, self.buf)

    def recv_text(self) -> str:
        """The next text frame's packet, skipping nothing; fails on any other opcode."""
        opcode, payload = self.recv_frame()
        assert opcode == 1, (opcode, payload)
        return payload.decode("utf-8")

    def recv_until(self, predicate, limit: int = 100) -> str:
        """Read text frames until one satisfies ``predicate``; returns it."""
        for _ in range(limit):
            text = self.recv_text()
            if predicate(text):
                return text
        raise AssertionError("no matching frame")

    def recv_close_code(self) -> int | None:
        """Skip frames up to the peer's close frame; its status code (None if it has none)."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode == 8:
                return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# -- jsonp-polling ----------------------------------------------------------------------

JSONP_BODY = re.compile(r'io\.j\[(\d+)\]\(("(?:[^"\\\n\r\u2028\u2029]|\\.)*")\);', re.S)


def jsonp_payload(body: str, index: int) -> str:
    """The payload of a jsonp answer, checking it is one call with one string literal."""
    match = JSONP_BODY.fullmatch(body)
    assert match, body
    assert int(match.group(1)) == index
    return json.loads(match.group(2))


def form_body(payload: str) -> bytes:
    return b"d=" + quote(json_dumps(payload), safe="").encode("ascii")


class JsonpClient:
    """A raw jsonp-polling client: script GETs and form POSTs."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sid = handshake(port)
        self.path = f"/socket.io/1/jsonp-polling/{self.sid}"
        self.index = 0

    def poll(self) -> list[str]:
        response = request(self.port, "GET", f"{self.path}?t=1&i={self.index}")
        assert response.status == 200, response
        assert response.headers["content-type"] == "text/javascript; charset=UTF-8"
        assert response.headers["x-xss-protection"] == "0"
        packets = decode_payload(jsonp_payload(response.text, self.index))
        self.index += 1
        return packets

    def post(self, payload: str):
        return request(self.port, "POST", f"{self.path}?t=1&i={self.index}", form_body(payload),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


class XhrClient:
    """A raw xhr-polling client with the same calls as :class:`JsonpClient`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sid = handshake(port)
        self.path = f"/socket.io/1/xhr-polling/{self.sid}"

    def poll(self) -> list[str]:
        response = request(self.port, "GET", f"{self.path}?t=1")
        assert response.status == 200, response
        return decode_payload(response.text)

    def post(self, payload: str):
        return request(self.port, "POST", f"{self.path}?t=1", payload.encode("utf-8"))


def head_then_get(port: int, path: str, extra: str = "") -> tuple[tuple, object]:
    """A HEAD and then a GET of ``path`` on one kept-alive connection: the HEAD answer's
    (status, headers) and the GET's whole response. A HEAD answer with a body would
    leave that body in front of the GET's answer, and the second parse would fail."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: a\r\n{extra}\r\n".encode())
        buf = bytearray()
        status, _, headers = parse_head(_read_head(sock, buf))
        assert buf == b"", bytes(buf)  # nothing after the head so far
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\n{extra}\r\n".encode())
        follow = read_response(sock, buf)
    return (status, headers), follow
