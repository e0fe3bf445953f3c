"""Nothing of a client stays behind: sessions, namespaces, greenlets are all gone.

300 real clients (half websocket, half xhr-polling) connect, join a second namespace,
start a greenlet that would run forever, join rooms, store a value and leave an ack
unanswered (its timeout timer pending), then leave: half cleanly, half by vanishing (TCP
destroyed, no goodbye). Afterwards the server holds no session, no namespace object, no
room, no stored value, no active timer more than before, and exactly as many live
greenlets as before they came.
"""

from __future__ import annotations

import gc
import weakref

import gevent

from geventsio import BaseNamespace
from geventsio.core.session import Session

from .conftest import ROOT, describe_greenlets, greenlets_since, greenlets_snapshot, wait_until
from .nodeclient import NodeDriver, NodeSocket
from .rawclient import XhrClient, open_websocket

CLIENTS = 300


def _count(cls: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, cls))


def test_300_clients_leave_nothing_behind(make_server):
    # One node process runs 300 clients, so on a loaded machine a polling client may take
    # a second or more between two polls. This test once needed close_timeout=8: the
    # close timer resumed instead of restarting, so gaps added up (see CHANGELOG.md); each
    # gap now counts on its own. Vanished clients go after 3 s.
    live = make_server(heartbeat_interval=1, heartbeat_timeout=8, close_timeout=3,
                       polling_duration=2)
    # An earlier test's server may still be ending its last connection: when a client
    # closes just as its server stops, the end of that websocket is a job queued for a
    # worker, run when the hub next gets control. The baseline is taken once that ran.
    wait_until(lambda: _count(Session) == 0, timeout=10,
               describe=lambda: f"sessions of earlier tests still alive: {_count(Session)}")
    before = greenlets_snapshot()  # the server alone: no connection, no driver
    loop = gevent.get_hub().loop
    watchers_before = loop.activecnt
    node = NodeDriver(ROOT)
    try:
        sockets = _connect_all(node, live)
        assert len(greenlets_since(before)) > CLIENTS  # the clients really hold greenlets
        assert live.manager.index.counts()["rooms"] == 22  # "all" and room0..9 on each namespace
        assert len(live.manager.store) == CLIENTS
        assert loop.activecnt > watchers_before + CLIENTS  # ack timers among them
        for i, sock in enumerate(sockets):
            if i % 4 < 2:
                sock.disconnect()
            else:
                sock.drop()
        live.wait_sessions(0, timeout=60)
        wait_until(lambda: len(live.recorder.find("disconnect")) == 2 * CLIENTS, timeout=60)
        wait_until(lambda: not live.manager.greenlets, timeout=30)
    finally:
        node.close()  # its idle keep-alive HTTP connections go with it
    # Every greenlet started since the snapshot has ended (what earlier tests left
    # finishing in the background does not count either way).
    wait_until(lambda: not greenlets_since(before), timeout=30,
               describe=lambda: f"still alive: {describe_greenlets(greenlets_since(before))}")
    assert _count(Session) == 0
    assert _count(BaseNamespace) == 0
    assert live.manager.index.counts() == {"endpoints": 0, "rooms": 0, "joined": 0}
    assert len(live.manager.store) == 0
    assert loop.activecnt == watchers_before  # every timer (heartbeat, close, ack) stopped


def _connect_all(node: NodeDriver, live) -> list[NodeSocket]:
    """300 clients, half websocket and half xhr-polling, each in two namespaces with a
    greenlet spawned by a handler."""
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
        sock.emit("store_set", "nick", sock.client_id)
        sock.emit("ask_with_timeout", 600)  # never answered: the driver has no reply set
    for i, sock in enumerate(sockets):
        sock.wait_report("connect", ns="/chat", timeout=60)
        for ns in ("", "/chat"):
            sock.emit("join", "all", ns=ns)
            sock.emit("join", f"room{i % 10}", ns=ns)
    for sock in sockets:
        sock.wait_ack(sock.emit("clients", ns="/chat", ack=True), timeout=60)
    live.wait_sessions(CLIENTS, timeout=60)
    return sockets


class _Quiet(BaseNamespace):
    """A namespace that keeps nothing: what holds a session after its end is ours."""


def _session_freed_by_refcount(live, connect, end) -> None:
    gc.collect()
    gc.disable()  # only reference counting frees anything from here on
    try:
        sid = connect()
        wait_until(lambda: sid in live.manager.sessions, timeout=10)
        session = weakref.ref(live.manager.sessions[sid])
        namespace = weakref.ref(live.manager.sessions[sid].namespaces[""])
        end()
        live.wait_sessions(0)
        wait_until(lambda: session() is None and namespace() is None, timeout=10,
                   describe=lambda: f"session {session()}, namespace {namespace()} still held")
    finally:
        gc.enable()


def test_an_ended_session_is_freed_without_the_cycle_collector(make_server) -> None:
    # environ['socketio'] is the session and the session keeps its environ: the session
    # lets go of it at its end, or every session would wait for the cyclic collector
    # (the connect benchmark spent ~4% of its time there).
    live = make_server(namespaces={"": _Quiet}, close_timeout=3, polling_duration=1)
    holder: dict = {}

    def websocket() -> str:
        holder["sid"], holder["ws"] = open_websocket(live.port)
        return holder["sid"]

    _session_freed_by_refcount(live, websocket, lambda: holder.pop("ws").close())

    def polling() -> str:
        holder["xhr"] = XhrClient(live.port)
        assert holder["xhr"].poll() == ["1::"]
        return holder["xhr"].sid

    _session_freed_by_refcount(live, polling, lambda: holder.pop("xhr").post("0::"))
