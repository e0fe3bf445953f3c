"""Cross-origin requests: which are refused, and the CORS headers of the answers (no I/O).

The 0.9 clients make only simple cross-origin requests (GETs and ``text/plain`` POSTs),
which the reference answers with ``Access-Control-Allow-Origin: <the Origin>`` and
``Access-Control-Allow-Credentials: true``. We send those only to origins the ``origins``
option allows, and also answer an ``OPTIONS`` preflight, which other clients may send.
An ``Origin`` that names no web origin (``null``, sent by sandboxed frames and ``file:``
pages, ``*``, or anything else that is not ``scheme://host[:port]``) is never echoed,
whatever ``origins`` says: echoed with credentials it would hand the answers to any page.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from ..core.origins import OriginAllowList, parse_origin, request_origin
from ..exceptions import ProtocolError

__all__ = ["METHODS", "PREFLIGHT_MAX_AGE", "check_origin", "cors_headers", "preflight_headers"]

#: The methods Socket.IO URLs take.
METHODS = "GET, POST, OPTIONS"
#: How long a browser may cache a preflight answer, in seconds (Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = "7200"

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_TOKEN_LIST = re.compile(rf"{_TOKEN}(?:[ \t]*,[ \t]*{_TOKEN})*")
#: What a browser sends as ``Origin``: scheme, ``://``, host (no ``*``), optional port.
_SERIALIZED_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/?#*,;]+", re.IGNORECASE)


def check_origin(allowed: OriginAllowList, origin: str | None, handshake: bool) -> None:
    """Raise ProtocolError (403) if a request claiming ``origin`` is not allowed.

    The origin is the ``Origin`` header, else the ``Referer`` (``request_origin``); an
    empty one counts as none. A handshake without either is refused too, as by the
    reference; a transport request without either passes (its sid shows its handshake
    passed, and ``<script>``/``<iframe>`` requests carry no ``Origin``).
    """
    if allowed.allows_all:
        return
    origin = origin or None
    if (origin is None and not handshake) or allowed.allows(origin):
        return
    what = "handshake" if handshake else "transport request"
    shown = repr(origin[:200]) if origin else "(none)"
    raise ProtocolError(f"{what} from origin {shown} refused by the origins option",
                        status=HTTPStatus.FORBIDDEN)


def cors_headers(allowed: OriginAllowList, origin: str | None) -> list[tuple[str, str]]:
    """The reference's CORS headers for an allowed ``Origin``; none without one, and
    none for an ``Origin`` that is not a web origin (``null``, ``*``, garbage)."""
    if not origin or _SERIALIZED_ORIGIN.fullmatch(origin) is None or \
            parse_origin(origin) is None or not allowed.allows(origin):
        return []
    return [("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true")]


def preflight_headers(allowed: OriginAllowList, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers answering an ``OPTIONS`` request (a CORS preflight if it has ``Origin``).

    Raises ProtocolError: 403 for a refused origin, 400 for an
    ``Access-Control-Request-Headers`` that is not a list of header names.
    """
    headers = [("Allow", METHODS)]
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return headers
    check_origin(allowed, request_origin(environ), handshake=False)
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").strip()
    if requested and _TOKEN_LIST.fullmatch(requested) is None:
        raise ProtocolError(f"malformed Access-Control-Request-Headers {requested[:100]!r}")
    headers += cors_headers(allowed, origin)
    headers.append(("Access-Control-Allow-Methods", METHODS))
    if requested:
        headers.append(("Access-Control-Allow-Headers", requested))
    headers.append(("Access-Control-Max-Age", PREFLIGHT_MAX_AGE))
    return headers
