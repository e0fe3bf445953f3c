"""The browser client files, served from the npm-installed ``socket.io-client``.

The client is never vendored: ``npm install socket.io-client@0.9.16`` puts it in
``node_modules/socket.io-client/dist``, which is looked up next to the current directory
and next to this package (or wherever ``client_dir=`` points).
"""

from __future__ import annotations

import os
from typing import ClassVar

from .config import ServerConfig

__all__ = ["ClientFiles"]

_CONTENT_TYPES = {
    "socket.io.js": "application/javascript",
    "socket.io.min.js": "application/javascript",
    "WebSocketMain.swf": "application/x-shockwave-flash",
    "WebSocketMainInsecure.swf": "application/x-shockwave-flash",
}
_DIST = os.path.join("node_modules", "socket.io-client", "dist")


class ClientFiles:
    """Reads (once) and hands out the client files of one directory."""

    MISSING_HINT: ClassVar[str] = (
        "The Socket.IO browser client is not installed. Run "
        "`npm install socket.io-client@0.9.16` in the directory the server starts from, "
        "or pass client_dir= to SocketIOServer.\n"
    )

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._cache: dict[str, tuple[bytes, str]] = {}

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

    def get(self, name: str) -> tuple[bytes, str] | None:
        """(content, content type) of a client file, or None when it is not installed."""
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
        self._cache[name] = (content, _CONTENT_TYPES[name])
        return self._cache[name]
