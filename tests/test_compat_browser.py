"""The gevent-socketio style chat (tests/compat/chat.py) in headless Chromium, with the
0.9.16 browser client: nicknames, a zero-argument callback, rooms, the clock's dict
packets through ``server.sockets``, and ``self.socket['/chat']`` from ``''``."""

from __future__ import annotations

from typing import Any, Iterator

import gevent
import pytest

from .browser import Chromium, require_chromium
from .browser_apps import page_app
from .compat import chat
from .test_browser import PageSocket, close_clean, open_page

TIMERS = dict(heartbeat_interval=1, heartbeat_timeout=3, close_timeout=2, polling_duration=1)


def _app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ["PATH_INFO"].startswith("/socket.io"):
        return chat.application(environ, start_response)
    return page_app(environ, start_response)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as browser:
        yield browser


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_compat_chat_in_chromium(chromium, tmp_path, transport):
    server = chat.make_server("127.0.0.1", 0, str(tmp_path / "log"), app=_app, **TIMERS)
    server.start()
    clock = gevent.spawn(chat.clock, server, 0.2)
    try:
        page = open_page(chromium, f"http://127.0.0.1:{server.server_port}")
        ann = PageSocket(page, "ann")
        ann.connect(transport, ns="/chat")
        ben = PageSocket(page, "ben")
        ben.connect(transport, ns="/chat")
        ann.reply("welcome")
        ann.emit("nickname", "ann", ack="n1")
        assert ann.wait_ack("n1") == [True]
        assert ann.wait_event("welcomed") == ["ann"]   # the zero-argument callback ran
        ben.emit("nickname", "ben", ack="n2")
        assert ben.wait_ack("n2") == [True]
        for sock, key in ((ann, "j1"), (ben, "j2")):
            sock.emit("join", "lobby", ack=key)
            assert sock.wait_ack(key) == ["lobby"]
        ben.emit("user message", "lobby", "</script><b>hi</b>")
        assert ann.wait_event("msg_to_room") == ["ben", "</script><b>hi</b>"]
        assert ann.wait_event("tick")[0] >= 1 and ben.wait_event("tick")[0] >= 1
        main = ann.of("ann-main", "")
        main.emit("shout", "hey")
        assert ann.wait_event("shout") == ["hey", server.server_port]
        assert ben.log("welcomed") == []
        close_clean(page)
    finally:
        clock.kill()
        server.stop(timeout=2)
