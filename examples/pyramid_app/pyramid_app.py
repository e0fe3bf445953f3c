"""Pyramid + geventsio: a view hands Socket.IO requests to ``socketio_manage``.

Started by ``pserve`` from ``development.ini``, whose ``[server:main]`` says
``use = egg:geventsio`` (geventsio's PasteDeploy server runner). From the project root,
after ``pip install -e '.[test]'`` and ``npm install``::

    PYTHONPATH=examples/pyramid_app .venv/bin/pserve examples/pyramid_app/development.ini

then open http://127.0.0.1:6543/ in two windows.
"""

from __future__ import annotations

import os
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import FileResponse, Response

from geventsio import BaseNamespace, socketio_manage

HERE = os.path.dirname(os.path.abspath(__file__))


class ChatNamespace(BaseNamespace):
    """Everyone in ``/chat`` sees every line; the greeting comes from the ini file."""

    def recv_connect(self) -> None:
        # self.request is the Pyramid request given to socketio_manage below
        settings = self.request.registry.settings
        self.emit("said", "server", settings.get("greeting", "hello"))

    def on_say(self, name: str, text: str) -> bool:
        self.io.emit("said", name, text)
        return True


def index(request: Request) -> Any:
    return FileResponse(os.path.join(HERE, "index.html"), request=request,
                        content_type="text/html")


def socketio_view(request: Request) -> Response:
    """Every request under /socket.io/ comes here (gevent-socketio style)."""
    socketio_manage(request.environ, {"/chat": ChatNamespace}, request)
    return request.response


def main(global_config: dict[str, Any], **settings: Any) -> Any:
    """The WSGI application factory named by ``development.ini``."""
    with Configurator(settings=settings) as config:
        config.add_route("index", "/")
        config.add_view(index, route_name="index")
        config.add_route("socketio", "/socket.io/*remaining")
        config.add_view(socketio_view, route_name="socketio")
        return config.make_wsgi_app()
