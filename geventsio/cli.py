"""``python -m geventsio``: serve a WSGI app and namespaces given by import path.

::

    python -m geventsio module:wsgi_app --namespace /chat=module:ChatNamespace \\
           --host 127.0.0.1 --port 8080 --transports websocket,xhr-polling

Every keyword option of :class:`~geventsio.SocketIOServer` is a flag (``heartbeat_timeout``
-> ``--heartbeat-timeout``); the list is read from the server's signature, so a new option
gets its flag without touching this module. Values are converted by the type of the
option's default: numbers, ``--flag``/``--no-flag`` for booleans, comma lists for
``transports`` and ``origins``, import paths for callables (``authorization``). SIGTERM
and Ctrl-C stop the server gracefully. :mod:`geventsio.paste` reuses the conversions for
PasteDeploy ini files.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import signal
import sys
from typing import Any, Sequence

__all__ = ["main", "load", "server_options", "convert", "parse_namespaces", "ImportPathError"]

log = logging.getLogger("geventsio.cli")

#: Parameters of SocketIOServer that are not options of the command line.
NOT_OPTIONS = {"self", "listener", "application", "namespaces", "store", "kwargs"}
#: Options whose value is a comma-separated list.
LIST_OPTIONS = {"transports", "origins"}
#: Options whose value is an import path of a callable.
CALLABLE_OPTIONS = {"authorization"}

HELP = {
    "resource": "URL prefix of Socket.IO requests",
    "transports": "comma-separated transports to offer (default: all of them)",
    "heartbeat_interval": "seconds between heartbeats",
    "heartbeat_timeout": "seconds without a heartbeat before a session ends",
    "close_timeout": "seconds a session without a transport is kept",
    "polling_duration": "seconds a long poll is held open",
    "origins": "comma-separated allowed origins, 'host:port' patterns",
    "authorization": "import path of a callable(handshake_data) -> bool",
    "policy_server": "serve the Flash socket policy on --policy-port",
    "policy_port": "port of the Flash socket policy listener",
    "message_queue": "message queue URL for many processes (redis://...)",
    "max_body_size": "largest request body accepted, in bytes",
    "max_queue": "most packets queued for one client",
    "ack_timeout": "seconds a server-side ack callback waits",
    "client_dir": "directory of the socket.io.js client files",
}


class ImportPathError(ValueError):
    """An import path (``module:attribute``) that does not name anything importable."""


def load(path: str) -> Any:
    """Return the object named by ``module:attribute`` (``attribute`` may be dotted).

    Raises :class:`ImportPathError` saying what was wrong.
    """
    module_name, colon, attribute = path.partition(":")
    if not colon or not module_name or not attribute:
        raise ImportPathError(f"{path!r} is not an import path 'module:attribute'")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportPathError(f"cannot import module {module_name!r} of {path!r}: {exc}") from exc
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise ImportPathError(f"module {module_name!r} has no {attribute!r}") from None
    return target


def server_options() -> list[tuple[str, Any]]:
    """(name, default) of every keyword option of ``SocketIOServer``, in order."""
    from .server import SocketIOServer

    parameters = inspect.signature(SocketIOServer.__init__).parameters.values()
    return [(p.name, p.default) for p in parameters if p.name not in NOT_OPTIONS
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


#: Options whose default is None but whose values have a type: a sample value of it.
TYPED_WHEN_GIVEN: dict[str, Any] = {"policy_server": False, "max_handshakes_per_address": 0.0}


def convert(name: str, default: Any, text: str) -> Any:
    """The value of option ``name`` given as ``text`` (from a flag or an ini file)."""
    default = TYPED_WHEN_GIVEN.get(name, default) if default is None else default
    if name in LIST_OPTIONS:
        return [item.strip() for item in text.split(",") if item.strip()]
    if name in CALLABLE_OPTIONS:
        return load(text)
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise ValueError(f"{name} must be true or false, got {text!r}")
        return lowered in ("true", "yes", "on", "1")
    if isinstance(default, (int, float)):
        return _number(name, text)
    return text


def _number(name: str, text: str) -> int | float:
    """``'60'`` -> 60, ``'2.5'`` -> 2.5; ValueError naming the option otherwise."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None


def parse_namespaces(specs: Sequence[str]) -> dict[str, type]:
    """``['/chat=module:Chat', '=module:Main']`` -> ``{'/chat': Chat, '': Main}``."""
    namespaces: dict[str, type] = {}
    for spec in specs:
        endpoint, equals, path = spec.partition("=")
        if not equals:
            raise ImportPathError(f"a namespace is ENDPOINT=module:Class, got {spec!r}")
        namespaces[endpoint.strip()] = load(path.strip())
    return namespaces


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geventsio",
        description="Serve a WSGI application and Socket.IO 0.9 namespaces with geventsio.")
    parser.add_argument("app", nargs="?", help="import path of the WSGI application "
                        "(module:attribute); omitted: only Socket.IO is served")
    parser.add_argument("--namespace", action="append", default=[], metavar="ENDPOINT=PATH",
                        help="a namespace class by import path, e.g. /chat=app:Chat "
                        "('=app:Main' for the default namespace); repeatable")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (8080; 0: any)")
    parser.add_argument("--no-access-log", action="store_true", help="no access log lines")
    for name, default in server_options():
        _add_option(parser, name, default)
    return parser


def _add_option(parser: argparse.ArgumentParser, name: str, default: Any) -> None:
    flag = "--" + name.replace("_", "-")
    text = HELP.get(name, f"SocketIOServer option {name}")
    if isinstance(TYPED_WHEN_GIVEN.get(name, default), bool):
        parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction,
                            default=None, help=f"{text} (default: {default})")
        return
    shown = ",".join(default) if isinstance(default, (list, tuple)) else default
    if "default:" not in text:
        text = f"{text} (default: {shown})"
    parser.add_argument(flag, dest=name, default=None, metavar=name.upper(), help=text)


def server_from_args(args: argparse.Namespace) -> Any:
    """Build (not start) the SocketIOServer the parsed ``args`` describe."""
    from .server import SocketIOServer

    options: dict[str, Any] = {}
    for name, default in server_options():
        value = getattr(args, name)
        if value is not None:
            options[name] = value if isinstance(value, bool) else convert(name, default, value)
    if args.no_access_log:
        options["log"] = None
    app = load(args.app) if args.app else None
    namespaces = parse_namespaces(args.namespace) or None
    return SocketIOServer((args.host, args.port), app, namespaces=namespaces, **options)


def serve(server: Any) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    import gevent

    def stop(signum: int) -> None:
        log.info("signal %d: stopping", signum)
        server.stop(timeout=5)

    handlers = [gevent.signal_handler(signum, stop, signum)
                for signum in (signal.SIGTERM, signal.SIGINT)]
    try:
        server.start()
        print(f"geventsio: serving on http://{server.server_host}:{server.server_port}/",
              file=sys.stderr, flush=True)
        server.serve_forever()  # until stop() runs
    finally:
        for handler in handlers:
            handler.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        server = server_from_args(args)
    except (ImportPathError, ValueError) as exc:
        parser.error(str(exc))
    serve(server)
    return 0
