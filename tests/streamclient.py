"""A raw client for streaming HTTP responses (htmlfile, xhr-multipart), chunk by chunk.

It writes the GET as bytes, reads the head, then hands out each HTTP chunk as it
arrives, so tests see exactly what a browser would get and when.
"""

from __future__ import annotations

import json
import re
import socket
import struct

from .rawclient import _read_exact, _read_head, parse_head

_SCRIPT = re.compile(r'<script>_\(("(?:[^"\\]|\\.)*")\);</script>', re.S)


class StreamingResponse:
    """One streaming GET; :meth:`next_chunk` returns the body one HTTP chunk at a time."""

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None,
                 timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.raw_head = _read_head(self.sock, self.buf)
        self.status, _, self.headers = parse_head(self.raw_head)
        self.ended = False

    def next_chunk(self) -> bytes:
        """The next chunk's data; b"" for the last chunk (the response ended)."""
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"connection closed inside the chunked body: {self.buf!r}")
            self.buf += data
        end = self.buf.index(b"\r\n")
        size = int(bytes(self.buf[:end]), 16)
        del self.buf[:end + 2]
        data = _read_exact(self.sock, size + 2, self.buf)
        assert data[-2:] == b"\r\n", data
        if size == 0:
            self.ended = True
        return data[:-2]

    def chunks_until(self, predicate, limit: int = 200) -> list[bytes]:
        """Read chunks until one satisfies ``predicate``; all of them, that one last.

        Fails if the response ends (or ``limit`` chunks pass) before a chunk matches.
        """
        seen = []
        for _ in range(limit):
            chunk = self.next_chunk()
            seen.append(chunk)
            if predicate(chunk):
                return seen
            if self.ended:
                raise AssertionError(f"the response ended before a matching chunk: {seen[-5:]!r}")
        raise AssertionError(f"no matching chunk in {seen[-5:]!r}")

    def at_eof(self) -> bool:
        """True when the server has closed the connection (nothing more to read)."""
        return not self.buf and self.sock.recv(1) == b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def drop(self) -> None:
        """Vanish with a TCP reset, as a crashed browser or a cut network does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()


def htmlfile_packet(chunk: bytes) -> str:
    """The packet one htmlfile ``<script>`` chunk carries, checking the chunk is one
    whole script whose argument is a single JSON string literal with nothing that could
    end the script or the string early."""
    text = chunk.decode("utf-8")
    match = _SCRIPT.fullmatch(text)
    assert match, text
    literal = match.group(1)
    assert "</" not in literal and "<" not in literal, literal
    assert "\u2028" not in literal and "\u2029" not in literal, literal
    assert "\n" not in literal and "\r" not in literal, literal
    return json.loads(literal)


def multipart_parts(body: str) -> list[str]:
    """The payloads of an xhr-multipart body text (prelude + parts, maybe the end)."""
    assert body.startswith("--socketio\r\n"), body[:50]
    rest = body[len("--socketio\r\n"):]
    payloads = []
    while rest and not rest.startswith("\r\n--socketio--"):
        head, sep, rest = rest.partition("\r\n\r\n")
        assert sep and head == "Content-Type: application/json; charset=UTF-8", head
        literal, sep, rest = rest.partition("\r\n--socketio\r\n")
        assert sep, rest
        assert "\n" not in literal and "\r" not in literal
        payloads.append(json.loads(literal))
    return payloads
