"""Test your namespaces from Python: an in-process server and connected clients.

:class:`AppServer` starts a :class:`~geventsio.SocketIOServer` on a free 127.0.0.1 port
and hands out connected :class:`~geventsio.client.Client` objects; leaving it (``with``)
disconnects every client and stops the server. :func:`server_fixture` makes a pytest
fixture of it. The test process must be gevent monkey-patched (in ``conftest.py``,
first thing). See ``docs/testing-apps.md`` for a complete test of a namespace.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .client import Client
from .server import SocketIOServer

__all__ = ["AppServer", "server_fixture"]


class AppServer:
    """A started server of ``app`` and ``options`` (those of ``SocketIOServer``), or of a
    ready-made, not yet started ``server``, on 127.0.0.1.

    ``port`` is 0 by default: the system picks a free one. Access logs are off unless
    ``log`` is given. Attributes: ``server`` (the SocketIOServer), ``port``, ``url``.
    """

    def __init__(self, app: Callable[..., Any] | None = None, *,
                 server: SocketIOServer | None = None, port: int = 0,
                 **options: Any) -> None:
        if server is None:
            options.setdefault("log", None)
            server = SocketIOServer(("127.0.0.1", port), app, **options)
        elif app is not None or options:
            raise TypeError("give either a server or an app and its options, not both")
        self.server = server
        self.clients: list[Client] = []
        server.start()
        self.port: int = server.server_port
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self, transport: str = "websocket", namespace: str | None = None,
               timeout: float = 10.0, **options: Any) -> Any:
        """A new client connected over ``transport`` (``'websocket'``,
        ``'xhr-polling'`` or ``'jsonp-polling'``); with ``namespace`` (``'/chat'``) that
        namespace, joined, is returned instead of the client (its ``.client`` is the
        client). ``options`` go
        to :class:`~geventsio.client.Client` (``query``, ``headers``, ``reconnect``...).
        Raises as ``Client.connect`` and ``Client.of`` do."""
        options.setdefault("resource", self.server.config.resource)
        client = Client(self.url, transports=[transport], **options)
        self.clients.append(client)
        client.connect(timeout=timeout)
        if namespace is None:
            return client
        return client.of(namespace, timeout=timeout)

    def stop(self) -> None:
        """Disconnect every client handed out, then stop the server (idempotent)."""
        for client in self.clients:
            client.disconnect()
        self.clients.clear()
        self.server.stop(timeout=5)

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def server_fixture(app: Callable[..., Any] | None = None, *, scope: str = "function",
                   factory: Callable[[], SocketIOServer] | None = None,
                   **options: Any) -> Any:
    """A pytest fixture yielding an :class:`AppServer` of ``app`` and ``options``, or of
    the (unstarted) server that ``factory()`` builds, e.g. your app's own
    ``lambda: make_server('127.0.0.1', 0)``.

    In a ``conftest.py`` or test module: ``chat_server = server_fixture(namespaces=...)``
    (the fixture's name is the variable's).
    """
    import pytest  # only needed by pytest users

    def make() -> Iterator[AppServer]:
        built = AppServer(server=factory()) if factory is not None else AppServer(app, **options)
        with built:
            yield built

    return pytest.fixture(scope=scope)(make)  # type: ignore[call-overload]
