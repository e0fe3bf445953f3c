"""gevent-socketio 0.3 names, one by one: server keywords, dict packets, ``server.sockets``
as a mapping, the legacy modules, the namespace's dispatch chain and helpers."""

from __future__ import annotations

import warnings

import gevent
import pytest

from geventsio import ConfigurationError, ProtocolError, SocketIOServer
from geventsio import packet as legacy_packet
from geventsio.namespace import BaseNamespace

from .conftest import wait_until
from .nodeclient import NodeSocket


# -- server keywords -----------------------------------------------------------------------
@pytest.mark.parametrize("options, named", [
    ({"polcy_listener": ("127.0.0.1", 0)}, "polcy_listener"),
    ({"heartbeat": 5, "zzz": 1}, "heartbeat, zzz"),
    ({"wrap_ssl": True}, "wrap_ssl"),
])
def test_unknown_options_are_refused_by_name(options, named):
    with pytest.raises(ConfigurationError, match=f"unknown SocketIOServer option.*{named}"):
        SocketIOServer(("127.0.0.1", 0), None, **options)


@pytest.mark.parametrize("listener", [10843, ("127.0.0.1",), ("127.0.0.1", "843"),
                                      ("127.0.0.1", 70000), (None, 843)])
def test_policy_listener_must_be_host_and_port(listener):
    with pytest.raises(ConfigurationError, match="policy_listener"):
        SocketIOServer(("127.0.0.1", 0), None, policy_listener=listener)


def test_log_and_log_file_together_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="log_file"):
        SocketIOServer(("127.0.0.1", 0), None, log=None, log_file=str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_gevent_options_still_reach_gevent(tmp_path):
    server = SocketIOServer(("127.0.0.1", 0), None, backlog=5, log=None,
                            certfile="cert.pem", keyfile="key.pem")
    assert server.ssl_args["certfile"] == "cert.pem"
    assert server.backlog == 5


def test_legacy_keywords_keep_their_meaning():
    server = SocketIOServer(("127.0.0.1", 0), None, namespace="/rt/io",
                            policy_listener=("127.0.0.1", 9843))
    assert server.config.resource == "rt/io"
    assert (server.config.policy_server, server.config.policy_host,
            server.config.policy_port) == (True, "127.0.0.1", 9843)
    off = SocketIOServer(("127.0.0.1", 0), None, policy_server=False,
                         policy_listener=("127.0.0.1", 9843))
    assert off.config.policy_server is False
    assert SocketIOServer(("127.0.0.1", 0), None).config.policy_server is False


def test_a_bad_old_style_resource_is_refused():
    with pytest.raises(ConfigurationError, match="resource"):
        SocketIOServer(("127.0.0.1", 0), None, namespace=8080)


def test_ws_handler_class_is_ignored_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SocketIOServer(("127.0.0.1", 0), None, ws_handler_class=object)
    assert any("ws_handler_class" in str(w.message) for w in caught)


# -- dict packets --------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "0::/chat", "1::/chat", "2::", "3:7::hello", "4:1+::{\"a\":[1,2]}",
    "5:3+:/chat:{\"name\":\"news\",\"args\":[\"x\",1]}", "5:::{\"name\":\"bare\"}",
    "6:::4+[\"ok\"]", "6::/chat:9", "7::/chat:2+0", "7::", "8::",
])
def test_dict_packets_round_trip(text):
    assert legacy_packet.encode(legacy_packet.decode(text)) == text


def test_dict_packet_fields():
    assert legacy_packet.decode("5:3+:/chat:{\"name\":\"news\",\"args\":[1]}") == {
        "type": "event", "endpoint": "/chat", "id": 3, "ack": "data", "name": "news",
        "args": [1]}
    assert legacy_packet.encode({"type": "event", "name": "n", "args": ("a",), "id": 2,
                                 "ack": True}) == "5:2::{\"name\":\"n\",\"args\":[\"a\"]}"
    assert legacy_packet.encode({"type": "error", "reason": "unauthorized",
                                 "endpoint": "/x"}) == "7::/x:2"


@pytest.mark.parametrize("data", [
    {}, {"type": "weird"}, {"type": ["event"]}, {"type": "event"}, {"type": "message"},
    {"type": "error", "reason": "bored"}, {"type": "event", "name": "x", "endpoint": "a:b"},
    {"type": "ack", "ackId": "1"},
])
def test_bad_dict_packets_raise_protocol_error(data):
    before = dict(data)
    with pytest.raises(ProtocolError):
        legacy_packet.encode(data)
    assert data == before  # never mutated


