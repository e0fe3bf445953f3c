"""Request headers read without the ``email`` package.

gevent's ``WSGIHandler.read_request`` builds ``self.headers`` with
``http.client.parse_headers``, which runs the email package's feed parser: about a third
of the server's CPU per xhr-polling round trip (benchmarks/FINDINGS.md). Socket.IO
requests carry a handful of plain headers, so :class:`RequestHeaders` reads the lines
itself, with the same limits as ``http.client`` (line length, header count), and offers
exactly what gevent's handler, gunicorn's access log and our handler use.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

__all__ = ["RequestHeaders", "MAX_LINE", "MAX_HEADERS"]

#: As http.client: the longest header line, and the most header lines, accepted.
MAX_LINE = 65536
MAX_HEADERS = 100


class RequestHeaders:
    """The header lines of one request, looked up case-insensitively.

    The first value of a repeated header wins (as ``email.message.Message.get``); the
    lines are what gevent turns into the environ. A folded line (obs-fold) is joined to
    the one before with a space, as RFC 9112 allows, so no value holds a line break that
    could reach a response header (``Origin`` is echoed by CORS answers); a bare CR or a
    NUL makes the block malformed.
    ``status`` is non-empty for a malformed header block, which gevent answers with 400.
    """

    __slots__ = ("lines", "status", "_index")

    def __init__(self, lines: list[str], status: str = "") -> None:
        self.lines = lines
        self.status = status
        self._index: dict[str, str] | None = None

    @classmethod
    def read(cls, rfile: BinaryIO) -> "RequestHeaders":
        """Read header lines from ``rfile`` up to the blank line that ends them."""
        lines: list[str] = []
        while True:
            line = rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                return cls([], "Line too long")
            if line in (b"\r\n", b"\n", b""):
                return cls(lines)
            if len(lines) >= MAX_HEADERS:
                return cls([], f"got more than {MAX_HEADERS} headers")
            text = line.decode("latin-1").rstrip("\r\n")
            if "\r" in text or "\x00" in text:
                return cls([], "Invalid header line")  # a bare CR would split it later
            if text[:1] in (" ", "\t"):  # obs-fold: joined to the previous line by a space
                if not lines:
                    return cls([], "Invalid header line")
                lines[-1] = lines[-1].rstrip() + " " + text.strip()
                continue
            if ":" not in text:
                return cls([], "Invalid header line")
            lines.append(text)

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for line in self.lines:
                name, _, value = line.partition(":")
                index.setdefault(name.strip().lower(), value.strip())
            self._index = index
        return index

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of header ``name`` (any case), or ``default``."""
        return self._lookup().get(name.lower(), default)

    getheader = get

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __delitem__(self, name: str) -> None:
        """Drop every line of header ``name`` (gevent drops Content-Length when the body
        is chunked); raises KeyError when there is none, as ``Message`` does not but
        gevent expects."""
        lowered = name.lower()
        if lowered not in self._lookup():
            raise KeyError(name)
        self.lines = [line for line in self.lines
                      if line.partition(":")[0].strip().lower() != lowered]
        self._index = None

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
        return list(self._lookup().items())
