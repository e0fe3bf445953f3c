"""``gunicorn -k geventsio.sgunicorn.GeventSocketIOWorker`` (gevent-socketio's worker
name) serves the Pyramid app of tests/compat, which routes ``/socket.io`` itself."""

from __future__ import annotations

from .gunicornrun import gunicorn
from .nodeclient import NodeSocket
from .rawclient import request


def test_sgunicorn_worker_serves_a_socketio_manage_app(node):
    with gunicorn("geventsio.sgunicorn.GeventSocketIOWorker",
                  "tests.compat.pyramid_chat:application") as (port, _):
        assert request(port, "GET", "/").text == "pyramid index"
        sock = NodeSocket(node, "sgu1", f"http://127.0.0.1:{port}", "websocket")
        sock.connect()
        sock.of("/echo")
        assert sock.wait_ack(sock.emit("hello", "gu", ns="/echo", ack=True)) == ["Request"]
        assert sock.wait_event("hello", ns="/echo") == ["bonjour, gu"]
