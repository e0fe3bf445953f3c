"""geventsio.testing: the in-process server and clients that app authors' tests use,
and the complete example of docs/testing-apps.md, run as the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from geventsio import BaseNamespace, SocketIOServer
from geventsio.client import NamespaceRefused, State
from geventsio.testing import AppServer, server_fixture

from .conftest import ROOT


class Echo(BaseNamespace):
    def on_ping(self, *args):
        self.emit("pong", *args)

    def authorize(self, handshake):
        return self.ns_name != "/closed"


NAMESPACES = {"": Echo, "/chat": Echo, "/closed": Echo}
echo_server = server_fixture(namespaces=NAMESPACES)
built_server = server_fixture(factory=lambda: SocketIOServer(
    ("127.0.0.1", 0), None, namespaces={"/built": Echo}, log=None), scope="module")


def test_fixture_hands_out_connected_clients(echo_server):
    assert echo_server.url == f"http://127.0.0.1:{echo_server.port}" and echo_server.port
    for transport in ("websocket", "xhr-polling"):
        client = echo_server.client(transport)
        assert client.transport == transport
        client.emit("ping", transport)
        assert client.wait_for("pong") == (transport,)
    chat = echo_server.client(namespace="/chat")
    chat.emit("ping", "chat")
    assert chat.wait_for("pong") == ("chat",)
    with pytest.raises(NamespaceRefused):
        echo_server.client(namespace="/closed")


def test_fixture_from_a_factory(built_server):
    built = built_server.client("xhr-polling", namespace="/built")
    built.emit("ping", "built")
    assert built.wait_for("pong") == ("built",)


def test_stop_disconnects_clients_and_stops_the_server():
    with AppServer(namespaces=NAMESPACES) as server:
        client = server.client()
        manager = server.server.manager
    assert client.state is State.CLOSED
    assert server.server.closed and not manager.sessions


def test_a_ready_made_server():
    built = SocketIOServer(("127.0.0.1", 0), None, namespaces=NAMESPACES, log=None)
    with AppServer(server=built) as server:
        assert server.server is built
        server.client("xhr-polling").emit("ping")
    with pytest.raises(TypeError):
        AppServer(None, server=built, namespaces=NAMESPACES)


def test_the_documented_example_runs_and_passes(tmp_path):
    with open(os.path.join(ROOT, "docs", "testing-apps.md"), encoding="utf-8") as fh:
        page = fh.read()
    source = re.search(r"<!-- test_chat.py.*?-->\n```python\n(.*?)```", page, re.S).group(1)
    (tmp_path / "test_chat.py").write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "test_chat.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
