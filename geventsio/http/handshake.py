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

__all__ = ["handshake_data", "authorized"]

#: The handler's logger: refused handshakes are the handler's to report.
log = logging.getLogger("geventsio.handler")


def handshake_data(environ: dict[str, Any], client_address: Any,
                   query: dict[str, str]) -> dict[str, Any]:
    """The handshake data of the request ``environ`` from ``client_address``: headers
    (lower-case names), address, time, query, url, xdomain and secure."""
    names = _HEADER_NAMES
    headers = {names.get(key) or _header_name(key): value
               for key, value in environ.items() if key[:5] == "HTTP_"}
    address = client_address
    host, port = (address[0], address[1]) if isinstance(address, tuple) else (address, 0)
    url = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    return {
        "headers": headers,
        "address": {"address": host, "port": port},
        "time": http_date(),
        "issued": int(time.time() * 1000),
        "query": query,
        "url": url,
        "xdomain": "origin" in headers,
        "secure": environ.get("wsgi.url_scheme") == "https",
    }


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
