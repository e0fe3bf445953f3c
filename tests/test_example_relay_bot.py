"""examples/relay_bot: lines written to a local socket reach a room in headless Chromium
(the 0.9.16 browser client); the IRC flavour against a scripted IRC server on a socket."""

from __future__ import annotations

import os
import socket
import sys
from typing import Iterator

import pytest

from geventsio.client import NamespaceRefused
from geventsio.testing import AppServer

from .browser import Chromium, require_chromium
from .conftest import ROOT, wait_until

sys.path.insert(0, os.path.join(ROOT, "examples", "relay_bot"))

import relay_bot  # noqa: E402  (the example module itself)

LINES = "() => Array.from(document.querySelectorAll('#lines p')).map((p) => p.textContent)"
TOKEN = "test-token"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as chromium:
        yield chromium


@pytest.fixture
def served() -> Iterator[AppServer]:
    server = relay_bot.make_server("127.0.0.1", 0, TOKEN, log=None, close_timeout=2,
                                   polling_duration=1)
    with AppServer(server=server) as app_server:
        yield app_server


@pytest.fixture
def feed() -> Iterator[socket.socket]:
    """The feed's listening socket, on a free 127.0.0.1 port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    yield listener
    listener.close()


def _accept(listener: socket.socket) -> socket.socket:
    listener.settimeout(15)
    conn, _ = listener.accept()
    conn.settimeout(15)
    return conn


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_tcp_lines_reach_the_room_in_chromium(browser, served, feed, transport):
    news = browser.open(f"{served.url}/?room=news&transport={transport}")
    sports = browser.open(f"{served.url}/?room=sports&transport={transport}")
    for page, room in ((news, "news"), (sports, "sports")):
        page.wait(f"() => document.getElementById('status').textContent === 'in {room} via {transport}'")
    bot = relay_bot.RelayBot(f"tcp://127.0.0.1:{feed.getsockname()[1]}", served.url,
                             "news", TOKEN).start()
    try:
        conn = _accept(feed)
        text = "breaking: </script><b>x</b> \u00e9 \U0001F600"
        conn.sendall(f"first line\r\n{text}\nhalf ".encode())
        conn.sendall(b"a line\n")
        expected = ["first line", text, "half a line"]
        news.wait("(n) => document.querySelectorAll('#lines p').length >= n", len(expected))
        assert news.eval(LINES) == expected
        assert news.eval("() => document.querySelectorAll('#lines b').length") == 0

        conn.close()  # the feed ends: the bot reconnects to it
        conn = _accept(feed)
        conn.sendall(b"after the feed came back\n")
        news.wait("(t) => document.getElementById('lines').textContent.includes(t)",
                  "after the feed came back")
        conn.close()
        assert sports.eval(LINES) == []  # another room got nothing
        assert news.close() == [] and sports.close() == []
    finally:
        bot.stop()


def test_only_the_bot_may_relay(served):
    stranger = served.client("xhr-polling")
    with pytest.raises(NamespaceRefused):
        stranger.of("/bot")


def test_irc_channel_messages_reach_the_room(served, feed):
    reader = served.client("websocket", namespace="/feed")
    reader.emit("join", "irc")
    bot = relay_bot.RelayBot(f"irc://bot@127.0.0.1:{feed.getsockname()[1]}/#geventsio",
                             served.url, "irc", TOKEN).start()
    try:
        conn = _accept(feed)
        received = conn.makefile("rb")
        assert received.readline() == b"NICK bot\r\n"
        assert received.readline().startswith(b"USER bot ")
        conn.sendall(b":irc.test 001 bot :Welcome\r\n")
        assert received.readline() == b"JOIN #geventsio\r\n"
        conn.sendall(b"PING :abc123\r\n")
        assert received.readline() == b"PONG :abc123\r\n"
        conn.sendall(b":carol!c@host PRIVMSG #geventsio :hi all \xc3\xa9\r\n"
                     b":dave!d@host PRIVMSG bot :a private word\r\n"
                     b":erin!e@host PRIVMSG #GeventSIO :case does not matter\r\n")
        assert reader.wait_for("line") == ("<carol> hi all \u00e9",)
        assert reader.wait_for("line") == ("<erin> case does not matter",)
        wait_until(lambda: bot.relayed == 2, 10, lambda: f"{bot.relayed} relayed")
        conn.close()
    finally:
        bot.stop()