def test_json_hooks_of_the_dict_codec():
    import decimal
    import json

    got = legacy_packet.decode("4:::{\"p\":1.5}", json_loads=lambda s: json.loads(
        s, parse_float=decimal.Decimal))
    assert got["data"] == {"p": decimal.Decimal("1.5")}
    text = legacy_packet.encode({"type": "json", "data": {"d": decimal.Decimal("2.5")}},
                                json_dumps=lambda v: json.dumps(v, default=str))
    assert text == "4:::{\"d\":\"2.5\"}"


# -- legacy modules ------------------------------------------------------------------------
def test_legacy_modules_export_their_names():
    from geventsio import defaultjson, policyserver, sgunicorn, virtsocket
    from geventsio.core.session import Session
    from geventsio.gunicorn import GeventSocketIOWorker

    assert virtsocket.Socket is Session and callable(virtsocket.default_error_handler)
    assert defaultjson.default_json_loads(defaultjson.default_json_dumps({"a": [1]})) == {
        "a": [1]}
    assert issubclass(sgunicorn.GeventSocketIOWorker, GeventSocketIOWorker)
    worker = object.__new__(sgunicorn.GeventSocketIOWorker)
    assert worker.socketio_options == {"resource": "socket.io", "policy_server": False}
    assert b'domain="*" to-ports="*"' in policyserver.FlashPolicyServer.policy


def test_flash_policy_server_of_gevent_socketio():
    import socket

    from geventsio.http.flashpolicy import POLICY_REQUEST
    from geventsio.policyserver import FlashPolicyServer

    policy = FlashPolicyServer(("127.0.0.1", 0))
    policy.start()
    try:
        with socket.create_connection(("127.0.0.1", policy.server_port), timeout=10) as conn:
            conn.sendall(POLICY_REQUEST)
            assert conn.makefile("rb").read() == FlashPolicyServer.policy
    finally:
        policy.stop()


# -- server.sockets ------------------------------------------------------------------------
def test_server_sockets_is_an_emitter_and_a_mapping(node, make_server):
    live = make_server(namespaces={})
    sockets = live.server.sockets
    assert sockets == live.server.of("") and len(sockets) == 0 and not sockets
    with pytest.raises(KeyError):
        sockets["nope"]
    sock = NodeSocket(node, "sv1", live.url, "websocket")
    sock.connect()
    assert list(sockets) == [sock.sid] and sock.sid in sockets
    assert sockets.get(sock.sid) is sockets[sock.sid] is live.manager.sessions[sock.sid]
    assert sockets.items() == [(sock.sid, sockets[sock.sid])]
    assert sockets.values()[0].server is live.server
    assert sockets.emit("hi", 1) == 1  # still server.of('')
    assert sock.wait_event("hi") == [1]
    sock.disconnect()
    wait_until(lambda: len(sockets) == 0)
    assert sockets.get(sock.sid, "gone") == "gone"


# -- namespace names -----------------------------------------------------------------------
class Overriding(BaseNamespace):
    """Replaces gevent-socketio's process_event, as some apps did."""

    def process_event(self, packet):
        if packet["name"] == "upper":
            return [a.upper() for a in packet["args"]]
        return super().process_event(packet)

    def on_plain(self, x):
        return x + 1


class Guarded(BaseNamespace):
    """exception_handler_decorator, jobs and kill_local_jobs, recv_error."""

    def exception_handler_decorator(self, fn):
        def guarded(*args):
            try:
                return fn(*args)
            except ZeroDivisionError:
                self.emit("caught", fn.__name__)
        return guarded

    def on_divide(self, a, b):
        return a / b

    def on_sleepers(self, n):
        for _ in range(n):
            self.spawn(gevent.sleep, 60)
        return len(self.jobs)

    def on_kill(self):
        self.kill_local_jobs()
        gevent.sleep(0)
        return len(self.jobs)

    def recv_error(self, packet):
        self.emit("client_error", packet["reason"])


def test_process_event_override_and_namespace_helpers(node, make_server):
    live = make_server(namespaces={"/o": Overriding, "/g": Guarded})
    sock = NodeSocket(node, "nn1", live.url, "websocket")
    sock.connect()
    sock.of("/o")
    sock.of("/g")
    assert sock.wait_ack(sock.emit("upper", "a", "b", ns="/o", ack=True)) == [["A", "B"]]
    assert sock.wait_ack(sock.emit("plain", 1, ns="/o", ack=True)) == [2]
    assert sock.wait_ack(sock.emit("divide", 6, 3, ns="/g", ack=True)) == [2]
    sock.emit("divide", 1, 0, ns="/g")
    assert sock.wait_event("caught", ns="/g") == ["on_divide"]
    assert sock.wait_ack(sock.emit("sleepers", 2, ns="/g", ack=True)) == [2]
    assert sock.wait_ack(sock.emit("kill", ns="/g", ack=True)) == [0]
    namespace = live.manager.sessions[sock.sid]["/g"]
    namespace.socket.dispatch(legacy_packet.from_dict(
        {"type": "error", "reason": "unauthorized", "endpoint": "/g"}))
    assert sock.wait_event("client_error", ns="/g") == ["unauthorized"]


