"""The keyword arguments of ``SocketIOServer`` that are not Socket.IO settings.

``SocketIOServer`` hands every keyword it does not know to gevent's ``WSGIServer``, which
passes what *it* does not know to ``ssl.wrap_socket`` when the first client connects: a
misspelt or foreign option used to break every connection instead of the start-up. This
module sorts them once, when the server is built:

* gevent-socketio 0.3's own options keep their meaning: ``namespace=`` is the old name of
  ``resource=``, ``policy_listener=(host, port)`` starts the Flash policy listener there,
  ``log_file=`` opens a file (appending) for the access log. ``ws_handler_class=`` chose
  gevent-websocket's handler there; geventsio has its own websocket transport, so it is
  accepted, ignored and warned about;
* gevent's ``WSGIServer`` arguments and its SSL arguments go on to gevent;
* anything else raises :class:`~geventsio.exceptions.ConfigurationError` naming it.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from dataclasses import dataclass, field
from typing import IO, Any

from gevent.pywsgi import WSGIServer

from ..exceptions import ConfigurationError

__all__ = ["LegacyOptions", "gevent_options", "split_options", "open_log"]


def _parameters(fn: Any, *skip: str) -> frozenset[str]:
    return frozenset(name for name, p in inspect.signature(fn).parameters.items()
                     if p.kind is not p.VAR_KEYWORD and name not in skip)


@functools.lru_cache(maxsize=None)
def gevent_options() -> frozenset[str]:
    """The keyword arguments gevent's ``WSGIServer`` takes: its own and its SSL ones.

    Read from their signatures on first use (not at import: ``gevent.ssl`` imports the
    standard ``ssl``, which must come after an application's ``monkey.patch_all()``).
    """
    from gevent import ssl

    server = _parameters(WSGIServer.__init__, "self", "listener", "application")
    return server | _parameters(ssl.wrap_socket, "sock") | {"ssl_context"}


@dataclass
class LegacyOptions:
    """gevent-socketio's server options, read out of the keyword arguments."""

    #: ``namespace=``: gevent-socketio's old name of ``resource``.
    resource: str | None = None
    #: ``policy_listener=(host, port)``.
    policy_listener: tuple[str, int] | None = None
    #: ``log_file=``: a path to open (appending) for the access log.
    log_file: Any = None
    gevent: dict[str, Any] = field(default_factory=dict)


def split_options(options: dict[str, Any]) -> LegacyOptions:
    """Sort ``SocketIOServer``'s extra keyword arguments.

    Returns the legacy ones read and gevent's in ``.gevent``. Raises ConfigurationError
    naming every argument that neither geventsio nor gevent knows, for a bad
    ``policy_listener``, and for ``log_file`` given together with ``log``.
    """
    options = dict(options)
    found = LegacyOptions(resource=options.pop("namespace", None))
    log_file = options.pop("log_file", None)
    listener = options.pop("policy_listener", None)
    if listener is not None:
        found.policy_listener = _check_listener(listener)
    if options.pop("ws_handler_class", None) is not None:
        warnings.warn("ws_handler_class= is ignored: geventsio has its own websocket "
                      "transport", UserWarning, stacklevel=3)
    known = gevent_options()
    unknown = sorted(name for name in options if name not in known)
    if unknown:
        raise ConfigurationError(
            f"unknown SocketIOServer option(s): {', '.join(unknown)} (neither geventsio "
            "nor gevent's WSGIServer takes them)")
    if log_file is not None and options.get("log", "default") != "default":
        raise ConfigurationError("give log= or log_file=, not both")
    found.log_file = log_file
    found.gevent = options
    return found


def _check_listener(listener: Any) -> tuple[str, int]:
    try:
        host, port = listener
    except (TypeError, ValueError):
        host = port = None
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int) or (
            not 0 <= port <= 65535):
        raise ConfigurationError(
            f"policy_listener must be a (host, port) pair, got {listener!r}")
    return host, port


def open_log(path: Any, options: dict[str, Any]) -> IO[str] | None:
    """Open ``log_file=`` for appending, line-buffered, and make it gevent's ``log``.

    Returns the file (its owner closes it), or None without a path.
    """
    if path is None:
        return None
    handle = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (owned)
    options["log"] = handle
    return handle
