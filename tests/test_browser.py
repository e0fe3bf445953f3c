"""The real 0.9.16 browser client in headless Chromium, every browser transport in turn.

One Chromium for the module (``tests/browser.py``); each test starts its own server on a
free port, serving ``tests/browser/page.html``, whose helper ``window.T``
(``tests/browser/harness.js``) loads ``/socket.io/socket.io.js`` from that server and opens
sockets with one transport forced. Every test asserts the transport the client really
uses, so a fallback cannot make it pass. htmlfile is IE-only in the client; the page
stands in an ``ActiveXObject('htmlfile')`` made of a hidden iframe (see harness.js and
docs/testing.md). Without Chromium the tests are skipped, visibly; under ``CI`` they fail.
"""

from __future__ import annotations

import socket
from typing import Any, Iterator

import pytest
from gevent.baseserver import BaseServer
from gevent.pool import Pool
from gevent.pywsgi import WSGIServer

from geventsio import SocketIOServer

from .browser import BrowserError, Chromium, Page, require_chromium
from .browser_apps import make_browser_namespaces, page_app
from .conftest import LiveServer, wait_until

TRANSPORTS = ["websocket", "htmlfile", "xhr-polling", "jsonp-polling"]

#: Strings that break naive JSONP, htmlfile and framing encoders; each must arrive as sent,
#: and none may run script in the page.
PAYLOADS = [
    "</script><script>window.pwned=1</script>",
    "</SCRIPT ><img src=x onerror=\"window.pwned=1\">",
    '");window.pwned=1;//',
    "');window.pwned=1;//",
    '\\");window.pwned=1;//',
    "<!--<script>",
    "quote \" apostrophe ' backslash \\ slash / escaped slash \\/ double \\\\",
    "line\nbreak\r\ncarriage\rtab\t",
    "line separator \u2028 paragraph separator \u2029",
    "emoji \U0001F600 \U0001F4A9, \u00e9 \u00fc \u00df \u65e5\u672c\u8a9e",
    "\ufffd5\ufffdlooks like framing\ufffd",
    "control \u0001 \u001f and \u007f",
    "]]> -->",
]
JSON_PAYLOAD = {"</script>": PAYLOADS, "nested": [{"\u2028": "\U0001F600"}, None, 1.5, True]}


def as_received(transport: str, value: Any) -> Any:
    r"""What the 0.9.16 client hands the page for ``value`` sent by the server.

    Intact, except on htmlfile: the client's callback runs ``data.replace(/\\\//g, '/')``
    on every packet it receives (to undo the server's escaping of ``/``, GH-1251), after the
    script tag's string was already decoded, so any backslash followed by a slash loses the
    backslash. The reference server gives the same result. (In JSON data a server could
    write ``/`` as ``\u002f`` to dodge it; in a plain message nothing can.)
    """
    if transport != "htmlfile":
        return value
    if isinstance(value, str):
        return value.replace("\\/", "/")
    if isinstance(value, list):
        return [as_received(transport, item) for item in value]
    if isinstance(value, dict):
        return {as_received(transport, k): as_received(transport, v) for k, v in value.items()}
    return value


#: Short timers: a closed polling page is timed out in 2 s; htmlfile's client gives up on a
#: silent stream after the 3 s heartbeat timeout.
TIMERS = dict(heartbeat_interval=1, heartbeat_timeout=3, close_timeout=2, polling_duration=1)

RECORD = "(a) => { var f = T.find(a.name, a.type, a.key); return f.length >= a.count ? f : null; }"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as browser:
        yield browser


@pytest.fixture
def server(make_server: Any, recorder: Any) -> LiveServer:
    """The page, the client file and the test namespaces, with short timers."""
    return make_server(app=page_app, namespaces=make_browser_namespaces(recorder),
                       **TIMERS)


