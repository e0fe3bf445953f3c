"""Which web origins may talk to the server: the ``origins`` allow-list, without I/O.

The syntax is the reference server's: ``host:port`` patterns, where ``*`` stands for any
host or any port, given as one string separated by spaces (or commas) or as a list.
``'*:*'`` (the default) allows everyone. A request's origin is its ``Origin`` header, or
its ``Referer`` when it has none (a ``<script>`` or ``<iframe>`` request sends no
``Origin``). ``http://example.com`` has port 80, ``https://example.com`` port 443; an
origin without a scheme (``127.0.0.1:8080``, as the node client's websocket sends it) is
read as ``host:port``, port 80 when missing.

Unlike the reference, which looks patterns up as substrings of the option string, a
pattern here matches only a whole ``host:port``, hosts compare case-insensitively, and an
https origin without a port is on 443 (the reference assumes 80 for every scheme).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from ..exceptions import ConfigurationError

__all__ = ["ANY", "OriginAllowList", "format_pattern", "parse_origin", "request_origin"]

#: The wildcard, for a host or a port.
ANY = "*"

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_SEPARATORS = re.compile(r"[\s,]+")
_HOST = re.compile(r"[a-z0-9._~!$&'()+;=%-]+|\[[0-9a-f:.]+\]")


def parse_origin(value: str | None) -> tuple[str, int] | None:
    """Return ``(host, port)`` of an ``Origin`` or ``Referer`` value, or None.

    None stands for "no usable origin": missing, empty, ``null`` (an opaque origin such
    as a sandboxed frame or a ``file:`` page), or text that is not a URL with a host.
    The host comes back lower-case, without the brackets of an IPv6 address.
    """
    if not value or value.strip().lower() == "null":
        return None
    text = value.strip()
    scheme = ""
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
    else:
        text = "//" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not host:
        return None
    return host, port if port is not None else _DEFAULT_PORTS.get(scheme, 80)


def request_origin(environ: dict[str, object]) -> str | None:
    """The origin a WSGI request claims: its ``Origin``, else its ``Referer``, else None."""
    value = environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER")
    return value if isinstance(value, str) and value else None


class OriginAllowList:
    """A parsed ``origins`` option: answers whether an origin may connect."""

    __slots__ = ("patterns", "allows_all")

    def __init__(self, origins: str | Sequence[str] = "*:*") -> None:
        """Parse ``origins``; raises ConfigurationError for a malformed pattern."""
        items = _split(origins)
        if not items:
            raise ConfigurationError("origins must name at least one 'host:port' pattern")
        #: The patterns, in the order given: (host or ANY, port or ANY).
        self.patterns: tuple[tuple[str, int | str], ...] = tuple(_parse_pattern(i) for i in items)
        #: True when ``*:*`` is among them: every origin (and none at all) is allowed.
        self.allows_all = (ANY, ANY) in self.patterns

    def __repr__(self) -> str:
        return f"OriginAllowList({' '.join(format_pattern(p) for p in self.patterns)!r})"

    def allows(self, origin: str | None) -> bool:
        """Whether a request claiming ``origin`` (an Origin/Referer value) may proceed.

        With ``*:*`` everything is allowed, a missing origin included; otherwise an origin
        that is missing or cannot be parsed is refused.
        """
        if self.allows_all:
            return True
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        host, port = parsed
        patterns = self.patterns
        return (host, port) in patterns or (host, ANY) in patterns or (ANY, port) in patterns


def format_pattern(pattern: tuple[str, int | str]) -> str:
    """A parsed pattern written back as ``host:port`` (IPv6 hosts in brackets)."""
    host, port = pattern
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _split(origins: str | Sequence[str]) -> list[str]:
    if isinstance(origins, str):
        origins = [origins]
    items: list[str] = []
    for entry in origins:
        if not isinstance(entry, str):
            raise ConfigurationError(f"origins must be strings, got {entry!r}")
        items.extend(part for part in _SEPARATORS.split(entry) if part)
    return items


def _parse_pattern(item: str) -> tuple[str, int | str]:
    """``'host:port'`` -> (host, port); either may be ``*``."""
    host, colon, port = item.lower().rpartition(":")
    if not colon or not host or not port:
        raise ConfigurationError(
            f"origin patterns are 'host:port' (either may be '*'), got {item!r}; "
            "write 'example.com:*' for any port")
    if host != ANY:
        if _HOST.fullmatch(host) is None:
            raise ConfigurationError(f"invalid host in origin pattern {item!r} "
                                     "('*' stands only for a whole host)")
        host = host.strip("[]")
    if port == ANY:
        return host, ANY
    if not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise ConfigurationError(f"invalid port in origin pattern {item!r}")
    return host, int(port)
