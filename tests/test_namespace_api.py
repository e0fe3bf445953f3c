"""BaseNamespace and server API details: socketio_manage, handshake data, ACL, spawn, of()."""

from __future__ import annotations

import socket
from typing import Any

import gevent
import pytest

from geventsio import BaseNamespace, ConfigurationError, SocketIOServer, socketio_manage
from geventsio.http.handler import SocketIOHandler

from .apps import make_namespaces
from .conftest import wait_until
from .nodeclient import NodeSocket
from .rawclient import handshake, read_response, request
from .test_bad_input import PollingClient


class FakeRequest:
    """Stands for a framework request; like werkzeug's proxy it can resolve itself."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ


class FakeProxy:
    def __init__(self, target: FakeRequest) -> None:
        self._target = target

    def _get_current_object(self) -> FakeRequest:
        return self._target


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_socketio_manage_from_a_wsgi_app(make_server, recorder, node, transport):
    seen: list[Any] = []
    namespaces = make_namespaces(recorder)

    class Main(namespaces[""]):
        def on_who(self) -> str:
            seen.append(self.request)
            return self.request.environ["PATH_INFO"]

    def app(environ, start_response):
        if environ["PATH_INFO"].startswith("/socket.io"):
            request = FakeProxy(FakeRequest(environ))
            return socketio_manage(environ, {"": Main, "/chat": namespaces["/chat"]}, request)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"page"]

    live = make_server(app=app, namespaces=None)
    assert request(live.port, "GET", "/").text == "page"
    sock = NodeSocket(node, "manage", live.url, transport)
    assert sock.connect()["transport"] == transport
    token = sock.emit("who", ack=True)
    assert sock.wait_ack(token)[0].startswith(f"/socket.io/1/{transport}/")
    assert isinstance(seen[0], FakeRequest)  # the proxy was resolved
    sock.of("/chat")
    sock.emit("echo", "managed", ns="/chat")
    assert sock.wait_event("echo", ns="/chat") == ["managed"]


def test_socketio_manage_app_sees_a_plain_request_for_websockets(make_server, recorder, node):
    # Routers like werkzeug's send upgrade requests only to websocket routes; the upgrade
    # is answered by the server, so the app is shown an ordinary GET.
    seen: list[dict[str, Any]] = []

    def app(environ, start_response):
        seen.append(environ)
        if "HTTP_UPGRADE" in environ or "upgrade" in environ.get("HTTP_CONNECTION", "").lower():
            start_response("400 Bad Request", [])
            return [b"no websocket route"]
        return socketio_manage(environ, make_namespaces(recorder))

    live = make_server(app=app, namespaces=None)
    sock = NodeSocket(node, "plain", live.url, "websocket")
    assert sock.connect()["transport"] == "websocket"
    sock.of("/chat")
    assert seen[0]["REQUEST_METHOD"] == "GET"
    assert "HTTP_SEC_WEBSOCKET_KEY" not in seen[0]
    session = live.manager.sessions[sock.sid]
    assert session.environ["HTTP_UPGRADE"].lower() == "websocket"  # namespaces see it all


def test_socketio_manage_outside_a_socketio_request_is_an_error():
    with pytest.raises(ConfigurationError, match="socketio_manage"):
        socketio_manage({"PATH_INFO": "/"}, {})


def test_app_that_forgets_socketio_manage_still_gets_a_default_namespace(make_server, caplog):
    def app(environ, start_response):
        start_response("404 Not Found", [])
        return [b""]

    live = make_server(app=app, namespaces=None)
    client = PollingClient(live.port)  # connected: 1:: came back
    assert client.post(b"1::/chat").body == b"1"
    assert client.poll() == ["7::/chat:2"]
    assert any("socketio_manage" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad", [{"chat": BaseNamespace}, {"/a:b": BaseNamespace}, {"/x": object}])
def test_bad_namespace_maps_are_refused(bad):
    with pytest.raises(ConfigurationError):
        SocketIOServer(("127.0.0.1", 0), None, namespaces=bad)


@pytest.mark.parametrize("option", [{"message_queue": "amqp://x"},
                                    {"origins": "example.com"}, {"transports": ["carrier-pigeon"]},
                                    {"heartbeat_interval": 0}, {"resource": "/"}])
def test_options_not_available_are_refused_not_ignored(option):
    with pytest.raises(ConfigurationError):
        SocketIOServer(("127.0.0.1", 0), None, **option)


def test_handshake_data_reaches_the_namespace(make_server):
    seen: dict[str, Any] = {}

    class Main(BaseNamespace):
        def recv_connect(self) -> None:
            seen.update(self.handshake)

    live = make_server(namespaces={"": Main})
    response = request(live.port, "GET", "/socket.io/1/?t=5&token=abc&token=def",
                       headers={"Origin": "http://example.test", "X-Custom": "yes"})
    sid = response.text.split(":")[0]
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    assert seen["query"] == {"t": "5", "token": "abc"}
    assert seen["headers"]["x-custom"] == "yes"
    assert seen["headers"]["origin"] == "http://example.test"
    assert seen["address"]["address"] == "127.0.0.1"
    assert isinstance(seen["address"]["port"], int)
    assert seen["url"] == "/socket.io/1/?t=5&token=abc&token=def"
    assert seen["xdomain"] is True
    assert seen["secure"] is False
    assert seen["time"].endswith("GMT")


def test_global_authorization_refuses_the_handshake(make_server, caplog):
    live = make_server(authorization=lambda data: data["query"].get("token") == "ok")
    refused = request(live.port, "GET", "/socket.io/1/?token=no")
    assert (refused.status, refused.text) == (403, "handshake unauthorized")
    assert not live.manager.sessions
    accepted = request(live.port, "GET", "/socket.io/1/?token=ok")
    assert accepted.status == 200
    assert len(live.manager.sessions) == 1


def test_authorization_that_raises_refuses(make_server, caplog):
    def broken(data):
        raise KeyError("oops")

    live = make_server(authorization=broken)
    assert request(live.port, "GET", "/socket.io/1/").status == 403
    assert any("authorization callable raised" in r.getMessage() for r in caplog.records)


def test_acl_limits_methods_until_lifted(make_server):
    class Guarded(BaseNamespace):
        def get_initial_acl(self):
            return ["recv_connect", "on_login"]

        def on_login(self, password: str) -> bool:
            if password == "secret":
                self.lift_acl_restrictions()
                return True
            return False

        def on_echo(self, value: Any) -> None:
            self.emit("echo", value)

    live = make_server(namespaces={"": Guarded})
    client = PollingClient(live.port)
    client.post(b'5:::{"name":"echo","args":[1]}')
    (denied,) = client.poll()
    assert denied.startswith('5:::{"name":"error","args":["method_access_denied",')
    client.post(b'5:1+::{"name":"login","args":["secret"]}')
    assert client.poll() == ["6:::1+[true]"]
    client.assert_alive()


def test_add_and_del_acl_methods():
    class Plain(BaseNamespace):
        pass

    session = type("S", (), {"session": {}, "handshake": {}, "sid": "x"})()
    ns = Plain({"socketio": session}, "")
    assert ns.is_method_allowed("on_anything")
    with pytest.raises(ValueError):
        ns.del_acl_method("on_x")
    ns.add_acl_method("on_a")
    assert ns.is_method_allowed("on_a") and not ns.is_method_allowed("on_b")
    ns.add_acl_method(["on_b", "on_c"])
    ns.del_acl_method("on_a")
    assert sorted(ns.allowed_methods) == ["on_b", "on_c"]
    ns.reset_acl()
    assert ns.allowed_methods is None


def test_spawned_greenlets_die_with_the_namespace(live):
    client = PollingClient(live.port)
    client.post(b"1::/chat")
    client.poll()
    client.post(b'5::/chat:{"name":"spawn_forever"}')
    namespace = live.manager.sessions[client.sid].namespaces["/chat"]
    (greenlet,) = list(namespace._greenlets)
    assert not greenlet.dead
    client.post(b"0::/chat")
    wait_until(lambda: greenlet.dead)
    live.recorder.wait_for("disconnect", sid=client.sid, ns="/chat")
    client.assert_alive()


def test_session_dict_is_shared_between_namespaces(live):
    client = PollingClient(live.port)
    client.post(b"1::/chat")
    client.poll()
    client.post(b'5:::{"name":"set_session","args":["k","v"]}')
    client.post(b'5:1+:/chat:{"name":"get_session","args":["k"]}')
    assert client.poll() == ['6::/chat:1+["v"]']


def test_server_of_reaches_clients_from_a_background_greenlet(live):
    a, b = PollingClient(live.port), PollingClient(live.port)
    job = gevent.spawn(lambda: live.server.of("").emit("tick", 1))
    assert job.get(timeout=5) == 2
    assert a.poll() == ['5:::{"name":"tick","args":[1]}']
    assert b.poll() == ['5:::{"name":"tick","args":[1]}']
    assert sorted(live.server.sockets.clients()) == sorted([a.sid, b.sid])
    assert live.server.of("/chat").emit("tick", 2) == 0


def test_emitting_a_value_that_is_not_json_is_a_handler_error(make_server, caplog):
    class Bad(BaseNamespace):
        def on_go(self) -> None:
            self.emit("x", object())

        def on_fine(self) -> None:
            self.emit("fine")

    live = make_server(namespaces={"": Bad})
    client = PollingClient(live.port)
    client.post(b'5:::{"name":"go"}')
    (answer,) = client.poll()
    assert answer.startswith('5:::{"name":"error","args":["handler_error",')
    assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)
    client.post(b'5:::{"name":"fine"}')
    assert client.poll() == ['5:::{"name":"fine"}']


@pytest.mark.parametrize("goodbye, answer", [(False, "8::"), (True, "0::")])
def test_server_stop_ends_pending_polls(make_server, goodbye, answer):
    # Without a goodbye the pending poll just ends (the client polls again, finds the
    # server gone and reconnects later); with one it carries 0:: ("do not come back").
    live = make_server()
    client = PollingClient(live.port)
    pending = gevent.spawn(request, live.port, "GET", client.path)
    wait_until(lambda: live.manager.sessions[client.sid].transport is not None)
    live.server.stop(timeout=2, goodbye=goodbye)
    assert pending.get(timeout=10).text == answer
    assert not live.manager.sessions


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_session_that_ends_while_the_app_binds_it(make_server, transport):
    def app(environ, start_response):
        environ["socketio"].close("the app refused", notify=False)
        return socketio_manage(environ, {"": BaseNamespace})

    live = make_server(app=app, namespaces=None)
    sid = handshake(live.port)
    if transport == "xhr-polling":
        assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == "7:::1+0"
    else:
        from .rawclient import RawWebSocket

        ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
        try:
            assert ws.recv_text() == "7:::1+0"
            assert ws.recv_frame() == (8, b"\x03\xe8")
        finally:
            ws.close()
    assert not live.manager.sessions


def test_namespace_whose_initialize_raises_is_not_joined(make_server, caplog):
    class Broken(BaseNamespace):
        def initialize(self) -> None:
            raise RuntimeError("cannot start")

    namespaces = make_namespaces_with({"/broken": Broken})
    live = make_server(namespaces=namespaces)
    client = PollingClient(live.port)
    client.post(b"1::/broken")
    assert client.poll() == ["7::/broken"]
    assert any("creating namespace '/broken' failed" in r.getMessage() for r in caplog.records)
    assert "/broken" not in live.manager.sessions[client.sid].namespaces
    client.assert_alive()


def make_namespaces_with(extra: dict[str, type]) -> dict[str, type]:
    from .apps import Recorder

    namespaces = make_namespaces(Recorder())
    namespaces.update(extra)
    return namespaces


def test_emitters_are_values(live):
    client = PollingClient(live.port)
    namespace = live.manager.sessions[client.sid].namespaces[""]
    assert live.server.of("") == namespace.io == live.server.sockets
    assert namespace.broadcast != namespace.io
    assert live.server.of("/chat") != live.server.of("")
    assert len({live.server.of(""), namespace.io}) == 1
    assert namespace.io.clients() == [client.sid]
    assert namespace.broadcast.clients() == []
    assert live.server.of("").clients(room="lobby") == []
    assert namespace.volatile != namespace.broadcast.volatile == namespace.volatile.broadcast
    assert namespace.broadcast.to("a").volatile == namespace.volatile.to("a")
    assert namespace.io.in_("a") == namespace.io.to("a") != namespace.io


def test_ack_arguments_are_checked(live):
    client = PollingClient(live.port)
    namespace = live.manager.sessions[client.sid].namespaces[""]
    with pytest.raises(TypeError, match="on_timeout needs a callback"):
        namespace.emit("x", on_timeout=lambda error: None)
    with pytest.raises(ValueError, match="positive"):
        namespace.emit("x", callback=lambda: None, timeout=0)
    assert len(namespace._acks) == 0


def test_ack_registry_is_made_on_first_use_and_its_acks_end_with_the_namespace(live):
    client = PollingClient(live.port)
    namespace = live.manager.sessions[client.sid].namespaces[""]
    namespace.emit("no callback", 1)
    assert client.poll()[-1] == '5:::{"name":"no callback","args":[1]}'
    assert namespace._ack_registry is None  # nothing waits: none was made
    client.post(b"6:::1+[]")  # an ack nobody waits for is harmless
    called = []
    namespace.emit("ask", callback=called.append, timeout=60)
    assert client.poll() == ['5:1+::{"name":"ask"}']
    registry = namespace._ack_registry
    assert registry is not None and len(registry) == 1
    client.post(b'6:::1+["yes"]')
    wait_until(lambda: called == ["yes"])
    namespace.emit("ask", callback=called.append, timeout=60)
    namespace.disconnect(silent=True)
    assert len(registry) == 0  # dropped with the namespace: its timer is gone too


def test_unanswered_ack_is_dropped_after_its_timeout(live, caplog):
    client = PollingClient(live.port)
    namespace = live.manager.sessions[client.sid].namespaces[""]
    namespace.send("answer me", callback=lambda *args: None, timeout=0.2)
    assert client.poll() == ["3:1+::answer me"]
    assert len(namespace._acks) == 1
    wait_until(lambda: not namespace._acks)
    assert any("no ack for 'message' (ack 1) within 0.2s" in r.getMessage()
               for r in caplog.records)
    assert client.post(b"6:::1+[]").body == b"1"  # a late ack matches nothing, harmlessly
    client.assert_alive()


def test_ack_timeout_defaults_to_the_server_option(make_server):
    live = make_server(ack_timeout=0.2)
    client = PollingClient(live.port)
    namespace = live.manager.sessions[client.sid].namespaces[""]
    errors = []
    namespace.emit("q", callback=lambda *a: None, on_timeout=errors.append)
    wait_until(lambda: errors)
    assert errors[0].timeout == 0.2 and errors[0].event == "q" and errors[0].ack_id == 1


@pytest.mark.parametrize("tls", [False, True])
def test_handshake_data_is_the_same_whichever_way_the_request_was_read(make_server,
                                                                       monkeypatch, tls):
    """A handshake read the short way builds its data from the headers without an
    environ; read gevent's way, from the environ: the namespace sees the same."""
    seen: list[dict[str, Any]] = []

    class Main(BaseNamespace):
        def recv_connect(self) -> None:
            seen.append(dict(self.handshake))

    live = make_server(namespaces={"": Main})
    if tls:  # what the environ would say of the scheme, without building it
        monkeypatch.setitem(live.server.environ, "wsgi.url_scheme", "https")
    head = ("GET /socket.io/1/?t=1&a=%20b HTTP/1.1\r\nHost: x\r\nX-Twice: one\r\n"
            "X-Twice: two\r\nCookie: a=1\r\ncookie: b=2\r\nX_Under: dropped\r\n"
            "Content-Type: text/plain\r\nUser-Agent: test\r\n\r\n").encode("latin-1")
    for short in (True, False):
        monkeypatch.setattr(SocketIOHandler, "short_way", lambda self, short=short: short)
        with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
            sock.sendall(head)
            sid = read_response(sock, bytearray()).text.split(":")[0]
        request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
        wait_until(lambda: len(seen) == (1 if short else 2))
    short_data, gevents_data = ({k: v for k, v in data.items()
                                 if k not in ("time", "issued", "address")} for data in seen)
    assert short_data == gevents_data
    assert short_data["headers"] == {"host": "x", "x-twice": "one,two", "cookie": "a=1; b=2",
                                     "user-agent": "test"}
    assert short_data["url"] == "/socket.io/1/?t=1&a=%20b"
    assert short_data["secure"] is tls


