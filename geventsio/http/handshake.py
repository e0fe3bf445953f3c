"""The handshake request's data, and the ``authorization`` check that may refuse it.

``GET /<resource>/1/`` creates a session; the handler answers it
(``sid:heartbeat:close:transports``, see :mod:`geventsio.protocol.handshake`). What the
application sees of that request, as ``self.handshake`` in every namespace and as the
argument of ``authorization``, is built here.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .responses import http_date

__all__ = ["handshake_data", "environ_headers", "authorized"]

#: The handler's logger: refused handshakes are the handler's to report.
log = logging.getLogger("geventsio.handler")


def handshake_data(headers: dict[str, str], client_address: Any, query: dict[str, str],
                   url: str, secure: bool) -> dict[str, Any]:
    """The handshake data of a request from ``client_address``: its headers (lower-case
    names, as :func:`environ_headers`), address, time, query, url (path and query
    string), xdomain and secure."""
    address = client_address
    host, port = (address[0], address[1]) if isinstance(address, tuple) else (address, 0)
    return {
        "headers": headers,
        "address": {"address": host, "port": port},
        "time": http_date(),
        "issued": int(time.time() * 1000),
        "query": query,
        "url": url,
        "xdomain": "origin" in headers,
        "secure": secure,
    }


def environ_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request headers of ``environ`` (its ``HTTP_*`` keys) by lower-case name."""
    names = _HEADER_NAMES
    return {names.get(key) or _header_name(key): value
            for key, value in environ.items() if key[:5] == "HTTP_"}


#: ``HTTP_USER_AGENT`` -> ``user-agent``: clients send the same few headers every time.
_HEADER_NAMES: dict[str, str] = {}


def _header_name(key: str) -> str:
    """The lower-case header name of the environ key ``HTTP_<NAME>`` (remembered: the
    keys come from clients, so at most 256 of them)."""
    name = key[5:].replace("_", "-").lower()
    if len(_HEADER_NAMES) < 256:
        _HEADER_NAMES[key] = name
    return name


def authorized(authorization: Any, handshake: dict[str, Any]) -> bool:
    """What ``authorization(handshake)`` says; an exception refuses (and is logged)."""
    try:
        return bool(authorization(handshake))
    except Exception:
        log.exception("the authorization callable raised; refusing the handshake")
        return False
