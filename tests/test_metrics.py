"""The Prometheus page at metrics_path: what it counts, read by prometheus_client's own
parser, after real clients did the counted things."""

from __future__ import annotations

import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from geventsio import ConfigurationError, SocketIOServer

from .nodeclient import NodeSocket
from .rawclient import XhrClient, head_then_get, request


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    answer = request(port, "GET", "/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_the_page_counts_sessions_packets_and_refusals(make_server, node):
    live = make_server(metrics_path="/metrics", authorization=lambda h: "no" not in h["query"],
                       heartbeat_interval=1, heartbeat_timeout=5, close_timeout=5,
                       polling_duration=2)
    ws = NodeSocket(node, "ws", live.url, "websocket")
    ws.connect()
    ws.of("/chat")
    poller = XhrClient(live.port)
    poller.poll()
    ws.emit("echo", "one")
    assert ws.wait_event("echo") == ["one"]
    poller.post("5:::{broken")  # a malformed packet
    assert request(live.port, "GET", "/socket.io/1/?no=1").status == 403
    live.manager.sessions[ws.sid].namespaces[""].volatile.emit("v", 1)  # goes out
    live.manager.sessions[poller.sid].namespaces[""].volatile.emit("v", 1)  # no poll: dropped
    got = _scrape(live.port)
    assert got[("geventsio_sessions", (("transport", "websocket"),))] == 1
    assert got[("geventsio_sessions", (("transport", "none"),))] == 1  # between two polls
    assert got[("geventsio_namespace_clients", (("namespace", ""),))] == 2
    assert got[("geventsio_namespace_clients", (("namespace", "/chat"),))] == 1
    assert got[("geventsio_packets_in_total", ())] == 3  # 1::/chat, echo, the broken one
    assert got[("geventsio_packets_out_total", ())] >= 5
    assert got[("geventsio_protocol_errors_total", ())] == 1
    assert got[("geventsio_handshakes_refused_total", ())] == 1
    assert got[("geventsio_volatile_dropped_total", ())] == 1
    assert got[("geventsio_slow_disconnects_total", ())] == 0
    assert ("geventsio_queued_bytes", ()) in got
    (head_status, _), follow = head_then_get(live.port, "/metrics")
    assert head_status == 200 and follow.status == 200  # no body after the HEAD's head
    assert request(live.port, "POST", "/metrics").status == 405


def test_a_slow_client_disconnect_is_counted(make_server):
    live = make_server(metrics_path="/metrics", max_queue=5)
    client = XhrClient(live.port)
    client.poll()
    namespace = live.manager.sessions[client.sid].namespaces[""]
    for i in range(10):
        namespace.emit("n", i)
    live.wait_sessions(0)
    assert _scrape(live.port)[("geventsio_slow_disconnects_total", ())] == 1


def test_no_page_unless_asked_and_a_clear_error_without_prometheus_client(make_server,
                                                                          monkeypatch):
    live = make_server()
    assert request(live.port, "GET", "/metrics").status == 404  # the app's (none here)
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ConfigurationError, match=r"geventsio\[metrics\]"):
        SocketIOServer(("127.0.0.1", 0), None, metrics_path="/metrics")
