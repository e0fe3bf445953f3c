"""The gevent-socketio style example (Flask view + socketio_manage + mixins) with the real
0.9.16 client, over each transport: nicknames, rooms, room messages, announcements."""

from __future__ import annotations

import itertools
import os
import sys

import pytest

from .conftest import ROOT
from .nodeclient import NodeSocket

sys.path.insert(0, os.path.join(ROOT, "examples", "flask_rooms"))

import app as example  # noqa: E402  (the example module itself)

_ids = itertools.count(1)


@pytest.fixture
def server():
    server = example.make_server("127.0.0.1", 0, log=None)
    server.start()
    yield server
    server.stop(timeout=2)


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_ported_gevent_socketio_app(node, server, transport):
    url = f"http://127.0.0.1:{server.server_port}"
    users = {}
    for name in ("ann", "ben", "cat"):
        sock = NodeSocket(node, f"fx{next(_ids)}", url, transport)
        assert sock.connect()["transport"] == transport
        sock.of("/rooms")
        assert sock.wait_ack(sock.emit("nickname", name, ns="/rooms", ack=True)) == [[name]]
        users[name] = sock
    ann, ben, cat = users.values()
    # broadcast_event reaches everyone, the sender included
    ann.wait_event("announcement", ns="/rooms",
                   predicate=lambda r: r["args"] == ["cat has connected"])
    for sock in (ann, ben):
        assert sock.wait_ack(sock.emit("join", "lobby", ns="/rooms", ack=True)) == ["lobby"]
    assert cat.wait_ack(cat.emit("join", "attic", ns="/rooms", ack=True)) == ["attic"]
    ann.wait_event("announcement", ns="/rooms",
                   predicate=lambda r: r["args"] == ["ben joined lobby"])

    ann.emit("user message", "hello lobby </script>", ns="/rooms")
    assert ben.wait_event("msg_to_room", ns="/rooms") == ["ann", "hello lobby </script>"]
    cat.emit("user message", "anyone?", ns="/rooms")
    ben.emit("user message", "sync", ns="/rooms")
    assert ann.wait_event("msg_to_room", ns="/rooms") == ["ben", "sync"]
    assert ann.events("msg_to_room", ns="/rooms") == [["ben", "sync"]]  # not its own, not cat's
    assert cat.events("msg_to_room", ns="/rooms") == []
    assert sorted(server.of("/rooms").clients("lobby")) == sorted([ann.sid, ben.sid])

    cat.disconnect()
    ann.wait_event("announcement", ns="/rooms",
                   predicate=lambda r: r["args"] == ["cat has disconnected"])
    assert ["cat has disconnected"] not in cat.events("announcement", ns="/rooms")
