"""A prototype for handler.py: parse request headers without ``email.feedparser``.

gevent's ``read_request`` builds ``self.headers`` with ``http.client.parse_headers``,
which runs the email package's feed parser: about a third of the server's CPU for
xhr-polling (see benchmarks/FINDINGS.md). :class:`LeanHeaders` reads the header lines
itself and offers exactly what gevent's ``WSGIHandler`` and gevent-websocket use of the
header object. The bench app serves with it when ``BENCH_LEAN_HEADERS=1`` (the
"geventsio + lean headers" column), so the gain is measured before anyone moves it into
``geventsio/handler.py`` (``SocketIOHandler.MessageClass``).
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

from geventsio.handler import SocketIOHandler

#: As http.client: longest header line, most header lines.
MAX_LINE = 65536
MAX_HEADERS = 100


class LeanHeaders:
    """The header lines of one request, looked up case-insensitively (first value wins,
    as ``email.message.Message.get``)."""

    __slots__ = ("lines", "status", "_index")

    def __init__(self, lines: list[str], status: str = "") -> None:
        self.lines = lines  # "Name: value" (continuation lines kept as sent)
        self.status = status  # non-empty: gevent answers 400 with it
        self._index: dict[str, str] | None = None

    @classmethod
    def read(cls, rfile: BinaryIO) -> "LeanHeaders":
        """Read header lines up to the blank one from ``rfile``."""
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
            if ":" not in text and text[:1] not in (" ", "\t"):
                return cls([], "Invalid header line")
            lines.append(text)

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for line in self.lines:
                if line[:1] in (" ", "\t"):
                    continue  # a folded continuation: only the raw lines carry it
                name, _, value = line.partition(":")
                index.setdefault(name.strip().lower(), value.strip())
            self._index = index
        return index

    def get(self, name: str, default: Any = None) -> Any:
        return self._lookup().get(name.lower(), default)

    getheader = get

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._lookup()

    def __delitem__(self, name: str) -> None:
        lowered = name.lower()
        self.lines = [line for line in self.lines
                      if line.partition(":")[0].strip().lower() != lowered]
        self._index = None

    @property
    def headers(self) -> Iterator[str]:
        """The lines as gevent's ``_headers`` reads them."""
        for line in self.lines:
            yield line + "\r\n"

    @property
    def typeheader(self) -> str | None:
        return self.get("content-type")

    def items(self) -> list[tuple[str, str]]:
        return list(self._lookup().items())


class LeanHeadersHandler(SocketIOHandler):
    """SocketIOHandler with :class:`LeanHeaders` as gevent's ``MessageClass``."""

    def MessageClass(self, fp: BinaryIO, *args: Any) -> LeanHeaders:  # noqa: N802 (gevent's name)
        return LeanHeaders.read(fp)
