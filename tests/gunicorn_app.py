"""What tests/test_gunicorn.py serves under gunicorn: a worker naming the namespaces, and
a plain WSGI app for everything else."""

from __future__ import annotations

from typing import Any

from geventsio import BaseNamespace
from geventsio.gunicorn import GeventSocketIOWorker


class Echo(BaseNamespace):
    def on_echo(self, *args: Any) -> None:
        self.emit("echo", *args)

    def on_join(self, room: str) -> list[str]:
        self.join(room)
        return sorted(self.rooms)

    def on_in_room(self, room: str, *args: Any) -> int:
        return self.io.in_(room).emit("room", *args)

    def on_burst(self, count: int) -> None:
        for i in range(count):
            self.emit("n", i)


class Worker(GeventSocketIOWorker):
    socketio_options = {"namespaces": {"": Echo}, "heartbeat_interval": 2,
                        "heartbeat_timeout": 5, "close_timeout": 5, "polling_duration": 2}


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"plain WSGI under gunicorn"]
