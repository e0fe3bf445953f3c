"""The chat the end-to-end many-process tests serve (``tests/cluster.py`` runs it).

Served by ``python -m geventsio tests.e2e_app:app --namespace /chat=tests.e2e_app:Chat``
or under gunicorn with ``-k tests.e2e_app.Worker`` (the server options of the worker
come from environment variables, so one module serves every test).

``/chat`` is a chat in rooms: ``join``/``leave`` answer with the process id of the worker
that holds the client's namespace (the session's owner), ``say`` is sent to every member
of a room, sender included, with the sender's id, a per-sender sequence number kept by
the namespace and the client's own number, and a disconnect is told to everyone else as
``user disconnected``. ``who`` answers ``clients(room)`` as the owner sees it.

The WSGI app answers ``/cluster/pid`` and ``/cluster/state`` (what this process holds:
sessions, room index, stored values, greenlets: the leak checks ask every worker), and
serves the browser test page (``tests/browser``) for everything else.
"""

from __future__ import annotations

import gc
import json
import os
from typing import Any, Callable
from urllib.parse import parse_qs

import gevent
from gevent.pywsgi import WSGIServer

from geventsio import BaseNamespace, SocketIOServer
from geventsio.gunicorn import GeventSocketIOWorker

from .browser_apps import page_app


class Chat(BaseNamespace):
    """Rooms, ``say`` to a room, ``who`` is in it; goodbyes to everyone else."""

    said = 0

    def on_nick(self, nick: str) -> int:
        self.set("nick", nick)
        return os.getpid()

    def on_join(self, room: str) -> tuple[int, list[str]]:
        self.join(room)
        return os.getpid(), sorted(self.rooms)

    def on_leave(self, room: str) -> tuple[int, list[str]]:
        self.leave(room)
        return os.getpid(), sorted(self.rooms)

    def on_say(self, room: str, number: int, text: str = "") -> None:
        self.said += 1
        self.io.in_(room).emit("said", self.socket.sid, self.said, number, text, os.getpid())

    def on_probe(self, room: str, token: Any) -> None:
        """Not counted as a message: the fault tests probe for the queue's return."""
        self.io.in_(room).emit("probe", self.socket.sid, token, os.getpid())

    def on_who(self, room: str) -> tuple[int, list[str]]:
        return os.getpid(), sorted(self.io.clients(room))

    def recv_disconnect(self) -> None:
        self.broadcast.emit("user disconnected", self.socket.sid)


def _servers() -> list[SocketIOServer]:
    """The SocketIOServers of this process (the CLI and gunicorn build them, not us)."""
    return [obj for obj in gc.get_objects() if isinstance(obj, SocketIOServer)]


def state(ns: str = "/chat", room: str | None = None) -> dict[str, Any]:
    """What this process holds now, for the tests' leak and agreement checks."""
    servers = _servers()
    found: dict[str, Any] = {"pid": os.getpid(), "servers": len(servers), "sessions": 0,
                             "index": {"endpoints": 0, "rooms": 0, "joined": 0},
                             "stored": 0, "farewells": 0, "clients": None}
    for server in servers:
        manager = server.manager
        found["sessions"] += len(manager.sessions)
        for key, count in manager.index.counts().items():
            found["index"][key] += count
        found["stored"] += _stored(manager.store)
        found["farewells"] += len(manager.farewells)
        if room is not None:
            found["clients"] = sorted(server.of(ns).clients(room))
    found["greenlets"] = sum(1 for obj in gc.get_objects()
                             if isinstance(obj, gevent.Greenlet) and not obj.dead)
    return found


def _stored(store: Any) -> int:
    """Values the store keeps in this process (a store kept elsewhere has no length)."""
    try:
        return len(store)
    except TypeError:
        return 0


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The test endpoints, then the browser test page."""
    path = environ["PATH_INFO"]
    if path == "/cluster/pid":
        return _reply(start_response, str(os.getpid()).encode())
    if path == "/cluster/state":
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = json.dumps(state(query.get("ns", "/chat"), query.get("room"))).encode()
        return _reply(start_response, body, "application/json")
    return page_app(environ, start_response)


def _reply(start_response: Callable[..., Any], body: bytes,
           content_type: str = "text/plain") -> list[bytes]:
    start_response("200 OK", [("Content-Type", content_type),
                              ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
    return [body]


def _env_options() -> dict[str, Any]:
    """Server options of the gunicorn worker, from the environment the test gives it."""
    options: dict[str, Any] = {"namespaces": {"/chat": Chat}}
    if os.environ.get("GEVENTSIO_TEST_MESSAGE_QUEUE"):
        options["message_queue"] = os.environ["GEVENTSIO_TEST_MESSAGE_QUEUE"]
    for name in ("heartbeat_interval", "heartbeat_timeout", "close_timeout",
                 "polling_duration"):
        value = os.environ.get("GEVENTSIO_TEST_" + name.upper())
        if value:
            options[name] = float(value)
    return options


class Worker(GeventSocketIOWorker):
    """The gunicorn worker of the many-process tests.

    All workers share gunicorn's one port, so a test could not choose which one answers:
    each worker also serves ``/cluster/...`` on a port of its own and writes that port to
    ``$GEVENTSIO_TEST_STATE_DIR/<pid>`` for the tests to find.
    """

    socketio_options = _env_options()

    def run(self) -> None:
        folder = os.environ.get("GEVENTSIO_TEST_STATE_DIR")
        if folder:
            side = WSGIServer(("127.0.0.1", 0), app, log=None)
            side.start()
            with open(os.path.join(folder, f"{os.getpid()}.tmp"), "w") as fh:
                fh.write(str(side.server_port))
            os.rename(os.path.join(folder, f"{os.getpid()}.tmp"),
                      os.path.join(folder, str(os.getpid())))
        super().run()
