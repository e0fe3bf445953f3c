"""Request headers read without the ``email`` package, and refused when they are unsafe.

gevent's ``WSGIHandler.read_request`` builds ``self.headers`` with
``http.client.parse_headers``, which runs the email package's feed parser: about a third
of the server's CPU per xhr-polling round trip (benchmarks/FINDINGS.md). Socket.IO
requests carry a handful of plain headers, so :class:`RequestHeaders` reads the lines
itself and offers exactly what gevent's handler, gunicorn's access log and our handler use.

It is also the one place that decides whether a header block is acceptable, so that no
two parsers (ours, gevent's environ builder, a proxy in front) can read one request two
ways (request smuggling). A block is refused when

* it is larger than ``max_bytes`` in total or has more than ``max_count`` lines
  (``431 Request Header Fields Too Large``);
* a line is not ``name: value`` with a token for a name: whitespace before the colon,
  a bare CR or a NUL (``400``);
* its framing is ambiguous (:meth:`RequestHeaders.framing_problem`, ``400``): a repeated
  or non-digit ``Content-Length``, ``Content-Length`` together with ``Transfer-Encoding``,
  or any ``Transfer-Encoding`` but a single ``chunked`` on HTTP/1.1, or either spelt
  with ``_`` (which gevent ignores and some proxies read as ``-``).

gevent's ``read_request`` then takes ``Content-Length`` and ``Transfer-Encoding`` from
this object, and its environ builder from the same lines, so it cannot disagree with us.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, BinaryIO, Iterator

from ..core.config import MAX_HEADER_BYTES, MAX_HEADERS

__all__ = ["RequestHeaders", "MAX_HEADER_BYTES", "MAX_HEADERS"]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FRAMING = ("content-length", "transfer-encoding")
#: Headers that are no ``HTTP_*`` key of the environ (``CONTENT_TYPE``, ``CONTENT_LENGTH``).
_NOT_HTTP_NAMES = ("content-type", "content-length")
#: Digits of a Content-Length we read (a larger body is refused long before).
_MAX_LENGTH_DIGITS = 18


class RequestHeaders:
    """The header lines of one request, looked up case-insensitively.

    The first value of a repeated header wins (as ``email.message.Message.get``); the
    lines are what gevent turns into the environ. A folded line (obs-fold) is joined to
    the one before with a space, as RFC 9112 allows, so no value holds a line break that
    could reach a response header (``Origin`` is echoed by CORS answers).
    ``status`` is non-empty for a refused header block, and ``code`` is then the HTTP
    status to answer with (400 or 431).
    """

    __slots__ = ("lines", "status", "code", "_index", "_framing")

    def __init__(self, lines: list[str], status: str = "",
                 code: HTTPStatus = HTTPStatus.BAD_REQUEST,
                 index: "dict[str, str] | None" = None,
                 framing: "list[tuple[str, str]] | None" = None) -> None:
        self.lines = lines
        self.status = status
        self.code = code
        if index is None or framing is None:
            index, framing = _index_of(lines)
        #: lower-case name -> first value (gevent asks ~8 times per request).
        self._index = index
        #: (lower-case name, value) of the lines :meth:`framing_problem` looks at: the
        #: framing headers and any name with ``_``. Empty for most requests.
        self._framing = framing

    @classmethod
    def read(cls, rfile: BinaryIO, max_bytes: int = MAX_HEADER_BYTES,
             max_count: int = MAX_HEADERS) -> "RequestHeaders":
        """Read header lines from ``rfile`` up to the blank line that ends them, reading
        at most ``max_bytes`` (+1 to see that the block is too large).

        A buffered reader usually holds the whole block already: a plain one (CRLF line
        ends, no folds, nothing to refuse) is then taken in one piece
        (:meth:`_read_whole`); any other block is read line by line, which decides.
        """
        peek = getattr(rfile, "peek", None)
        if peek is not None:
            whole = cls._read_whole(rfile, peek(max_bytes), max_bytes, max_count)
            if whole is not None:
                return whole
        return cls._read_lines(rfile, max_bytes, max_count)

    @classmethod
    def _read_whole(cls, rfile: BinaryIO, buffered: bytes, max_bytes: int,
                    max_count: int) -> "RequestHeaders | None":
        """The block at the start of ``buffered``, consumed from ``rfile``, if it is one
        that reading line by line would accept as it is; None (nothing consumed) for
        any other, and when the block is not all buffered yet."""
        if buffered[:2] == b"\r\n":
            rfile.read(2)
            return cls([], index={}, framing=[])
        end = buffered.find(b"\r\n\r\n")
        if end < 0 or end + 4 > max_bytes:
            return None
        headers = cls.plain_block(buffered[:end], max_count)
        if headers is not None:
            rfile.read(end + 4)
        return headers

    @classmethod
    def plain_block(cls, block: bytes, max_count: int) -> "RequestHeaders | None":
        """The headers of ``block`` (the lines before the blank one, without its CRLF)
        if reading it line by line would accept it as it is: CRLF line ends only, no
        fold, no NUL, fewer than ``max_count`` lines, every name a token. None for
        any other block, which only the line-by-line reader may judge."""
        if not block:
            return cls([], index={}, framing=[])
        breaks = block.count(b"\r\n")
        # Bytes looked for by their value (13, 10, 0): ``b"\x00" in block`` costs 8x more.
        if (breaks >= max_count or block.count(13) != breaks or block.count(10) != breaks
                or 0 in block):
            return None  # bare CR or LF, NUL, too many lines: line by line
        return cls.plain_lines(block.decode("latin-1").split("\r\n"))

    @classmethod
    def plain_lines(cls, lines: list[str]) -> "RequestHeaders | None":
        """The headers of ``lines``, which hold no CR, LF or NUL, if each is
        ``name: value`` with a token for a name; None otherwise. A folded line starts
        with a space or tab, so its "name" is no token: it is refused here, and then
        read (joined) line by line."""
        index: dict[str, str] = {}
        framing: list[tuple[str, str]] = []
        for text in lines:
            name, colon, value = text.partition(":")
            if not colon:
                return None
            known = _NAMES.get(name) or _checked_name(name)
            if known is None:
                return None
            lowered, frames = known
            value = value.strip()
            if lowered not in index:
                index[lowered] = value
            if frames:
                framing.append((lowered, value))
        return cls(lines, index=index, framing=framing)

    @classmethod
    def _read_lines(cls, rfile: BinaryIO, max_bytes: int,
                    max_count: int) -> "RequestHeaders":
        """Read the block line by line (any block: this is where refusals are made)."""
        lines: list[str] = []
        index: dict[str, str] | None = {}  # None once a fold changed a value
        framing: list[tuple[str, str]] = []
        budget = max_bytes
        while True:
            line = rfile.readline(budget + 1)
            budget -= len(line)
            if budget < 0:
                return cls.too_large(f"header block larger than {max_bytes} bytes")
            if line in (b"\r\n", b"\n", b""):
                return cls(lines, index=index, framing=framing)
            if len(lines) >= max_count:
                return cls.too_large(f"got more than {max_count} headers")
            text = line.decode("latin-1").rstrip("\r\n")
            if "\r" in text or "\x00" in text:
                return cls([], "Invalid header line")  # a bare CR would split it later
            if text[:1] in (" ", "\t"):  # obs-fold: joined to the previous line by a space
                if not lines:
                    return cls([], "Invalid header line")
                lines[-1] = lines[-1].rstrip() + " " + text.strip()
                index = None  # indexed again from the joined lines
                continue
            name, colon, value = text.partition(":")
            if not colon or _TOKEN.fullmatch(name) is None:
                # whitespace before the colon included: some parsers strip it, some don't
                return cls([], f"Invalid header name {name[:40]!r}")
            lines.append(text)
            if index is not None:
                _index_line(index, framing, name.lower(), value)

    @classmethod
    def too_large(cls, status: str) -> "RequestHeaders":
        """A refused block answered with 431."""
        return cls([], status, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    def framing_problem(self, version: str) -> str:
        """Why the body's length would be ambiguous (``''`` when it is not).

        RFC 9112 section 6: a request carries either one ``Content-Length`` of digits, or
        (HTTP/1.1 only) ``Transfer-Encoding: chunked``, the only coding read here.
        """
        framing = self._framing
        if not framing:
            return ""
        if len(framing) == 1 and framing[0][0] == "content-length":  # the usual POST
            value = framing[0][1]
            if value.isascii() and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS:
                return ""
        for name, _ in framing:
            if "_" in name and name.replace("_", "-") in _FRAMING:
                # gevent leaves it out of the environ; a proxy may read it as the real one
                return f"header {name!r} stands for {name.replace('_', '-')!r}"
        lengths = [value for name, value in framing if name == "content-length"]
        encodings = [value for name, value in framing if name == "transfer-encoding"]
        if encodings:
            if lengths:
                return "Content-Length together with Transfer-Encoding"
            if version != "HTTP/1.1":
                return f"Transfer-Encoding in an {version} request"
            if len(encodings) > 1 or encodings[0].lower() != "chunked":
                return f"unsupported Transfer-Encoding {', '.join(encodings)[:60]!r}"
            return ""
        if len(lengths) > 1:
            return "repeated Content-Length"
        if lengths:
            value = lengths[0]
            if not (value.isascii() and value.isdigit()) or len(value) > _MAX_LENGTH_DIGITS:
                return f"invalid Content-Length {value[:20]!r}"
        return ""

    def asks_upgrade(self) -> bool:
        """Whether the request asks to switch protocols: gevent's
        ``_connection_upgrade_requested`` (``Connection: upgrade`` or
        ``Upgrade: websocket``, any case), without its two lookups by name."""
        index = self._index
        connection = index.get("connection")
        if connection is not None and connection.lower() == "upgrade":
            return True
        upgrade = index.get("upgrade")
        return upgrade is not None and upgrade.lower() == "websocket"

    def joined(self, lowered: str) -> str | None:
        """What the environ's ``HTTP_<NAME>`` key holds for header ``lowered`` (a
        lower-case name without ``_``): its value, the values of a repeated header
        joined with ``,`` (``; `` for names with "cookie"), None when absent."""
        index = self._index
        value = index.get(lowered)
        if value is None or len(index) == len(self.lines):  # no name is repeated
            return value
        values = [text.partition(":")[2].strip() for text in self.lines
                  if text.partition(":")[0].lower() == lowered]
        return ("; " if "cookie" in lowered else ",").join(values)

    def environ_names(self) -> dict[str, str] | None:
        """What the environ's ``HTTP_*`` keys would hold, by lower-case header name
        (``user-agent``), when no name is repeated (else None: values would be joined,
        see :meth:`joined`): every header but Content-Type, Content-Length and names
        with ``_``, which gevent leaves out of the ``HTTP_*`` keys."""
        index = self._index
        if len(index) != len(self.lines):
            return None
        return {name: value for name, value in index.items()
                if "_" not in name and name not in _NOT_HTTP_NAMES}

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of header ``name`` (any case), or ``default``."""
        return self._index.get(name.lower(), default)

    getheader = get

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __delitem__(self, name: str) -> None:
        """Drop every line of header ``name`` (gevent drops Content-Length when the body
        is chunked); raises KeyError when there is none, as ``Message`` does not but
        gevent expects."""
        lowered = name.lower()
        if lowered not in self._index:
            raise KeyError(name)
        self.lines = [line for line in self.lines
                      if line.partition(":")[0].lower() != lowered]
        self._index, self._framing = _index_of(self.lines)

    @property
    def headers(self) -> Iterator[str]:
        """The lines as gevent's ``_headers`` reads them (``Name: value\\r\\n``)."""
        for line in self.lines:
            yield line + "\r\n"

    @property
    def typeheader(self) -> str | None:
        """The Content-Type value (gevent's name)."""
        return self.get("content-type")

    def items(self) -> list[tuple[str, str]]:
        """(lower-case name, first value) pairs (gunicorn's access log reads them)."""
        return list(self._index.items())


