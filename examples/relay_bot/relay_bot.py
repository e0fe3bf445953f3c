"""A bot that relays a line-based feed (plain TCP or IRC) into a Socket.IO room.

The counterpart of the Socket.IO 0.7 release's IRC bot: an outside stream of lines shows
up live in browsers. Three parts, all in this file:

* the server: browsers join a room of ``/feed`` and receive ``line`` events;
* ``/bot``, a namespace only the bot may join (a token in its handshake query);
* :class:`RelayBot`, which reads the feed and talks to the server with geventsio's own
  Python client (``geventsio.client``), over a real socket like any other client, so it
  can as well relay into a server in another process or on another machine.

From the project root, after ``pip install -e .`` and ``npm install``::

    .venv/bin/python examples/relay_bot/relay_bot.py --feed tcp://127.0.0.1:7000 --room news
    .venv/bin/python examples/relay_bot/relay_bot.py --feed irc://irc.example.org:6667/#chan

then open http://127.0.0.1:8080/?room=news. With ``tcp://`` every line received is
relayed; with ``irc://`` the bot joins the channel and relays its messages as
``<nick> text``. The bot reconnects to the feed with a growing delay when it ends.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402

from geventsio import BaseNamespace, SocketIOServer  # noqa: E402
from geventsio.client import Client  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_LINE = 4096  # longer lines are cut
log = logging.getLogger("relay_bot")


# -- the server ------------------------------------------------------------------------


class FeedNamespace(BaseNamespace):
    """Browsers: join one room and receive its lines."""

    def on_join(self, room: str) -> str:
        for old in self.rooms:
            self.leave(old)
        self.join(str(room))
        return str(room)


def make_bot_namespace(token: str, server_of: Callable[[str], Any]) -> type:
    """The ``/bot`` namespace: only a client with ``token`` may join; it relays lines."""

    class BotNamespace(BaseNamespace):
        def authorize(self, handshake: dict[str, Any]) -> bool:
            return secrets.compare_digest(handshake["query"].get("token", ""), token)

        def on_line(self, room: str, text: str) -> int:
            return server_of("/feed").in_(str(room)).emit("line", str(text)[:MAX_LINE])

    return BotNamespace


def index_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    if environ["PATH_INFO"] != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    with open(os.path.join(HERE, "index.html"), "rb") as fh:
        body = fh.read()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [body]


def make_server(host: str, port: int, token: str, **options: Any) -> SocketIOServer:
    """The server browsers and the bot connect to."""
    holder: list[SocketIOServer] = []
    bot_namespace = make_bot_namespace(token, lambda endpoint: holder[0].of(endpoint))
    server = SocketIOServer((host, port), index_app,
                            namespaces={"/feed": FeedNamespace, "/bot": bot_namespace},
                            **options)
    holder.append(server)
    return server


# -- the feeds -------------------------------------------------------------------------


def read_lines(sock: socket.socket) -> Iterator[str]:
    """Lines (without their end) from ``sock`` until it closes; UTF-8, bad bytes replaced."""
    buffer = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            yield raw.rstrip(b"\r").decode("utf-8", "replace")[:MAX_LINE]
        if len(buffer) > MAX_LINE:  # a line that never ends: keep its start only
            yield buffer[:MAX_LINE].decode("utf-8", "replace")
            buffer = b""


def tcp_feed(sock: socket.socket, _target: Any) -> Iterator[str]:
    """Every line is news."""
    yield from read_lines(sock)


def irc_feed(sock: socket.socket, target: Any) -> Iterator[str]:
    """Register, join the channel, answer PINGs; yield ``<nick> text`` for its messages."""
    nick = target.username or "relaybot"
    channel = "#" + (target.fragment or target.path.strip("/").lstrip("#"))
    sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :geventsio relay bot\r\n".encode())
    for line in read_lines(sock):
        prefix, _, rest = line.partition(" ") if line.startswith(":") else ("", "", line)
        command, _, params = rest.partition(" ")
        if command == "PING":
            sock.sendall(f"PONG {params}\r\n".encode())
        elif command == "001":  # registered: now join
            sock.sendall(f"JOIN {channel}\r\n".encode())
        elif command == "PRIVMSG":
            where, _, text = params.partition(" :")
            if where.lower() == channel.lower():
                yield f"<{prefix[1:].split('!')[0]}> {text}"


FEEDS = {"tcp": tcp_feed, "irc": irc_feed}


class RelayBot:
    """Reads ``feed`` (``tcp://host:port`` or ``irc://[nick@]host:port/#channel``) and
    emits each line into ``room`` of the Socket.IO server at ``url``."""

    def __init__(self, feed: str, url: str, room: str, token: str) -> None:
        self.target = urlsplit(feed)
        if self.target.scheme not in FEEDS or not self.target.port:
            raise ValueError(f"feed must be tcp://host:port or irc://host:port/#chan, got {feed!r}")
        self.url, self.room, self.token = url, room, token
        self.client: Client | None = None
        self.relayed = 0
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> "RelayBot":
        self.client = Client(self.url, query={"token": self.token}).connect()
        self.bot = self.client.of("/bot")
        self._greenlet = gevent.spawn(self._run)
        return self

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
        if self.client is not None:
            self.client.disconnect()

    def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                with socket.create_connection((self.target.hostname, self.target.port),
                                              timeout=10) as sock:
                    sock.settimeout(None)
                    delay = 0.5
                    log.info("reading %s", self.target.geturl())
                    for line in FEEDS[self.target.scheme](sock, self.target):
                        self.bot.emit("line", self.room, line)
                        self.relayed += 1
            except OSError as exc:
                log.info("feed %s: %s", self.target.geturl(), exc)
            gevent.sleep(delay)
            delay = min(delay * 2, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feed", required=True, help="tcp://host:port or irc://host:port/#chan")
    parser.add_argument("--room", default="news")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    token = secrets.token_urlsafe(16)
    server = make_server(args.host, args.port, token)
    server.start()
    RelayBot(args.feed, f"http://{args.host}:{server.server_port}", args.room, token).start()
    print(f"Listening on http://{args.host}:{server.server_port}/?room={args.room}")
    server.serve_forever()


if __name__ == "__main__":
    main()