class PageSocket:
    """One client socket of a page, named ``name`` in ``window.T``."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name

    def connect(self, transport: str, **options: Any) -> dict[str, Any]:
        """Open the socket with ``transport`` forced; its state once connected."""
        self.page.eval("(a) => T.connect(a.name, a.o)",
                       {"name": self.name, "o": {"transport": transport, **options}})
        return self.wait_connected()

    def wait_connected(self, timeout: float = 15) -> dict[str, Any]:
        return self.page.wait(
            "(a) => { var s = T.state(a); return s.connected && s.sid ? s : null; }",
            self.name, timeout)

    def of(self, name: str, ns: str) -> "PageSocket":
        """Join namespace ``ns`` on this socket's connection, as socket ``name``."""
        self.page.eval("(a) => T.of(a.name, a.of, a.ns)", {"name": name, "of": self.name,
                                                            "ns": ns})
        return PageSocket(self.page, name)

    def state(self) -> dict[str, Any]:
        return self.page.eval("(a) => T.state(a)", self.name)

    def emit(self, event: str, *args: Any, ack: str | None = None) -> None:
        self.page.eval("(a) => T.emit(a.name, a.event, a.args, a.ack)",
                       {"name": self.name, "event": event, "args": list(args), "ack": ack})

    def send(self, data: str) -> None:
        self.page.eval("(a) => T.send(a.name, a.data)", {"name": self.name, "data": data})

    def reply(self, event: str, *args: Any) -> None:
        self.page.eval("(a) => T.reply(a.name, a.event, a.args)",
                       {"name": self.name, "event": event, "args": list(args)})

    def disconnect(self) -> None:
        self.page.eval("(a) => T.disconnect(a)", self.name)

    def wait(self, kind: str, count: int = 1, key: str | None = None,
             timeout: float = 15) -> list[dict[str, Any]]:
        """Wait for ``count`` log entries of ``kind`` (an event name, '#ack', ...)."""
        try:
            return self.page.wait(RECORD, {"name": self.name, "type": kind, "key": key,
                                           "count": count}, timeout)
        except BrowserError as exc:
            seen = self.page.eval("(a) => T.sockets[a].log.map(function (e) {"
                                  " return e.type + ' ' + JSON.stringify(e.args); })", self.name)
            raise BrowserError(f"{exc}\nsocket {self.name} saw: {seen[-30:]}") from None

    def wait_event(self, event: str, count: int = 1, timeout: float = 15) -> list[Any]:
        """The arguments of the ``count``-th ``event`` this socket received."""
        return self.wait(event, count, timeout=timeout)[count - 1]["args"]

    def wait_ack(self, key: str) -> list[Any]:
        return self.wait("#ack", key=key)[0]["args"]

    def log(self, kind: str) -> list[dict[str, Any]]:
        return self.page.eval("(a) => T.find(a.name, a.type)", {"name": self.name, "type": kind})

    def fence(self) -> None:
        """Round trip through the server: whatever it sent us before has arrived."""
        count = len(self.log("echo")) + 1
        self.emit("echo", "fence")
        self.wait("echo", count)


def open_page(chromium: Chromium, page_url: str, server_url: str | None = None) -> Page:
    """The test page, its client loaded (from ``server_url``, default the page's server)."""
    url = page_url + "/page.html" + (f"?server={server_url}" if server_url else "")
    page = chromium.open(url)
    page.wait("() => T.clientLoaded || T.clientError")
    assert page.eval("() => T.clientError") is None
    return page


def sockets(page: Page, *names: str) -> list[PageSocket]:
    return [PageSocket(page, name) for name in names]


def close_clean(page: Page) -> None:
    """Close the page; it must not have logged an error or run an injected script."""
    assert page.eval("() => T.pwned()") == []
    assert page.close() == []


