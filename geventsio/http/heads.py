"""The fixed parts of HTTP answers: status lines, the date, error text, whole writes.

Everything here is computed once where it can be (a status's first lines once per
status, the date once per second) because every response of every polling request
needs it.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any

from gevent.pywsgi import format_date_time

__all__ = ["TEXT", "NOSNIFF", "OK", "NOT_MODIFIED", "http_date", "safe_text", "refusal",
           "send_whole", "status_parts", "head_start"]

TEXT = "text/plain; charset=UTF-8"
NOSNIFF = ("X-Content-Type-Options", "nosniff")
#: The statuses of most answers, as module globals: reading ``HTTPStatus.OK`` goes
#: through the enum's class descriptor on every answer.
OK = HTTPStatus.OK
NOT_MODIFIED = HTTPStatus.NOT_MODIFIED


def send_whole(sock: Any, data: bytes) -> None:
    """Write all of ``data`` to the gevent socket ``sock``: one ``send`` when the socket
    takes it all, as it does for an answer that fits its buffer (gevent's ``sendall``
    first asks the socket for its buffer size, a system call per answer), else
    ``sendall`` for the rest, which waits while the peer is not reading."""
    sent = sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


_date_cache: list[Any] = [0, ""]  # [whole second, its HTTP date]


#: status -> (status line, as bytes, code, the head's first two lines): every answer's.
_STATUS_PARTS: dict[HTTPStatus, tuple[str, bytes, int, str]] = {}


def status_parts(status: HTTPStatus) -> tuple[str, bytes, int, str]:
    """The parts of a head that depend on its status alone, formatted once per status."""
    parts = _STATUS_PARTS.get(status)
    if parts is None:
        line = f"{status.value} {status.phrase}"
        parts = _STATUS_PARTS[status] = (
            line, line.encode("latin-1"), status.value,
            f"HTTP/1.1 {line}\r\n{NOSNIFF[0]}: {NOSNIFF[1]}\r\n")
    return parts


#: (status, content type, headers, close) -> the head up to ``Content-Length: ``.
_STARTS: dict[tuple[Any, ...], str] = {}
_STARTS_KEPT = 256


def head_start(status: HTTPStatus, content_type: str | None,
               headers: tuple[tuple[str, str], ...], close: bool) -> str:
    """An answer's head up to ``Content-Length: `` (its value and the date follow):
    status, nosniff, ``Content-Type``, ``headers``, ``Connection``. Formatted once per
    combination (bounded: emptied when full), as most answers are one of a few."""
    key = (status, content_type, headers, close)
    start = _STARTS.get(key)
    if start is None:
        lines = [("Content-Type", content_type)] if content_type else []
        lines += headers
        lines.append(("Connection", "close" if close else "Keep-Alive"))
        start = status_parts(status)[3] + "".join(
            [f"{name}: {value}\r\n" for name, value in lines]) + "Content-Length: "
        if len(_STARTS) >= _STARTS_KEPT:
            _STARTS.clear()
        _STARTS[key] = start
    return start


def http_date() -> str:
    """The current time as an HTTP date, formatted once per second (every response and
    handshake asks for it)."""
    now = int(time.time())
    if _date_cache[0] != now:
        value = format_date_time(now)
        _date_cache[1] = value.decode("latin-1") if isinstance(value, bytes) else value
        _date_cache[0] = now
    return _date_cache[1]


_UNSAFE = str.maketrans({"<": "\\x3c", ">": "\\x3e"})


def safe_text(message: str) -> str:
    """``message`` as printable ASCII without ``<`` or ``>``: those and every other
    character are written as ``\\xNN``/``\\uNNNN`` escapes, so an error body or log line
    quoting the request never carries markup or a line break."""
    if message.isascii() and message.isprintable():
        return message.translate(_UNSAFE)
    return "".join(_escape(char) for char in message).translate(_UNSAFE)


def _escape(char: str) -> str:
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return char
    return f"\\x{code:02x}" if code < 0x100 else (
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def refusal(status: HTTPStatus, message: str, head_only: bool = False) -> bytes:
    """A whole ``Connection: close`` answer for a request refused before it was routed."""
    body = (safe_text(message) + "\n").encode("ascii")
    head = (f"HTTP/1.1 {status.value} {status.phrase}\r\n{NOSNIFF[0]}: {NOSNIFF[1]}\r\n"
            f"Content-Type: {TEXT}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            f"Date: {http_date()}\r\n\r\n").encode("ascii")
    return head if head_only else head + body
