"""A gevent-socketio 0.3 style app, ported: Flask routes Socket.IO itself, mixins do rooms.

This is how apps were written for gevent-socketio: a Flask view receives every request
under ``/socket.io/`` and calls ``socketio_manage``; the namespace mixes in ``RoomsMixin``
and ``BroadcastMixin``; nicknames live in ``self.session``. Porting it meant changing
``socketio`` to ``geventsio`` in the imports and nothing else.

Run it from the project root (``pip install flask`` and ``npm install`` first):

    python examples/flask_rooms/app.py            # http://127.0.0.1:8080/
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, Response, request, send_file  # noqa: E402

# With gevent-socketio these were: from socketio import socketio_manage, from
# socketio.namespace import BaseNamespace, from socketio.mixins import ..., and
# from socketio.server import SocketIOServer.
from geventsio import socketio_manage  # noqa: E402
from geventsio.mixins import BroadcastMixin, RoomsMixin  # noqa: E402
from geventsio.namespace import BaseNamespace  # noqa: E402
from geventsio.server import SocketIOServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class RoomsNamespace(BaseNamespace, RoomsMixin, BroadcastMixin):
    """One user: a nickname, at most one room at a time, messages to that room."""

    def initialize(self) -> None:
        self.room: str | None = None

    def on_nickname(self, nickname: str) -> list[str]:
        """Remember the nickname for this client; tell everyone; answer with all names."""
        self.session["nickname"] = nickname
        self.broadcast_event("announcement", f"{nickname} has connected")
        return [nickname]

    def on_join(self, room: str) -> str:
        """Move to ``room`` (leaving the previous one); the others there are told."""
        if self.room is not None:
            self.emit_to_room(self.room, "announcement",
                              f"{self.session.get('nickname')} left {self.room}")
            self.leave(self.room)
        self.room = room
        self.join(room)
        self.emit_to_room(room, "announcement", f"{self.session.get('nickname')} joined {room}")
        return room

    def on_user_message(self, text: str) -> None:
        """Say ``text`` to the others in my room (gevent-socketio's emit_to_room)."""
        if self.room is None:
            self.error("no_room", "join a room first")
            return
        self.emit_to_room(self.room, "msg_to_room", self.session.get("nickname"), text)

    def recv_disconnect(self) -> None:
        nickname = self.session.get("nickname")
        if nickname is not None:
            self.broadcast_event_not_me("announcement", f"{nickname} has disconnected")


def create_app() -> Flask:
    """The Flask application: the page, and the view that hands Socket.IO requests over."""
    app = Flask(__name__)

    @app.route("/")
    def index() -> Any:
        return send_file(os.path.join(HERE, "index.html"))

    @app.route("/socket.io/<path:remaining>")
    def socketio(remaining: str) -> Response:
        socketio_manage(request.environ, {"/rooms": RoomsNamespace}, request)
        return Response()

    return app


def make_server(host: str = "127.0.0.1", port: int = 8080, **options: Any) -> SocketIOServer:
    """The server the example runs (also used by its test)."""
    return SocketIOServer((host, port), create_app(), resource="socket.io", **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(f"Listening on http://{args.host}:{args.port}/")
    server.serve_forever()


if __name__ == "__main__":
    main()