# -- 1. connect, events, acks both ways ---------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_events_and_acks(chromium: Chromium, server: LiveServer, transport: str) -> None:
    page = open_page(chromium, server.url)
    (a,) = sockets(page, "a")
    state = a.connect(transport)
    assert state["transport"] == transport
    sid = state["sid"]
    connected = server.recorder.wait_for("connect", sid=sid, ns="")
    assert connected[0]["transport"] == transport
    assert connected[0]["xdomain"] is False   # a same-origin handshake carries no Origin
    assert a.wait_event("welcome") == [sid]

    # events both ways, with JSON of every kind
    data = ["h\u00e9llo", 42, 1.5, None, True, {"list": [1, "two", {"three": []}]}]
    a.emit("echo", *data)
    assert a.wait_event("echo") == data
    assert server.recorder.wait_for("echo", sid=sid)[0]["args"] == data

    # client -> server ack: the handler's return value is the ack data
    a.emit("ack_me", "x", {"n": 2}, ack="k1")
    assert a.wait_ack("k1") == ["acked", "x", {"n": 2}]

    # server -> client ack: the page's listener calls the ack function it is given
    a.reply("ask", "answer from the page", {"token": sid})
    a.emit("ask_me", "token-1")
    asked = a.wait("ask")[0]
    assert asked["args"] == ["token-1"] and asked["wantsAck"] is True
    answered = server.recorder.wait_for("answer", sid=sid)
    assert answered[0]["args"] == ["answer from the page", {"token": sid}]
    assert a.wait_event("answer") == ["answer from the page", {"token": sid}]

    # plain messages (3:::)
    a.send("a plain message")
    assert a.wait_event("message") == ["a plain message"]
    assert server.recorder.wait_for("message", sid=sid)[0]["data"] == "a plain message"

    # a second namespace multiplexed on the same connection
    chat = a.of("chat", "/chat")
    chat.wait("connect")
    assert server.recorder.wait_for("connect", sid=sid, ns="/chat")
    assert chat.wait_event("welcome") == [sid]
    chat.emit("echo", "on /chat")
    assert chat.wait_event("echo") == ["on /chat"]
    a.fence()
    assert [e["args"] for e in a.log("echo")] == [data, ["fence"]]   # nothing of /chat

    assert a.state()["transport"] == transport
    if transport == "htmlfile":   # the data came through the shim's forever iframe
        assert page.eval("() => T.htmlfileDocs") == 1
    assert len(server.manager.sessions) == 1
    close_clean(page)


# -- 4. payloads that break naive encoders ------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_payloads_intact_and_inert(chromium: Chromium, server: LiveServer,
                                   transport: str) -> None:
    page = open_page(chromium, server.url)
    (a,) = sockets(page, "a")
    sid = a.connect(transport)["sid"]
    a.emit("payload", *PAYLOADS, JSON_PAYLOAD, ack="p")
    # the server got exactly what the page sent
    assert server.recorder.wait_for("payload", sid=sid)[0]["args"] == [*PAYLOADS, JSON_PAYLOAD]
    # and what the server sends back as an event arrives intact
    assert a.wait_event("payload") == as_received(transport, [*PAYLOADS, JSON_PAYLOAD])
    # and as ack data (U+2028/U+2029 included: see test_ack_data_with_line_separators)
    assert a.wait_ack("p") == as_received(transport, [*PAYLOADS, JSON_PAYLOAD])
    # the page's ack to a server question carries them all intact
    a.reply("ask", *PAYLOADS, JSON_PAYLOAD)
    a.emit("ask_me", "payloads")
    assert server.recorder.wait_for("answer", sid=sid)[0]["args"] == [*PAYLOADS, JSON_PAYLOAD]
    # several packets in one poll answer / one htmlfile chunk: the framing counts UTF-16
    for text in PAYLOADS:
        a.send(text)
    received = [entry["args"] for entry in a.wait("message", len(PAYLOADS))]
    assert received == [[as_received(transport, text)] for text in PAYLOADS]
    assert [item["data"] for item in server.recorder.find("message", sid=sid)] == PAYLOADS
    assert a.state()["transport"] == transport
    close_clean(page)


# -- 2. broadcast and rooms --------------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_broadcast_reaches_everyone_but_the_sender(chromium: Chromium, server: LiveServer,
                                                   transport: str) -> None:
    first, second = open_page(chromium, server.url), open_page(chromium, server.url)
    a, b = sockets(first, "a", "b")          # two connections in one page
    (c,) = sockets(second, "c")              # and one in another page
    for socket in (a, b, c):
        assert socket.connect(transport)["transport"] == transport
    server.wait_sessions(3)
    a.emit("shout", "from a", {"n": 1})
    assert b.wait_event("shout") == ["from a", {"n": 1}]
    assert c.wait_event("shout") == ["from a", {"n": 1}]
    a.fence()   # a's echo answer comes after anything queued for a by the shout
    assert a.log("shout") == []
    close_clean(first)
    close_clean(second)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rooms(chromium: Chromium, server: LiveServer, transport: str) -> None:
    first, second = open_page(chromium, server.url), open_page(chromium, server.url)
    a, b = sockets(first, "a", "b")
    (c,) = sockets(second, "c")
    for socket in (a, b, c):
        assert socket.connect(transport)["transport"] == transport
    a.emit("join", "r1", ack="ja")
    b.emit("join", "r1", ack="jb")
    assert "r1" in a.wait_ack("ja")[0]
    assert "r1" in b.wait_ack("jb")[0]

    # a room emit from a non-member reaches the members only
    c.emit("to_room", "r1", "hello r1")
    assert a.wait_event("room") == ["r1", "hello r1"]
    assert b.wait_event("room") == ["r1", "hello r1"]
    c.fence()
    assert c.log("room") == []

    # broadcast.to(room): the members but the sender
    a.emit("to_room_not_me", "r1", "from a")
    assert b.wait_event("room", 2) == ["r1", "from a"]
    a.fence()
    c.fence()
    assert len(a.log("room")) == 1 and c.log("room") == []

    # after leaving, b gets nothing more
    b.emit("leave", "r1", ack="lb")
    assert "r1" not in b.wait_ack("lb")[0]
    c.emit("to_room", "r1", "after leave")
    assert a.wait_event("room", 2) == ["r1", "after leave"]
    b.fence()
    assert len(b.log("room")) == 2
    close_clean(first)
    close_clean(second)


