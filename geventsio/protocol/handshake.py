"""Where a request goes, and the handshake that opens a session.

Every Socket.IO 0.9 URL lives under one *resource* (``/socket.io`` by default):

* ``/socket.io/`` answers "Welcome to socket.io." (:attr:`TargetKind.ROOT`);
* ``/socket.io/1/`` is the handshake (:attr:`TargetKind.HANDSHAKE`), answered
  ``sid:heartbeat_timeout:close_timeout:transports`` (:func:`format_handshake`), or
  ``io.j[N]("...");`` with ``?jsonp=N`` (:func:`jsonp_handshake_body`);
* ``/socket.io/1/<transport>/<sid>`` is a transport request (:attr:`TargetKind.TRANSPORT`);
* ``/socket.io/socket.io.js`` and friends are the client files (:attr:`TargetKind.STATIC`).

:func:`parse_target` sorts a WSGI ``PATH_INFO`` into one of these and never raises;
deciding how to answer is the handler's job. Session ids come from :mod:`secrets`.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..exceptions import ProtocolError
from .codec import snippet
from .packets import unchecked_builder
from .payload import jsonp_body

__all__ = [
    "PROTOCOL",
    "TargetKind",
    "Target",
    "parse_target",
    "parse_query",
    "format_handshake",
    "parse_handshake",
    "new_sid",
    "is_valid_sid",
    "jsonp_handshake_body",
]

#: The protocol revision this package speaks (the ``1`` in ``/socket.io/1/``).
PROTOCOL = 1

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a sid or a transport name in a URL
_TIMEOUT = re.compile(r"(?:[0-9]{1,9}(?:\.[0-9]{1,6})?)?")

# path under the resource -> file name. The 0.9 client loads the Flash files from
# static/flashsocket/ (as the reference serves them); the short names are accepted too.
_STATIC_FILES = {
    "socket.io.js": "socket.io.js",
    "socket.io.min.js": "socket.io.min.js",
    "WebSocketMain.swf": "WebSocketMain.swf",
    "WebSocketMainInsecure.swf": "WebSocketMainInsecure.swf",
    "static/flashsocket/WebSocketMain.swf": "WebSocketMain.swf",
    "static/flashsocket/WebSocketMainInsecure.swf": "WebSocketMainInsecure.swf",
}


class TargetKind(enum.Enum):
    """What a request path asks for."""

    ROOT = "root"  # /<resource>[/]: the reference answers 200 "Welcome to socket.io."
    HANDSHAKE = "handshake"  # /<resource>/1[/]
    TRANSPORT = "transport"  # /<resource>/1/<transport>/<sid>[/]; transport '' = disconnectSync
    STATIC = "static"  # /<resource>/socket.io.js and the other client files
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"  # /<resource>/<N>/...: 500 in the reference
    OUTSIDE = "outside"  # not under the resource: for the wrapped WSGI application
    INVALID = "invalid"  # under the resource, but none of the above


@dataclass(frozen=True, slots=True)
class Target:
    """The parsed request path; fields that do not apply to ``kind`` are None."""

    kind: TargetKind
    protocol: int | None = None
    transport: str | None = None
    sid: str | None = None
    static_name: str | None = None


_ROOT = Target(TargetKind.ROOT)
_OUTSIDE = Target(TargetKind.OUTSIDE)
_INVALID = Target(TargetKind.INVALID)
_HANDSHAKE = Target(TargetKind.HANDSHAKE, protocol=PROTOCOL)


def parse_target(path: str, resource: str) -> Target:
    """Return what the WSGI ``PATH_INFO`` ``path`` asks for under ``resource``.

    ``resource`` is the URL prefix without slashes at its ends (``'socket.io'``,
    ``'api/socket.io'``). Never raises: any path maps to some :class:`TargetKind`.
    """
    prefix = _PREFIXES.get(resource)
    if prefix is None:
        base = resource.strip("/")
        prefix = f"/{base}/" if base else "/"
        if len(_PREFIXES) < 16:  # one per server, a few in tests
            _PREFIXES[resource] = prefix
    if path == prefix or path == prefix[:-1]:
        return _ROOT
    if not path.startswith(prefix):
        return _OUTSIDE
    rest = path[len(prefix):]
    static_name = _STATIC_FILES.get(rest)
    if static_name is not None:
        return Target(TargetKind.STATIC, static_name=static_name)
    return _parse_versioned(rest.split("/"))


#: resource -> ``/resource/`` (``/`` for the empty resource).
_PREFIXES: dict[str, str] = {}
#: The transport names of the 0.9 clients, known good without the regex.
_TRANSPORT_NAMES = frozenset(
    {"websocket", "xhr-polling", "jsonp-polling", "htmlfile", "flashsocket", ""})
_new_target = unchecked_builder(Target)


def _parse_versioned(segments: list[str]) -> Target:
    """Sort ``<N>[/<transport>/<sid>][/]`` split on ``/``."""
    version, *tail = segments
    if not (version.isascii() and version.isdigit()):
        return _INVALID
    protocol = int(version) if len(version) <= 9 else None
    if protocol != PROTOCOL:
        return Target(TargetKind.UNSUPPORTED_PROTOCOL, protocol=protocol)
    if tail in ([], [""]):
        return _HANDSHAKE
    if tail[-1] == "":
        tail.pop()  # one trailing slash
    if (len(tail) == 2 and _is_name(tail[1])
            and (tail[0] in _TRANSPORT_NAMES or _is_name(tail[0]))):
        # An empty transport is the 0.9 client's disconnectSync(): /1//<sid>/?disconnect=1
        return _new_target(  # type: ignore[no-any-return]
            TargetKind.TRANSPORT, PROTOCOL, tail[0], tail[1], None)
    return _INVALID


def parse_query(query_string: str) -> dict[str, str]:
    """Return the first value of each key of a WSGI ``QUERY_STRING``.

    Blank values are kept (``disconnect`` gives ``{'disconnect': ''}``); percent escapes are
    decoded as UTF-8, with U+FFFD for invalid bytes. Never raises.
    """
    query: dict[str, str] = {}
    if "%" in query_string or "+" in query_string:
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            query.setdefault(key, value)
        return query
    # Nothing to decode (``t=1733...&EIO=...``, every poll): what parse_qsl gives, split
    # here, without its per-field calls.
    for field in query_string.split("&"):
        if field:
            key, _, value = field.partition("=")
            if key not in query:
                query[key] = value
    return query


def new_sid() -> str:
    """Return a new session id: 20 characters, base64 of 15 random bytes from :mod:`secrets`.

    The alphabet is base64's with ``-`` for ``+`` and ``_`` for ``/``, as the reference's.
    """
    return secrets.token_urlsafe(15)


def is_valid_sid(s: object) -> bool:
    """Return whether ``s`` can be a session id: 1 to 64 of ``A-Z a-z 0-9 _ -``."""
    return isinstance(s, str) and _is_name(s)


def _is_name(segment: str) -> bool:
    """Whether a URL segment can be a sid or a transport name."""
    return _NAME.fullmatch(segment) is not None


def format_handshake(
    sid: str,
    heartbeat_timeout: float | None,
    close_timeout: float | None,
    transports: Sequence[str],
) -> str:
    """Return the handshake body ``sid:heartbeat:close:transports``.

    A None timeout is written as an empty field (the reference leaves the heartbeat
    timeout empty when heartbeats are disabled). Whole seconds are written as integers
    (``60``); fractions as decimals (``1.5``), which the 0.9 clients read as
    ``value * 1000`` milliseconds. Raises ``ValueError`` for a sid or transport name
    :func:`parse_target` would not accept, or a timeout that is not a finite number
    >= 0 or None: programming errors.
    """
    if not is_valid_sid(sid):
        raise ValueError(f"invalid sid or transport name in {sid!r}, {list(transports)!r}")
    key = (type(heartbeat_timeout), heartbeat_timeout, type(close_timeout), close_timeout,
           tuple(transports))  # the types: True == 1, but True is refused
    tail = _TAILS.get(key)
    if tail is None:
        tail = _handshake_tail(sid, heartbeat_timeout, close_timeout, transports)
        if len(_TAILS) < 16:  # a server has one; tests a few
            _TAILS[key] = tail
    return sid + tail


#: ``(heartbeat, close, transports)`` -> ``:heartbeat:close:transports``, checked once.
_TAILS: dict[tuple[object, ...], str] = {}


def _handshake_tail(sid: str, heartbeat_timeout: float | None, close_timeout: float | None,
                    transports: Sequence[str]) -> str:
    if not all(isinstance(name, str) and _is_name(name) for name in transports):
        raise ValueError(f"invalid sid or transport name in {sid!r}, {list(transports)!r}")
    fields = [""]
    for timeout in (heartbeat_timeout, close_timeout):
        fields.append("" if timeout is None else _seconds(timeout))
    fields.append(",".join(transports))
    return ":".join(fields)


def _seconds(timeout: float) -> str:
    if type(timeout) not in (int, float) or not 0 <= timeout < float("inf"):
        raise ValueError(f"a timeout must be a finite number >= 0 or None, got {timeout!r}")
    if timeout == int(timeout):
        return str(int(timeout))
    return repr(float(timeout))


def parse_handshake(body: str) -> tuple[str, float | None, float | None, list[str]]:
    """Return (sid, heartbeat timeout, close timeout, transports) from a handshake body.

    An empty timeout field gives None; whole numbers come back as ints. Raises
    ProtocolError unless ``body`` has four ``:``-separated fields: a valid sid, two
    timeouts (decimal numbers, or empty), and a comma-separated list of transport names.
    """
    fields = body.split(":")
    if len(fields) != 4:
        raise _bad_handshake(body)
    sid, heartbeat, close, transport_list = fields
    transports = transport_list.split(",") if transport_list else []
    names_ok = is_valid_sid(sid) and all(map(_is_name, transports))
    timeouts_ok = all(_TIMEOUT.fullmatch(timeout) for timeout in (heartbeat, close))
    if not (names_ok and timeouts_ok):
        raise _bad_handshake(body)
    return sid, _optional_int(heartbeat), _optional_int(close), transports


def _bad_handshake(body: str) -> ProtocolError:
    return ProtocolError(
        "expected a handshake 'sid:heartbeat_timeout:close_timeout:transport,...'"
        f" with digits for the timeouts, got {snippet(body)}"
    )


def _optional_int(digits: str) -> float | None:
    if not digits:
        return None
    return float(digits) if "." in digits else int(digits)


def jsonp_handshake_body(index: int, handshake: str) -> str:
    """Return the JSONP handshake answer ``io.j[index]("<handshake>");``.

    Escaped as :func:`~.payload.jsonp_body` escapes; raises ``ValueError`` for a bad index.
    """
    return jsonp_body(index, handshake)
