"""The browser client files, served from the npm-installed ``socket.io-client``.

The client is never vendored: ``npm install socket.io-client@0.9.16`` puts it in
``node_modules/socket.io-client/dist``, which is looked up next to the current directory
and next to this package (or wherever ``client_dir=`` points).

Each file is read once and kept with a strong ETag (a hash of its bytes) and, the first
time a client accepts gzip, its gzip-compressed form (with an ETag of its own, as it is
another representation). :func:`accepts_gzip` and :func:`etag_matches` read the request
headers that choose between them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from typing import ClassVar

from ..core.config import ServerConfig

__all__ = ["ClientFiles", "ClientFile", "accepts_gzip", "etag_matches", "CACHE_CONTROL"]

#: Browsers may reuse a client file for an hour, then revalidate it with its ETag.
CACHE_CONTROL = "public, max-age=3600"

_CONTENT_TYPES = {
    "socket.io.js": "application/javascript",
    "socket.io.min.js": "application/javascript",
    "WebSocketMain.swf": "application/x-shockwave-flash",
    "WebSocketMainInsecure.swf": "application/x-shockwave-flash",
}
_DIST = os.path.join("node_modules", "socket.io-client", "dist")


class ClientFile:
    """One client file: its bytes, content type, ETag, and gzip form (made on demand)."""

    __slots__ = ("content", "content_type", "etag", "_gzipped")

    def __init__(self, content: bytes, content_type: str) -> None:
        self.content = content
        self.content_type = content_type
        self.etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        self._gzipped: bytes | None = None

    def representation(self, accept_encoding: str | None) -> tuple[bytes, list[tuple[str, str]]]:
        """The body to send and its headers (ETag, caching, encoding), gzip if accepted."""
        headers = [("Cache-Control", CACHE_CONTROL), ("Vary", "Accept-Encoding")]
        if accepts_gzip(accept_encoding):
            headers += [("Content-Encoding", "gzip"), ("ETag", self.gzip_etag)]
            return self.gzipped, headers
        headers.append(("ETag", self.etag))
        return self.content, headers

    @property
    def gzip_etag(self) -> str:
        """The ETag of the gzip form (the plain one with ``-gz``)."""
        return self.etag[:-1] + '-gz"'

    @property
    def gzipped(self) -> bytes:
        """The content gzip-compressed: computed on first use, then kept."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.content, compresslevel=9, mtime=0)
        return self._gzipped


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``gzip`` or ``*`` with q > 0)."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        weight = 1.0
        params = params.strip().replace(" ", "")
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        weights[name.strip().lower()] = weight
    if "gzip" in weights:
        return weights["gzip"] > 0
    return weights.get("*", 0.0) > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (weak comparison, ``*`` = any)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class ClientFiles:
    """Reads (once) and hands out the client files of one directory."""

    MISSING_HINT: ClassVar[str] = (
        "The Socket.IO browser client is not installed. Run "
        "`npm install socket.io-client@0.9.16` in the directory the server starts from, "
        "or pass client_dir= to SocketIOServer.\n"
    )

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._cache: dict[str, ClientFile] = {}

    @classmethod
    def for_config(cls, config: ServerConfig) -> "ClientFiles":
        """The client files of ``config.client_dir``, or of the first node_modules found."""
        return cls(config.client_dir or cls.search())

    @staticmethod
    def search() -> str | None:
        """The first ``node_modules/socket.io-client/dist`` in the cwd or beside the package."""
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for base in (os.getcwd(), here):
            candidate = os.path.join(base, _DIST)
            if os.path.isdir(candidate):
                return candidate
        return None

    def get(self, name: str) -> ClientFile | None:
        """A client file, or None when it is not installed."""
        if name not in _CONTENT_TYPES or self.directory is None:
            return None
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        try:
            with open(os.path.join(self.directory, name), "rb") as fh:
                content = fh.read()
        except OSError:
            return None
        found = self._cache[name] = ClientFile(content, _CONTENT_TYPES[name])
        return found