# -- 3. disconnect and reconnect ----------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_disconnect_both_ways(chromium: Chromium, server: LiveServer, transport: str) -> None:
    page = open_page(chromium, server.url)
    a, b = sockets(page, "a", "b")

    # the client says goodbye: the server runs recv_disconnect and forgets the session
    sid = a.connect(transport)["sid"]
    a.disconnect()
    assert a.wait("disconnect")[0]["args"] == ["booted"]
    # the goodbye (0::) arrived: not the close timeout, not a lost transport (on htmlfile
    # the client removes its forever iframe right after posting 0::; the server waits)
    assert server.recorder.wait_for("disconnect", sid=sid)[0]["reason"] == "client disconnect"
    server.wait_sessions(0)

    # the server says goodbye (self.disconnect()): the page sees it, nothing is left
    sid = b.connect(transport)["sid"]
    b.emit("kick_me")
    assert b.wait("disconnect")[0]["args"] == ["booted"]
    assert b.state()["connected"] is False
    assert server.recorder.wait_for("disconnect", sid=sid)[0]["reason"] == "server disconnect"
    server.wait_sessions(0)
    close_clean(page)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reconnect_after_the_server_drops_the_session(chromium: Chromium, server: LiveServer,
                                                      transport: str) -> None:
    page = open_page(chromium, server.url)
    (a,) = sockets(page, "a")
    old = a.connect(transport, reconnect=True)["sid"]
    a.emit("vanish")   # the session ends on the server; the client is not told
    server.recorder.wait_for("disconnect", sid=old)
    reconnect = a.wait("reconnect", timeout=20)[0]
    assert reconnect["args"][0] == transport
    # The page settles on one session, the only one the server holds; its state is waited
    # for, not read once. Over jsonp-polling the page may first cycle through another: the
    # 0.9.16 client hands the data of a jsonp poll to the socket even after that transport
    # was closed (JSONPPolling.prototype._ calls onData unconditionally; xhr-polling drops
    # it). On a loaded machine the dropped session's last poll can be answered (7:::1+0,
    # advice reconnect) after the new session connected, even after the page's
    # ``reconnect`` event; the client then disconnects the new session (0::, "client
    # disconnect" here) and reconnects once more. Seen in full runs only, with the
    # recorder showing exactly that.
    seen: list[dict[str, Any]] = []

    def settled() -> bool:
        state = a.state()
        seen.append(state)
        return bool(state["connected"]) and list(server.manager.sessions) == [state["sid"]]

    wait_until(settled, timeout=30, describe=lambda: "\n".join(
        [repr(item) for item in server.recorder.items[-12:]] + [repr(a.state())]))
    new = seen[-1]
    assert new["transport"] == transport and new["sid"] != old
    current = new["sid"]
    server.recorder.wait_for("connect", sid=current)
    a.emit("echo", "after reconnect")
    assert a.wait_event("echo") == ["after reconnect"]

    # the page goes away without a goodbye: the session times out, nothing is left
    page.close()
    gone = server.recorder.wait_for("disconnect", sid=current)[0]["reason"]
    # a websocket or a streaming htmlfile response sees its connection close; a polling
    # client between polls can only be timed out
    streaming = transport in ("websocket", "htmlfile")
    assert gone == ("transport closed" if streaming else "close timeout")
    server.wait_sessions(0)


