"""A PasteDeploy server runner, so an ini file can name geventsio as its server::

    [server:main]
    use = egg:geventsio
    host = 127.0.0.1
    port = 6543
    transports = websocket, xhr-polling
    heartbeat_timeout = 30
    namespaces =
        /chat = myapp.sockets:ChatNamespace

``pserve app.ini`` then serves the ini's WSGI application with a
:class:`~geventsio.SocketIOServer`. Every server option is accepted under its Python name,
converted as the command line converts it (:mod:`geventsio.cli`); ``namespaces`` lists
``ENDPOINT = module:Class`` lines. SIGTERM and Ctrl-C stop the server gracefully.
"""

from __future__ import annotations

from typing import Any, Callable

from .cli import ImportPathError, convert, parse_namespaces, serve, server_options
from .exceptions import ConfigurationError

__all__ = ["server_runner", "server_from_config"]


def server_from_config(app: Callable[..., Any], host: str = "127.0.0.1", port: str = "8080",
                       namespaces: str = "", access_log: str = "true",
                       **settings: str) -> Any:
    """Build (not start) the SocketIOServer described by ini ``settings`` (strings).

    Raises :class:`~geventsio.ConfigurationError` for an unknown option, a bad value or an
    import path that does not resolve.
    """
    from .server import SocketIOServer

    defaults = dict(server_options())
    options: dict[str, Any] = {}
    try:
        for name, text in settings.items():
            if name not in defaults:
                raise ConfigurationError(
                    f"unknown geventsio server option {name!r}; known: {sorted(defaults)}")
            options[name] = convert(name, defaults[name], text)
        specs = [line.replace(" ", "") for line in namespaces.splitlines() if line.strip()]
        checked = parse_namespaces(specs) or None
        if convert("access_log", True, access_log) is False:
            options["log"] = None
    except (ImportPathError, ValueError) as exc:
        raise ConfigurationError(f"[server] section: {exc}") from exc
    return SocketIOServer((host, int(port)), app, namespaces=checked, **options)


def server_runner(app: Callable[..., Any], global_conf: dict[str, Any], **settings: str) -> None:
    """The ``paste.server_runner`` entry point (``use = egg:geventsio``): serve until
    SIGTERM or SIGINT."""
    from gevent import monkey

    monkey.patch_all()  # pserve has imported the app already; patch what is left
    serve(server_from_config(app, **settings))
