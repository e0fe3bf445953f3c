"""Nothing of a client stays behind: sessions, namespaces, greenlets are all gone.

300 real clients (half websocket, half xhr-polling) connect, join a second namespace,
start a greenlet that would run forever, then leave: half cleanly, half by vanishing
(TCP destroyed, no goodbye). Afterwards the server holds no session, no namespace object,
and exactly as many live greenlets as before they came.
"""

from __future__ import annotations

import gc

import pytest

from geventsio import BaseNamespace
from geventsio.session import Session

from .conftest import live_greenlets, wait_until
from .nodeclient import NodeSocket

CLIENTS = 300


def _count(cls: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, cls))


def test_300_clients_leave_nothing_behind(node, make_server):
    live = make_server(heartbeat_interval=0.5, heartbeat_timeout=2, close_timeout=1,
                       polling_duration=0.5)
    warm = NodeSocket(node, "warm", live.url, "websocket")
    warm.connect()
    warm.disconnect()
    live.wait_sessions(0)
    wait_until(lambda: not live.manager.greenlets)
    baseline = live_greenlets()
    assert _count(Session) == 0

    sockets = []
    for i in range(CLIENTS):
        transport = "websocket" if i % 2 == 0 else "xhr-polling"
        sock = NodeSocket(node, f"leak{i}", live.url, transport, packets=False)
        sock.connect(wait=False)
        sockets.append(sock)
    for sock in sockets:
        report = sock.wait_report("connect", ns="", timeout=60)
        assert report["transport"] == sock.transport
        sock.sid = report["sid"]
        sock.of("/chat", wait=False)
        sock.emit("spawn_forever")
    for sock in sockets:
        sock.wait_report("connect", ns="/chat", timeout=60)
    live.wait_sessions(CLIENTS, timeout=60)
    assert live_greenlets() > baseline  # the clients really hold greenlets now

    for i, sock in enumerate(sockets):
        if i % 4 < 2:
            sock.disconnect()
        else:
            sock.drop()
    live.wait_sessions(0, timeout=60)
    wait_until(lambda: len(live.recorder.find("disconnect")) == 2 * CLIENTS + 1, timeout=60)
    wait_until(lambda: not live.manager.greenlets, timeout=30)
    wait_until(lambda: live_greenlets() <= baseline, timeout=30,
               describe=lambda: f"{live_greenlets()} greenlets alive, baseline {baseline}")
    assert live_greenlets() == baseline
    assert _count(Session) == 0
    assert _count(BaseNamespace) == 0
