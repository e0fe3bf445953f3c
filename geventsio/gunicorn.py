"""Serving under gunicorn: a worker class that runs a ``SocketIOServer`` per listener.

::

    gunicorn -k geventsio.gunicorn.GeventSocketIOWorker -w 1 --bind 127.0.0.1:8080 app:app

The WSGI application routes Socket.IO requests itself with :func:`socketio_manage`
(gevent-socketio style), or a subclass of the worker names the namespaces and any other
``SocketIOServer`` option::

    class Worker(GeventSocketIOWorker):
        socketio_options = {'namespaces': {'/chat': Chat}, 'heartbeat_timeout': 30}

Sessions live in the worker process that created them, so run **one** worker: with
several, a client's next request may reach a worker that does not know its session.
"""

from __future__ import annotations

from typing import Any, ClassVar

from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler

from .handler import SocketIOHandler
from .server import SocketIOServer

__all__ = ["GeventSocketIOWorker"]


class GunicornSocketIOHandler(SocketIOHandler, PyWSGIHandler):
    """Our handler with gunicorn's access log and environ additions."""


class GeventSocketIOWorker(GeventPyWSGIWorker):
    """A gunicorn gevent worker whose servers speak Socket.IO (protocol revision 1)."""

    #: Keyword arguments for every ``SocketIOServer`` this worker starts.
    socketio_options: ClassVar[dict[str, Any]] = {}
    wsgi_handler = GunicornSocketIOHandler

    @property
    def server_class(self) -> Any:  # type: ignore[override]
        """gunicorn calls this with (listener, application=, spawn=, log=, handler_class=,
        environ=, ssl args); the Socket.IO options come from :attr:`socketio_options`."""
        options = dict(self.socketio_options)

        def build(listener: Any, **kwargs: Any) -> SocketIOServer:
            return SocketIOServer(listener, **options, **kwargs)

        return build

    def init_process(self) -> None:
        if self.cfg.workers > 1:
            self.log.warning(
                "geventsio: %d workers; Socket.IO sessions live in one process, so a "
                "client may reach a worker that does not know its session. Use -w 1.",
                self.cfg.workers)
        super().init_process()