def test_ack_data_with_line_separators(chromium: Chromium, server: LiveServer) -> None:
    """The client reads ack data with /^([0-9]+)(\\+)?(.*)/, whose `.` stops at U+2028 and
    U+2029: the server must escape them there, or the callback gets no arguments."""
    page = open_page(chromium, server.url)
    (a,) = sockets(page, "a")
    a.connect("xhr-polling")
    data = ["line separator \u2028", "paragraph separator \u2029", {"\u2028": 1}]
    a.emit("ack_me", *data, ack="k")
    try:
        assert a.wait_ack("k") == ["acked", *data]
    finally:
        page.close()


# -- cross-origin --------------------------------------------------------------------------
@pytest.fixture
def page_origin() -> Iterator[str]:
    """A plain WSGI server for the page alone: another port, so another origin."""
    pages = WSGIServer(("127.0.0.1", 0), page_app, log=None)
    pages.start()
    try:
        yield f"http://127.0.0.1:{pages.server_port}"
    finally:
        pages.stop(timeout=2)


@pytest.fixture
def cross_server(make_server: Any, recorder: Any, page_origin: str) -> LiveServer:
    """The Socket.IO server, allowing exactly the page's origin."""
    return make_server(app=page_app, namespaces=make_browser_namespaces(recorder),
                       origins=page_origin.removeprefix("http://"),
                       **TIMERS)


@pytest.mark.parametrize("transport", ["xhr-polling", "jsonp-polling", "websocket"])
def test_cross_origin(chromium: Chromium, cross_server: LiveServer, page_origin: str,
                      transport: str) -> None:
    page = open_page(chromium, page_origin, cross_server.url)
    assert page.eval("() => location.origin") != cross_server.url
    (a,) = sockets(page, "a")
    state = a.connect(transport)
    assert state["transport"] == transport
    connected = cross_server.recorder.wait_for("connect", sid=state["sid"])
    assert connected[0]["xdomain"] is True
    a.emit("echo", "across \U0001F310 origins")
    assert a.wait_event("echo") == ["across \U0001F310 origins"]
    a.emit("ack_me", "x", ack="k")
    assert a.wait_ack("k") == ["acked", "x"]
    a.reply("ask", "cross answer")
    a.emit("ask_me", "q")
    assert cross_server.recorder.wait_for("answer", sid=state["sid"])[0]["args"] == [
        "cross answer"]
    # the handshake went over CORS XHR: one io.j callback, the transport's own (if jsonp)
    assert page.eval("() => io.j.length") == (1 if transport == "jsonp-polling" else 0)
    close_clean(page)


def test_cross_origin_jsonp_handshake(chromium: Chromium, cross_server: LiveServer,
                                      page_origin: str) -> None:
    """A browser without CORS does the handshake with a script tag (``&jsonp=N``) too."""
    page = open_page(chromium, page_origin, cross_server.url)
    page.eval("() => { io.util.ua.hasCORS = false; }")   # as IE 8/9 would report
    (a,) = sockets(page, "a")
    state = a.connect("jsonp-polling")
    assert state["transport"] == "jsonp-polling"
    assert page.eval("() => io.j.length") == 2   # the handshake's callback and the transport's
    a.emit("payload", *PAYLOADS, ack="p")
    assert cross_server.recorder.wait_for("payload", sid=state["sid"])[0]["args"] == PAYLOADS
    assert a.wait_event("payload") == PAYLOADS
    close_clean(page)


def refusals(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if "refused by the origins option" in r.getMessage()]


@pytest.fixture
def refusing_server(make_server: Any, recorder: Any) -> LiveServer:
    """A Socket.IO server whose ``origins`` do not include the page's."""
    return make_server(app=page_app, namespaces=make_browser_namespaces(recorder),
                       origins="127.0.0.1:1 example.test:*")


@pytest.mark.parametrize("transport", ["xhr-polling", "jsonp-polling", "websocket"])
def test_cross_origin_refused(chromium: Chromium, refusing_server: LiveServer,
                              page_origin: str, caplog: Any, transport: str) -> None:
    """The handshake is refused (403 without CORS headers); the page gets an 'error'."""
    page = open_page(chromium, page_origin, refusing_server.url)
    (a,) = sockets(page, "a")
    page.eval("(a) => T.connect(a.name, a.o)", {"name": "a", "o": {"transport": transport}})
    failure = a.wait("error")[0]
    # the browser hides a refused CORS answer: status 0, so the reason the client reports
    # is the empty response text, not the server's 403 message
    assert failure["args"] == [""]
    state = a.state()
    assert not state["connected"] and state["transport"] is None and state["sid"] is None
    assert a.log("connect") == []
    assert len(refusals(caplog)) == 1 and "GET /socket.io/1/" in refusals(caplog)[0]
    assert len(refusing_server.manager.sessions) == 0
    assert refusing_server.recorder.find("connect") == []
    errors = page.close()
    assert any("CORS" in error for error in errors), errors


