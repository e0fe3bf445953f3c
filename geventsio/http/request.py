"""What the handler derives from a Socket.IO request: its WSGI environ, its parsed path.

The environ is built from headers that are already indexed:

gevent's ``WSGIHandler.get_environ`` re-reads every header line through a generator
(split, replace, upper, strip per line), looks headers up again and decodes the path
even when it holds no escape: about a tenth of the server's CPU per xhr-polling request
(benchmarks/FINDINGS.md, issue 14). For requests under the Socket.IO resource,
:func:`socketio_environ` builds the same dictionary from what
:class:`~geventsio.http.headers.RequestHeaders` already holds; any other request, and
any handler subclass (gunicorn's adds its own keys), keeps gevent's own builder.

The result is the same dict gevent builds, key for key and value for value: the CGI
variables, ``HTTP_*`` for every header (repeats joined with ``,``, cookies with
``; ``; names with ``_`` left out, as gevent does), ``wsgi.input`` (gevent's ``Input``,
or the raw stream for an upgrade request) and ``wsgi.input_terminated``.
tests/test_request.py compares the two.

:func:`target_of` is ``parse_target``, remembered for transport paths: a polling session
asks with one path twice per round trip.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import unquote

from gevent.pywsgi import Input

from ..protocol import Target, TargetKind, parse_target
from .upgraded import NO_BODY

__all__ = ["add_http_headers", "socketio_environ", "target_of"]

#: Headers gevent does not turn into ``HTTP_*`` keys (they are CONTENT_TYPE/LENGTH).
_NOT_HTTP = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))


def socketio_environ(handler: Any, body: bytes | None = None) -> dict[str, Any]:
    """The environ gevent's ``get_environ`` would build for ``handler``'s request; with
    ``body`` (a request read whole, :mod:`geventsio.http.lean`), ``wsgi.input`` reads
    that body instead of the connection."""
    env = handler.server.get_environ()
    env["REQUEST_METHOD"] = handler.command
    env["SCRIPT_NAME"] = ""
    path, _, query = handler.path.partition("?")
    env["PATH_INFO"] = unquote(path, encoding="latin-1") if "%" in path else path
    env["QUERY_STRING"] = query
    headers = handler.headers
    content_type = headers.get("content-type")
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    length = headers.get("content-length")
    if length:
        env["CONTENT_LENGTH"] = length
    env["SERVER_PROTOCOL"] = handler.request_version
    client_address = handler.client_address
    if isinstance(client_address, tuple):
        env["REMOTE_ADDR"] = str(client_address[0])
        env["REMOTE_PORT"] = str(client_address[1])
    add_http_headers(env, headers.lines)
    reads = not headers.asks_upgrade()
    if body is not None:
        handler.wsgi_input = BytesIO(body) if body else NO_BODY
        env["wsgi.input"] = handler.wsgi_input if reads else handler.rfile
        env["wsgi.input_terminated"] = reads
        return env
    expect = env.get("HTTP_EXPECT") == "100-continue"
    chunked = env.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
    handler.wsgi_input = Input(handler.rfile, handler.content_length,
                               socket=handler.socket if expect else None,
                               chunked_input=chunked)
    env["wsgi.input"] = handler.wsgi_input if reads else handler.rfile
    env["wsgi.input_terminated"] = reads
    return env


def add_http_headers(env: dict[str, Any], lines: list[str]) -> None:
    """Add the ``HTTP_<NAME>`` keys of header ``lines`` (folds already joined) to ``env``."""
    keys = _KEYS
    for line in lines:
        name, _, value = line.partition(":")
        key = keys.get(name, _UNKNOWN)
        if key is _UNKNOWN:
            key = _key_of(name)
        if key is None:
            continue
        value = value.strip()
        if key in env:
            env[key] += ("; " if "COOKIE" in key else ",") + value
        else:
            env[key] = value


#: Header name -> its environ key (None: not an ``HTTP_*`` key); clients send the same
#: few names every time. At most 256 kept: the names come from clients.
_KEYS: dict[str, str | None] = {}
_UNKNOWN = ""


def _key_of(name: str) -> str | None:
    """The environ key of header ``name``: None for names with ``_`` (gevent drops them:
    they could pose as ``-`` ones) and for Content-Type/Length (``CONTENT_*`` keys)."""
    key: str | None = None
    if "_" not in name:
        upper = name.replace("-", "_").upper()
        if upper not in _NOT_HTTP:
            key = "HTTP_" + upper
    if len(_KEYS) < 256:
        _KEYS[name] = key
    return key


#: Parsed transport paths (``/socket.io/1/xhr-polling/<sid>``). Emptied when full, so
#: bounded whatever the paths; Target objects are immutable, so sharing one is safe.
_TARGETS: dict[tuple[str, str], Target] = {}
_TARGETS_KEPT = 1024


def target_of(path: str, resource: str) -> Target:
    """``parse_target(path, resource)``, remembered for transport paths."""
    key = (path, resource)
    target = _TARGETS.get(key)
    if target is None:
        target = parse_target(path, resource)
        if target.kind is TargetKind.TRANSPORT:
            if len(_TARGETS) >= _TARGETS_KEPT:
                _TARGETS.clear()
            _TARGETS[key] = target
    return target
