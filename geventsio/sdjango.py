"""gevent-socketio's ``socketio.sdjango``: Socket.IO in a Django project.

In an app's ``sockets.py``::

    from geventsio.namespace import BaseNamespace
    from geventsio.sdjango import namespace

    @namespace('/chat')
    class ChatNamespace(BaseNamespace):
        ...

In the project's ``urls.py``::

    from django.urls import include, re_path
    from geventsio import sdjango

    sdjango.autodiscover()               # imports every installed app's sockets.py
    urlpatterns = [re_path(r'^socket\\.io', include(sdjango.urls)), ...]

and serve the project with ``SocketIOServer(('127.0.0.1', 8000), get_wsgi_application(),
resource='socket.io')``. The view calls :func:`~geventsio.socketio_manage` with every
namespace registered by ``@namespace`` and the Django request (``self.request``). Needs
Django (``pip install django``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.csrf import csrf_exempt

from .server import socketio_manage

__all__ = ["SOCKETIO_NS", "namespace", "autodiscover", "socketio", "urls"]

#: Endpoint -> namespace class, filled by :class:`namespace`.
SOCKETIO_NS: dict[str, type] = {}

T = TypeVar("T", bound=type)


class namespace:  # noqa: N801 (gevent-socketio's name, used as a decorator)
    """``@namespace('/chat')``: register a BaseNamespace subclass for an endpoint."""

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __call__(self, handler: T) -> T:
        SOCKETIO_NS[self.name] = handler
        return handler


def autodiscover() -> None:
    """Import the ``sockets`` module of every installed app that has one (their
    ``@namespace`` decorators then register the classes). Needs Django set up."""
    autodiscover_modules("sockets")


@csrf_exempt
def socketio(request: HttpRequest) -> HttpResponse:
    """The view for everything under ``/socket.io``: hands the request to the server."""
    socketio_manage(request.environ, SOCKETIO_NS, request)
    return HttpResponse("")


#: URL patterns for ``include()``: every path under the prefix goes to :func:`socketio`.
urls: list[Any] = [re_path(r"", socketio)]

