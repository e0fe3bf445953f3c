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
    headers = {key[5:].replace("_", "-").lower(): value
               for key, value in environ.items() if key.startswith("HTTP_")}
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


def authorized(authorization: Any, handshake: dict[str, Any]) -> bool:
    """What ``authorization(handshake)`` says; an exception refuses (and is logged)."""
    try:
        return bool(authorization(handshake))
    except Exception:
        log.exception("the authorization callable raised; refusing the handshake")
        return False
