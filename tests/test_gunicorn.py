"""geventsio under gunicorn: the worker class serves Socket.IO to the real 0.9.16 client
and every other path to the WSGI app."""

from __future__ import annotations

import signal

import gevent
import pytest

from .gunicornrun import gunicorn as run_gunicorn
from .nodeclient import NodeSocket
from .rawclient import request


@pytest.fixture
def gunicorn_port(gunicorn):
    return gunicorn[0]


@pytest.fixture
def gunicorn():
    """(port, master process) of a gunicorn running tests.gunicorn_app with one worker."""
    with run_gunicorn("tests.gunicorn_app.Worker", "tests.gunicorn_app:app") as running:
        yield running


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_socketio_under_gunicorn(node, gunicorn_port, transport):
    url = f"http://127.0.0.1:{gunicorn_port}"
    assert request(gunicorn_port, "GET", "/").text == "plain WSGI under gunicorn"
    first = NodeSocket(node, f"g1{transport}", url, transport)
    second = NodeSocket(node, f"g2{transport}", url, transport)
    assert first.connect()["transport"] == transport
    assert second.connect()["transport"] == transport
    first.emit("echo", "h\u00e9llo", {"n": [1, 2]})
    assert first.wait_event("echo") == ["h\u00e9llo", {"n": [1, 2]}]
    for sock in (first, second):
        assert sock.wait_ack(sock.emit("join", "r", ack=True)) == [["r"]]
    assert first.wait_ack(first.emit("in_room", "r", "both", ack=True)) == [2]
    assert second.wait_event("room") == ["both"]



def test_sigterm_drains_queued_packets_then_ends_sessions(node, gunicorn):
    # The client waits 0.6 s between polls: the burst waits in its queue when SIGTERM
    # comes, and must still reach it on its next poll (a kept-alive connection), within
    # the drain: half of the --graceful-timeout of 2 s.
    port, master = gunicorn
    url = f"http://127.0.0.1:{port}"
    client = NodeSocket(node, "drained", url, "xhr-polling", options={"poll gap": 600})
    client.connect()
    client.emit("echo", "ready")
    assert client.wait_event("echo") == ["ready"]
    since = node.mark()
    client.emit("burst", 100)
    gevent.sleep(0.3)  # not a wait for a condition: lets the POST reach the worker
    master.send_signal(signal.SIGTERM)  # gunicorn passes it on to its worker
    client.wait_report("disconnect", ns="", since=since, timeout=20)
    got = [r["args"][0] for r in node.history[since:]
           if r.get("client") == "drained" and r.get("ev") == "event" and r.get("name") == "n"]
    assert got == list(range(100))