class SocketLevel(BaseNamespace):
    """gevent-socketio's Socket methods used from a handler."""

    def on_later(self, text):
        self.socket.spawn(self.emit, "later", text)

    def on_raw(self, text):
        self.socket.put_client_msg(legacy_packet.encode(
            {"type": "event", "name": "raw", "args": [text]}))

    def on_bye(self):
        self.socket.disconnect()

    def on_drop_side(self):
        self.socket.remove_namespace("/side")
        return "/side" in self.socket


class Side(BaseNamespace):
    def recv_disconnect(self):
        self.socket[""].emit("side_gone")


def test_socket_level_names(node, make_server):
    live = make_server(namespaces={"": SocketLevel, "/side": Side})
    sock = NodeSocket(node, "sl1", live.url, "xhr-polling")
    sock.connect()
    sock.of("/side")
    assert sock.wait_ack(sock.emit("drop_side", ack=True)) == [False]
    assert sock.wait_event("side_gone") == []
    sock.emit("later", "x")
    assert sock.wait_event("later") == ["x"]
    sock.emit("raw", "y")
    assert sock.wait_event("raw") == ["y"]
    session = live.manager.sessions[sock.sid]
    assert "" in session and session[""].socket is session and session.active_ns == {
        "": session[""]}
    sock.emit("bye")
    sock.wait_report("disconnect", ns="")
    live.wait_sessions(0)


class Reader(BaseNamespace):
    def on_total(self, prices):
        return str(sum(prices))  # Decimals, if json_loads made them so

    def on_fail(self):
        raise RuntimeError("boom")


def _manage_app(**keywords):
    from geventsio import socketio_manage

    def app(environ, start_response):
        socketio_manage(environ, {"": Reader}, None, **keywords)
        return []
    return app


def test_json_loads_of_socketio_manage_and_its_failures(node, make_server):
    import decimal
    import json

    def loads(text):
        if "poison" in text:
            raise ValueError("poisoned")
        return json.loads(text, parse_float=decimal.Decimal)

    live = make_server(app=_manage_app(json_loads=loads), namespaces=None)
    sock = NodeSocket(node, "jl1", live.url, "websocket")
    sock.connect()
    # floats summed as Decimals: exactly 0.3, not 0.30000000000000004
    assert sock.wait_ack(sock.emit("total", [0.1, 0.2], ack=True)) == ["0.3"]
    sock.emit("total", ["poison"])
    assert sock.wait_event("error")[0] == "invalid_json"
    assert sock.wait_ack(sock.emit("total", [1.5], ack=True)) == ["1.5"]  # still served


def test_an_error_handler_that_raises_falls_back_to_the_default(node, make_server, caplog):
    def broken(*args):
        raise KeyError("broken handler")

    live = make_server(app=_manage_app(error_handler=broken), namespaces=None)
    sock = NodeSocket(node, "eh1", live.url, "xhr-polling")
    sock.connect()
    sock.emit("fail")
    assert sock.wait_event("error") == ["handler_error", 'the server failed to handle "fail"']
    assert "error_handler" in caplog.text
    sock.emit("nothing here")
    assert sock.wait_event("error", predicate=lambda r: r["args"][0] == "no_such_method")


def test_paste_serve_options_as_strings():
    from geventsio.server import paste_server

    server = paste_server(None, host="127.0.0.1", port="0", transports="websocket, xhr-polling",
                          policy_server="true", policy_listener_port="0", resource="rt",
                          log=None)
    assert server.config.transports == ("websocket", "xhr-polling")
    assert (server.config.policy_server, server.config.policy_host,
            server.config.policy_port) == (True, "127.0.0.1", 0)
    assert server.config.resource == "rt"
    assert paste_server(None, port="0", policy_server="false").config.policy_server is False
    with pytest.raises(ConfigurationError, match="bogus"):
        paste_server(None, port="0", bogus="1")


def test_paste_runner_entry_point_is_declared():
    from importlib.metadata import entry_points

    (found,) = [e for e in entry_points(group="paste.server_runner") if e.name == "paster"
                and e.value.startswith("geventsio")]
    assert found.load().__name__ == "serve_paste"
