"""The ceiling: gevent-websocket echoing text frames, no Socket.IO framing at all.

Run as ``python benchmarks/servers/raw_websocket.py PORT``. Every text message is sent
back as is, except one starting with ``b``, which goes to every connected client (the
broadcast scenario's ceiling). This is the least any gevent websocket server does per
message, so geventsio's echo is measured against it.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from typing import Any, Callable  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402
from geventwebsocket.exceptions import WebSocketError  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

CLIENTS: set[Any] = set()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Echo (or broadcast) every message of one websocket until it closes."""
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"websocket only\n"]
    CLIENTS.add(ws)
    try:
        while True:
            message = ws.receive()
            if message is None:
                break
            if message.startswith("b"):
                for client in list(CLIENTS):
                    _send_quietly(client, message)
            else:
                ws.send(message)
    except WebSocketError:
        pass
    finally:
        CLIENTS.discard(ws)
    return []


def _send_quietly(ws: Any, message: str) -> None:
    try:
        ws.send(message)
    except WebSocketError:
        CLIENTS.discard(ws)


def main(port: int) -> None:
    """Serve on 127.0.0.1:``port`` until killed."""
    WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None,
               backlog=4096).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
