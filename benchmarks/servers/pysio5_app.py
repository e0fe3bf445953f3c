"""The Python peer: python-socketio 5 on gevent, the same echo and broadcast jobs.

Run with the peers venv's python: ``python benchmarks/servers/pysio5_app.py PORT``.
python-socketio speaks Engine.IO 4 / Socket.IO 5, a different protocol from ours, so the
load generator speaks that protocol to it; the work per event is the same.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import socketio  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

ROOM = "bench"
sio = socketio.Server(async_mode="gevent", cors_allowed_origins="*")


@sio.event
def connect(sid: str, environ: dict, auth: object = None) -> None:
    sio.enter_room(sid, ROOM)


@sio.on("echo")
def echo(sid: str, *args: object) -> None:
    sio.emit("echo", args[0] if len(args) == 1 else list(args), to=sid)


@sio.on("bcast")
def bcast(sid: str, *args: object) -> None:
    sio.emit("bcast", args[0] if len(args) == 1 else list(args), room=ROOM)


def main(port: int) -> None:
    """Serve on 127.0.0.1:``port`` until killed."""
    app = socketio.WSGIApp(sio)
    WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None,
               backlog=4096).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
