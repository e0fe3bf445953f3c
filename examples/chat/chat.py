"""A chat room: the main geventsio example.

Run it from the project root (after ``npm install``, which brings the browser client):

    python examples/chat/chat.py            # http://127.0.0.1:8080/

Open the page in two browser windows, pick nicknames and talk. ``--port`` and ``--host``
change where it listens (127.0.0.1:8080 by default).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

from geventsio import BaseNamespace, SocketIOServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Roster:
    """The nicknames in use on one server, by sid."""

    def __init__(self) -> None:
        self.by_sid: dict[str, str] = {}

    def claim(self, sid: str, nickname: str) -> bool:
        """Give ``nickname`` to ``sid``; False when it is empty or someone has it."""
        if not nickname or nickname in self.by_sid.values():
            return False
        self.by_sid[sid] = nickname
        return True

    def names(self) -> list[str]:
        return sorted(self.by_sid.values())


class ChatNamespace(BaseNamespace):
    """One chat user; ``roster`` is set on the subclass that make_server builds."""

    roster: Roster

    def recv_connect(self) -> None:
        self.emit("nicknames", self.roster.names())

    def on_nickname(self, nickname: Any) -> bool:
        """Claim a nickname; the ack data says whether it was taken (as in the 0.7 demo)."""
        nickname = str(nickname).strip()[:32]
        if not self.roster.claim(self.socket.sid, nickname):
            return True
        self.broadcast.emit("announcement", f"{nickname} connected")
        self.io.emit("nicknames", self.roster.names())
        return False

    def on_user_message(self, text: Any) -> None:
        nickname = self.roster.by_sid.get(self.socket.sid)
        if nickname is None:
            self.error("no_nickname", "choose a nickname first")
            return
        self.broadcast.emit("user message", nickname, str(text)[:2000])

    def recv_disconnect(self) -> None:
        nickname = self.roster.by_sid.pop(self.socket.sid, None)
        if nickname is not None:
            self.broadcast.emit("announcement", f"{nickname} disconnected")
            self.broadcast.emit("nicknames", self.roster.names())


def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The WSGI app for everything that is not Socket.IO: the chat page."""
    if environ["PATH_INFO"] not in ("/", "/index.html"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    with open(os.path.join(HERE, "index.html"), "rb") as fh:
        body = fh.read()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]


def make_server(host: str = "127.0.0.1", port: int = 8080, **options: Any) -> SocketIOServer:
    """The chat server, not yet started (tests start it on a free port)."""
    chat = type("Chat", (ChatNamespace,), {"roster": Roster()})
    return SocketIOServer((host, port), page, namespaces={"/chat": chat}, **options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = make_server(args.host, args.port)
    print(f"chat on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