def test_cross_origin_jsonp_handshake_refused(chromium: Chromium, refusing_server: LiveServer,
                                              page_origin: str, caplog: Any) -> None:
    """Without CORS the handshake is a script tag: refused, the client hears nothing.

    0.9.16 sets no ``onerror`` on the handshake's script, so the page gets no event: the
    socket stays "connecting" and never connects (a client limitation, documented).
    """
    page = open_page(chromium, page_origin, refusing_server.url)
    page.eval("() => { io.util.ua.hasCORS = false; }")
    (a,) = sockets(page, "a")
    page.eval("(a) => T.connect(a.name, a.o)",
              {"name": "a", "o": {"transport": "jsonp-polling"}})
    wait_until(lambda: refusals(caplog), 15, lambda: "no refusal logged")
    assert "jsonp=0" in refusals(caplog)[0]
    # the script's load has failed in the page once its resource entry is complete
    page.wait("() => performance.getEntriesByType('resource').some("
              "function (e) { return e.name.indexOf('jsonp=0') >= 0 && e.responseEnd > 0; })")
    state = a.state()
    assert state["connecting"] and not state["connected"] and state["sid"] is None
    assert a.log("connect") == [] and a.log("error") == []
    assert len(refusing_server.manager.sessions) == 0
    page.close()


#: Chromium's console errors for requests a dying or absent server cut short.
CUT_BY_CRASH = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE",
                "ERR_INCOMPLETE_CHUNKED_ENCODING")


def crash(server: SocketIOServer) -> None:
    """Stop ``server`` as a dying process would: the listener and every connection closed
    at once, nothing written. Not ``server.stop()``, which sends ``0::`` to every client
    (and a client told goodbye never reconnects). The server must run its handlers in a
    pool, whose greenlets hold the connections (their last argument: (socket, address)).
    An upgraded websocket has left its greenlet: its transport holds its socket."""
    server.close()
    for greenlet in list(server.pool):
        client_socket = greenlet.args[-1][0]
        client_socket.shutdown(socket.SHUT_RDWR)
    for session in list(server.manager.sessions.values()):
        held = getattr(session.transport, "sock", None)
        if held is not None and held.fileno() != -1:
            try:
                held.shutdown(socket.SHUT_RDWR)
            except OSError:  # already cut above (a connection still in its greenlet)
                pass
    BaseServer.stop(server, timeout=0)   # kills the handlers; their writes go nowhere


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reconnect_after_a_server_restart(chromium: Chromium, make_server: Any,
                                          recorder: Any, transport: str) -> None:
    """The server process dies (every connection closed, no goodbye) and comes back on the
    same port: the page reconnects by itself, to a new session."""
    first = make_server(app=page_app, namespaces=make_browser_namespaces(recorder),
                        spawn=Pool(100), **TIMERS)
    page = open_page(chromium, first.url)
    (a,) = sockets(page, "a")
    old = a.connect(transport, reconnect=True)["sid"]
    crash(first.server)
    second = SocketIOServer(("127.0.0.1", first.port), page_app,
                            namespaces=make_browser_namespaces(recorder), log=None, **TIMERS)
    second.start()
    try:
        reconnect = a.wait("reconnect", timeout=20)[0]
        assert reconnect["args"][0] == transport
        new = a.state()
        assert new["connected"] and new["transport"] == transport and new["sid"] != old
        assert list(second.manager.sessions) == [new["sid"]]
        assert old not in second.manager.sessions
        a.emit("echo", "after restart")
        assert a.wait_event("echo") == ["after restart"]
        # the only errors: requests cut by the crash or refused while the port was closed
        errors = page.close()
        assert all(any(cut in error for cut in CUT_BY_CRASH) for error in errors), errors
        first.wait_sessions(0)   # the dead server's session ended too (lost, or timed out)
    finally:
        second.stop(timeout=2)
