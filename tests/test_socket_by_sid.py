"""``server.of(ns).socket(sid)``: one client by session id, from outside its handlers.

The real socket.io-client 0.9.16 (node) is the client; the emitter is used from a Flask
view (over real HTTP, through the app factory's ``app.extensions``), from a greenlet the
test starts, and for sids that are gone or were never connected to the namespace.
Absence is checked after a later packet every client does get (packets of one client
arrive in order).
"""

from __future__ import annotations

import itertools
import logging
import urllib.parse
import urllib.request

import gevent
import pytest
from flask import Flask, current_app, request

from . import test_node_client
from .nodeclient import NodeSocket

transport = test_node_client.transport
connect = test_node_client.connect

_ids = itertools.count(1)


def create_app() -> Flask:
    """An app factory whose views reach the server through ``app.extensions``."""
    app = Flask(__name__)

    @app.post("/poke")
    def poke() -> str:
        server = current_app.extensions["geventsio"]
        client = server.of(request.form["ns"]).socket(request.form["sid"])
        return str(client.emit("poke", request.form["text"]))

    @app.post("/kick")
    def kick() -> str:
        server = current_app.extensions["geventsio"]
        client = server.of(request.form["ns"]).socket(request.form["sid"])
        return "kicked" if client.disconnect() else "not there"

    return app


def post(live, path: str, **form: str) -> str:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(live.url + path, data=data, timeout=15) as response:
        return response.read().decode()


def sync(live, ns: str, *socks: NodeSocket) -> None:
    """Every client of ``ns`` gets a marker: whatever was sent to them before has come."""
    marker = f"sync-{next(_ids)}"
    live.server.of(ns).emit("sync", marker)
    for sock in socks:
        sock.wait_event("sync", ns=ns, predicate=lambda r: r["args"] == [marker])


@pytest.fixture
def flask_live(make_server):
    app = create_app()
    live = make_server(app, heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                       polling_duration=2)
    app.extensions["geventsio"] = live.server
    return live


def test_a_flask_view_emits_to_one_client_and_disconnects_it(node, flask_live, transport):
    live = flask_live
    ann, ben = connect(node, live, transport), connect(node, live, transport)
    for sock in (ann, ben):
        sock.of("/chat")

    assert post(live, "/poke", ns="/chat", sid=ann.sid, text="just you") == "1"
    assert ann.wait_event("poke", ns="/chat") == ["just you"]
    sync(live, "/chat", ann, ben)
    assert ben.events("poke", ns="/chat") == []
    assert ann.events("poke", ns="") == []          # the namespace named, not another

    since = node.mark()
    assert post(live, "/kick", ns="/chat", sid=ann.sid) == "kicked"
    ann.wait_report("disconnect", ns="/chat", since=since)
    live.recorder.wait_for("disconnect", sid=ann.sid, ns="/chat")
    assert ann.sid in live.manager.sessions          # only /chat ended, not the session
    assert post(live, "/poke", ns="/chat", sid=ann.sid, text="gone") == "0"
    assert post(live, "/kick", ns="/chat", sid=ann.sid) == "not there"
    assert post(live, "/poke", ns="", sid=ann.sid, text="still here") == "1"
    assert ann.wait_event("poke") == ["still here"]
    sync(live, "/chat", ben)
    assert ben.events("poke", ns="/chat") == []
    assert live.server.of("/chat").clients() == [ben.sid]


def test_a_background_greenlet_sends_to_one_client_and_ends_its_session(node, live,
                                                                         transport):
    ann, ben = connect(node, live, transport), connect(node, live, transport)

    def push() -> int:
        one = live.server.sockets.socket(ann.sid)
        return one.send("text for ann") + one.send({"n": 1}, json=True) + one.emit("ev", 2)

    assert gevent.spawn(push).get(timeout=15) == 3
    assert ann.wait_event("message") == ["text for ann"]
    assert ann.wait_event("message", predicate=lambda r: r["type"] == "json") == [{"n": 1}]
    assert ann.wait_event("ev") == [2]
    sync(live, "", ann, ben)
    assert ben.events("message") == [] and ben.events("ev") == []

    since = node.mark()
    assert gevent.spawn(live.server.of("").socket(ann.sid).disconnect).get(timeout=15)
    ann.wait_report("disconnect", ns="", since=since,
                    predicate=lambda r: r["reason"] == "booted")
    live.recorder.wait_for("disconnect", sid=ann.sid, ns="")
    live.wait_sessions(1)
    assert not ann.state()["connected"]
    assert live.server.sockets.emit("after", 1) == 1
    assert ben.wait_event("after") == [1]


def test_a_silent_disconnect_does_not_tell_the_client(node, live):
    ann = connect(node, live, "websocket")
    ann.of("/chat")
    assert live.server.of("/chat").socket(ann.sid).disconnect(silent=True) is True
    live.recorder.wait_for("disconnect", sid=ann.sid, ns="/chat")
    sync(live, "", ann)
    assert not [p for p in ann.packets_seen("disconnect") if p.get("endpoint") == "/chat"]


def test_a_gone_or_unknown_sid_gets_nothing_and_nothing_breaks(node, live, caplog):
    ann, ben = connect(node, live, "websocket"), connect(node, live, "websocket")
    gone = ann.sid
    ann.disconnect()
    live.wait_sessions(1)
    caplog.clear()
    for sid in (gone, "no-such-sid"):
        client = live.server.of("").socket(sid)
        assert client.emit("lost", 1) == 0
        assert client.send("lost") == 0
        assert client.volatile.emit("lost") == 0
        assert client.disconnect() is False
        assert client.clients() == []
    # ben is connected to '' but not to /chat: its /chat emitter reaches nobody.
    assert live.server.of("/chat").socket(ben.sid).emit("lost", 2) == 0
    assert live.server.of("/chat").socket(ben.sid).disconnect() is False
    sync(live, "", ben)
    assert not [p for p in ben.packets_seen() if p.get("endpoint") == "/chat"]
    assert ben.events("lost") == []
    assert live.manager.farewells == {}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_emitter_of_one_client_is_a_value_with_checked_arguments(live):
    chat = live.server.of("/chat")
    assert chat.socket("abc") == chat.socket("abc") != chat.socket("abd")
    assert chat.volatile.socket("abc").is_volatile
    assert chat.socket("abc").broadcast.clients() == []   # the others: there are none
    with pytest.raises(TypeError):
        chat.socket(12)
    with pytest.raises(TypeError):
        chat.disconnect()
    with pytest.raises(TypeError):
        chat.socket("abc").to("room").disconnect()
    assert live.manager.sessions == {}        # asking for a sid creates nothing