def test_dispatch_asks_each_class_its_own_acl_and_handler_arity(make_server):
    """Dispatch checks the ACL and the handler's arity without calls on the common path:
    an ``is_method_allowed`` override still decides (also one set on the class after
    events were handled), a subclass's handler is checked against its own arity, not
    its base's, and a handler an instance sets on itself is the one called."""
    class Base(BaseNamespace):
        def on_echo(self, value: Any) -> None:
            self.emit("echo", value)

    class Sub(Base):
        def on_echo(self, first: Any, second: Any) -> None:
            self.emit("echo", first, second)

    class Own(Base):
        def initialize(self) -> None:
            self.on_echo = lambda value: self.emit("own", value)

    live = make_server(namespaces={"": Base, "/sub": Sub, "/own": Own})
    client = PollingClient(live.port)
    for endpoint in ("/sub", "/own"):
        client.post(f"1::{endpoint}".encode())
        assert client.poll() == [f"1::{endpoint}"]
    client.post(b'5:::{"name":"echo","args":[1]}')
    assert client.poll() == ['5:::{"name":"echo","args":[1]}']
    client.post(b'5::/sub:{"name":"echo","args":[1]}')
    (refused,) = client.poll()
    assert refused.startswith('5::/sub:{"name":"error","args":["invalid_arguments",')
    client.post(b'5::/sub:{"name":"echo","args":[1,2]}')
    assert client.poll() == ['5::/sub:{"name":"echo","args":[1,2]}']
    client.post(b'5::/own:{"name":"echo","args":[3]}')
    assert client.poll() == ['5::/own:{"name":"own","args":[3]}']

    Base.is_method_allowed = lambda self, name: name != "on_echo"  # type: ignore[method-assign]
    try:
        client.post(b'5:::{"name":"echo","args":[1]}')
        (denied,) = client.poll()
        assert denied.startswith('5:::{"name":"error","args":["method_access_denied",')
    finally:
        del Base.is_method_allowed
    client.assert_alive()
