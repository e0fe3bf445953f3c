"""Serving under gunicorn: a worker class that runs a ``SocketIOServer`` per listener.

::

    gunicorn -k geventsio.gunicorn.GeventSocketIOWorker -w 1 --bind 127.0.0.1:8080 app:app

The WSGI application routes Socket.IO requests itself with :func:`socketio_manage`
(gevent-socketio style), or a subclass of the worker names the namespaces and any other
``SocketIOServer`` option::

    class Worker(GeventSocketIOWorker):
        socketio_options = {'namespaces': {'/chat': Chat}, 'heartbeat_timeout': 30}

Sessions live in the worker process that created them, so run **one** worker, or give
the workers a message queue (``socketio_options = {'message_queue': 'redis://...'}``):
then any number of workers serve the same clients (docs/scaling.md).

SIGTERM stops the worker gracefully: each server stops as ``SocketIOServer.stop`` does
(drain what is queued, close every session), within gunicorn's ``--graceful-timeout``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gevent
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler

from .http.handler import SocketIOHandler
from .server import SocketIOServer

__all__ = ["GeventSocketIOWorker"]


class GunicornSocketIOHandler(SocketIOHandler, PyWSGIHandler):
    """Our handler with gunicorn's access log and environ additions."""


class GeventSocketIOWorker(GeventPyWSGIWorker):
    """A gunicorn gevent worker whose servers speak Socket.IO (protocol revision 1)."""

    #: Keyword arguments for every ``SocketIOServer`` this worker starts.
    socketio_options: ClassVar[dict[str, Any]] = {}
    wsgi_handler = GunicornSocketIOHandler

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The servers this worker started (one per listener).
        self.socketio_servers: list[SocketIOServer] = []

    @property
    def server_class(self) -> Any:
        """gunicorn calls this with (listener, application=, spawn=, log=, handler_class=,
        environ=, ssl args); the Socket.IO options come from :attr:`socketio_options`."""
        options = dict(self.socketio_options)

        def build(listener: Any, **kwargs: Any) -> SocketIOServer:
            server = SocketIOServer(listener, **options, **kwargs)
            self.socketio_servers.append(server)
            return server

        return build

    def handle_exit(self, sig: Any, frame: Any) -> None:
        """SIGTERM: stop every server gracefully (outside the signal handler), so that
        sessions end and gunicorn's wait for open connections ends with them."""
        super().handle_exit(sig, frame)
        for server in self.socketio_servers:
            gevent.spawn(server.stop, timeout=self.cfg.graceful_timeout)

    def init_process(self) -> None:
        if self.cfg.workers > 1 and self.socketio_options.get("message_queue") is None:
            self.log.warning(
                "geventsio: %d workers; Socket.IO sessions live in one process, so a "
                "client may reach a worker that does not know its session. Use -w 1, or "
                "give the workers a message_queue in socketio_options.",
                self.cfg.workers)
        super().init_process()