#: Header names seen in plain blocks: name -> (lower-case name, whether framing_problem
#: looks at it). Emptied when full, so bounded whatever the names.
_NAMES: dict[str, tuple[str, bool]] = {}
_NAMES_KEPT = 512


def _checked_name(name: str) -> tuple[str, bool] | None:
    """``name``'s entry for :data:`_NAMES` (remembered), or None if it is not a token."""
    if _TOKEN.fullmatch(name) is None:
        return None
    lowered = name.lower()
    entry = (lowered, lowered in _FRAMING or "_" in lowered)
    if len(_NAMES) >= _NAMES_KEPT:
        _NAMES.clear()
    _NAMES[name] = entry
    return entry


def _index_line(index: dict[str, str], framing: list[tuple[str, str]], lowered: str,
                value: str) -> None:
    """Add one header line (its lower-case name and raw value) to the lookups."""
    value = value.strip()
    index.setdefault(lowered, value)
    if lowered in _FRAMING or "_" in lowered:
        framing.append((lowered, value))


def _index_of(lines: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The lookups of whole header lines (after a fold or a deletion)."""
    index: dict[str, str] = {}
    framing: list[tuple[str, str]] = []
    for line in lines:
        name, _, value = line.partition(":")
        _index_line(index, framing, name.lower(), value)
    return index, framing
