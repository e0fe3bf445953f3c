"""Bad input gets a clear answer, a log line, and costs nobody else anything.

Each case sends something wrong, checks the answer the client gets and the log, then
checks that the same session (where it survives) and another session still work.
"""

from __future__ import annotations

import pytest

from geventsio.protocol import decode_payload

from .rawclient import RawWebSocket, handshake, open_websocket, request


class PollingClient:
    """A raw xhr-polling client for one session."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sid = handshake(port)
        self.path = f"/socket.io/1/xhr-polling/{self.sid}"
        first = decode_payload(request(port, "GET", self.path).text)
        assert first[0] == "1::"

    def post(self, body: bytes, **kwargs):
        return request(self.port, "POST", self.path, body, **kwargs)

    def poll(self) -> list[str]:
        return decode_payload(request(self.port, "GET", self.path).text)

    def assert_alive(self) -> None:
        """The session still echoes."""
        assert self.post(b'5:::{"name":"echo","args":["still here"]}').body == b"1"
        assert self.poll() == ['5:::{"name":"echo","args":["still here"]}']


@pytest.fixture
def client(live):
    return PollingClient(live.port)


@pytest.fixture
def bystander(live):
    """Another session that must not notice anything."""
    return PollingClient(live.port)


def _logged(caplog, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("packet, expected", [
    (b"x:::what", "malformed_packet"),
    (b"5:::{not json", "malformed_packet"),
    (b'5:::{"args":[1]}', "malformed_packet"),
    (b'5:::{"name":42}', "malformed_packet"),
    (b"6:::abc", "malformed_packet"),
    (b"5:abc::{}", "malformed_packet"),
    (b"4:::{broken", "malformed_packet"),
    (b"9::", "malformed_packet"),
])
def test_malformed_packet_gets_an_error_event(client, bystander, caplog, packet, expected):
    assert client.post(packet).body == b"1"
    (answer,) = client.poll()
    assert answer.startswith('5:::{"name":"error","args":["%s",' % expected), answer
    assert _logged(caplog, "malformed packet")
    client.assert_alive()
    bystander.assert_alive()


@pytest.mark.parametrize("name, error", [
    ("no_handler_here", "no_such_method"),
    ("disconnect", "reserved_event"),
    ("connect", "reserved_event"),
    ("message", "reserved_event"),
    ("../etc", "invalid_event_name"),
    ("__class__", "invalid_event_name"),
    ("_forever", "invalid_event_name"),
])
def test_unknown_reserved_and_invalid_event_names(client, bystander, live, caplog, name, error):
    body = ('5:::{"name":"%s","args":[]}' % name).encode()
    assert client.post(body).body == b"1"
    (answer,) = client.poll()
    assert answer.startswith('5:::{"name":"error","args":["%s",' % error), answer
    assert _logged(caplog, error)
    assert not live.recorder.find("disconnect", sid=client.sid)
    client.assert_alive()
    bystander.assert_alive()


def test_wrong_number_of_arguments(client, caplog):
    client.post(b'5:::{"name":"two_args","args":[1]}')
    (answer,) = client.poll()
    assert answer.startswith('5:::{"name":"error","args":["invalid_arguments",')
    client.assert_alive()


def test_handler_that_raises(client, bystander, caplog):
    assert client.post(b'5:1+::{"name":"boom"}').body == b"1"
    (answer,) = client.poll()  # an error event, and no ack
    assert answer == '5:::{"name":"error","args":["handler_error","the server failed to handle \\"boom\\""]}'
    failures = [r for r in caplog.records if "handler on_boom raised" in r.getMessage()]
    assert failures and failures[0].exc_info is not None
    client.assert_alive()
    bystander.assert_alive()


def test_unknown_sid_on_polling_gets_not_handshaken(live, bystander, caplog):
    response = request(live.port, "GET", "/socket.io/1/xhr-polling/AAAAAAAAAAAAAAAAAAAA")
    assert (response.status, response.text) == (200, "7:::1+0")
    response = request(live.port, "POST", "/socket.io/1/xhr-polling/AAAAAAAAAAAAAAAAAAAA", b"3:::x")
    assert (response.status, response.text) == (200, "7:::1+0")
    assert _logged(caplog, "unknown or ended session")
    bystander.assert_alive()


def test_unknown_sid_on_websocket_gets_not_handshaken(live, bystander):
    ws = RawWebSocket(live.port, "/socket.io/1/websocket/AAAAAAAAAAAAAAAAAAAA")
    try:
        assert ws.status == 101
        assert ws.recv_text() == "7:::1+0"
        assert ws.recv_close_code() == 1000
    finally:
        ws.close()
    bystander.assert_alive()


def test_second_websocket_for_a_connected_sid_is_refused(live):
    sid = handshake(live.port)
    first = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    second = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        assert first.recv_text() == "1::"
        assert second.recv_text() == "7:::1+0"
        first.send_text('5:::{"name":"echo","args":[1]}')
        assert first.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":[1]}'
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("path, status", [
    ("/socket.io/1/flashsocket/AAAAAAAAAAAAAAAAAAAA", 400),  # not an upgrade
    ("/socket.io/1/nonsense/AAAAAAAAAAAAAAAAAAAA", 400),
    ("/socket.io/2/", 400),
    ("/socket.io/1/xhr-polling", 404),
    ("/socket.io/1/xhr-polling/a/b/c", 404),
    ("/socket.io/1/xhr-polling/bad%20sid", 404),
])
def test_bad_paths(live, bystander, caplog, path, status):
    response = request(live.port, "GET", path)
    assert response.status == status
    assert response.body  # says what is wrong
    assert caplog.records
    bystander.assert_alive()


@pytest.mark.parametrize("method, path", [
    ("PUT", "/socket.io/1/"),
    ("DELETE", "/socket.io/1/"),
    ("PUT", "/socket.io/1/xhr-polling/{sid}"),
    ("DELETE", "/socket.io/1/xhr-polling/{sid}"),
    ("PUT", "/socket.io/1/jsonp-polling/{sid}"),
    ("PUT", "/socket.io/1/htmlfile/{sid}"),
    ("DELETE", "/socket.io/1/xhr-multipart/{sid}"),
    ("POST", "/socket.io/1/flashsocket/{sid}"),
    ("POST", "/socket.io/1/websocket/{sid}"),
    ("POST", "/socket.io/socket.io.js"),
])
def test_wrong_methods(live, client, method, path):
    response = request(live.port, method, path.format(sid=client.sid), b"x")
    assert response.status == 405
    assert b"not allowed" in response.body
    client.assert_alive()


def test_oversize_body_is_refused_with_413(make_server, caplog):
    live = make_server(max_body_size=1000)
    client, bystander = PollingClient(live.port), PollingClient(live.port)
    big = ('3:::' + 'x' * 2000).encode()
    response = client.post(big)
    assert response.status == 413
    assert _logged(caplog, "exceeds the limit")
    client.assert_alive()
    bystander.assert_alive()


def test_oversize_chunked_body_is_refused_with_413(make_server):
    live = make_server(max_body_size=1000)
    client = PollingClient(live.port)
    chunk = b"3:::" + b"y" * 1500
    raw = (f"POST {client.path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
           f"Connection: close\r\n\r\n{len(chunk):x}\r\n").encode() + chunk + b"\r\n0\r\n\r\n"
    response = request(live.port, "POST", client.path, raw=raw)
    assert response.status == 413
    client.assert_alive()


@pytest.mark.parametrize("body", [
    "\ufffd9\ufffd3:::a".encode(),                                  # length past the end
    "\ufffdx\ufffd3:::a".encode(),                                  # length not a number
    "\ufffd3:::a".encode(),                                         # no second separator
])
def test_malformed_framing_is_400(client, bystander, caplog, body):
    response = client.post(body)
    assert response.status == 400
    assert _logged(caplog, "")
    client.assert_alive()
    bystander.assert_alive()


def test_invalid_utf8_body_is_400(client, caplog):
    response = client.post(b"3:::\xff\xfe")
    assert response.status == 400
    assert b"UTF-8" in response.body
    client.assert_alive()


def test_too_many_packets_in_one_payload(make_server):
    live = make_server()
    client = PollingClient(live.port)
    body = "".join("\ufffd3\ufffd2::" for _ in range(1001)).encode()
    assert client.post(body).status == 400
    client.assert_alive()


def test_websocket_garbage_frames(live, bystander, caplog):
    sid, ws = open_websocket(live.port)
    try:
        ws.recv_text()  # welcome
        ws.send_text("not a packet")
        error = ws.recv_until(lambda t: t != "2::")
        assert error.startswith('5:::{"name":"error","args":["malformed_packet",')
        ws.send_frame(b"\x00\x01binary", opcode=2)
        ws.send_text('5:::{"name":"echo","args":["after"]}')
        assert ws.recv_until(lambda t: t != "2::") == '5:::{"name":"echo","args":["after"]}'
        assert _logged(caplog, "binary frame refused")
    finally:
        ws.close()
    bystander.assert_alive()


def test_websocket_oversize_frame_closes_with_1009(make_server, caplog):
    live = make_server(max_body_size=1000)
    bystander = PollingClient(live.port)
    sid, ws = open_websocket(live.port)
    try:
        ws.send_frame(b"", length=10_000_000)  # announces 10 MB, sends nothing
        assert ws.recv_close_code() == 1009
    finally:
        ws.close()
    assert _logged(caplog, "exceeds the limit")
    live.wait_sessions(1)  # only the bystander is left
    bystander.assert_alive()


def test_websocket_upgrade_with_bad_key(live):
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/websocket/{sid}", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "short"})
    assert response.status == 400


def test_websocket_path_without_upgrade(live):
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/websocket/{sid}")
    assert response.status == 400
    assert b"websocket upgrade" in response.body


def test_bad_jsonp_index_on_handshake(live):
    response = request(live.port, "GET", "/socket.io/1/?jsonp=alert(1)")
    assert response.status == 400
    assert b"alert" not in response.body or b"jsonp" in response.body


def test_oversize_body_is_not_read_at_all(make_server):
    # The client announces 100 MB and sends a few bytes: the 413 comes at once and the
    # server does not wait for (or read) the rest.
    live = make_server(max_body_size=1000)
    client = PollingClient(live.port)
    raw = (f"POST {client.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
           "3:::start").encode()
    import socket as socket_module

    from .rawclient import read_response

    with socket_module.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(raw)
        response = read_response(sock)
        assert response.status == 413
        assert response.headers["connection"] == "close"
        sock.settimeout(10)
        assert sock.recv(100) == b""  # the server closed the connection
    client.assert_alive()


def test_websocket_fragments_add_up_to_the_limit(make_server, caplog):
    live = make_server(max_body_size=1000)
    sid, ws = open_websocket(live.port)
    try:
        ws.send_frame(b"3:::" + b"a" * 400, opcode=1, fin=False)   # each fragment is small,
        ws.send_frame(b"b" * 400, opcode=0, fin=False)              # together they are not
        ws.send_frame(b"c" * 400, opcode=0, fin=True)
        assert ws.recv_close_code() == 1009
    finally:
        ws.close()
    assert _logged(caplog, "exceeds the limit")


def test_websocket_fragmented_message_under_the_limit_is_fine(make_server):
    live = make_server(max_body_size=1000)
    sid, ws = open_websocket(live.port)
    try:
        ws.send_frame(b'5:::{"name":"echo",', opcode=1, fin=False)
        ws.send_frame(b'"args":["split"]}', opcode=0, fin=True)
        assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["split"]}'
    finally:
        ws.close()


def test_websocket_text_that_is_not_utf8_closes_with_1007(live, bystander, caplog):
    sid, ws = open_websocket(live.port)
    try:
        ws.send_frame(b"3:::\xff\xfe")
        assert ws.recv_close_code() == 1007
    finally:
        ws.close()
    assert _logged(caplog, "not UTF-8")
    live.recorder.wait_for("disconnect", sid=sid, ns="")
    bystander.assert_alive()


@pytest.mark.parametrize("frames", [
    [(0, True, b"orphan continuation")],
    [(1, False, b"3:::a"), (1, True, b"3:::b")],     # a new message inside a fragmented one
    [(5, True, b"")],                                 # reserved opcode
])
def test_websocket_frames_out_of_order_end_the_connection(live, bystander, frames):
    sid, ws = open_websocket(live.port)
    try:
        for opcode, fin, payload in frames:
            ws.send_frame(payload, opcode=opcode, fin=fin)
        live.recorder.wait_for("disconnect", sid=sid, ns="")
    finally:
        ws.close()
    bystander.assert_alive()


def test_websocket_ping_gets_a_pong(live):
    sid, ws = open_websocket(live.port)
    try:
        ws.send_frame(b"are you there", opcode=9)
        while True:
            opcode, payload = ws.recv_frame()
            if opcode == 10:
                break
        assert payload == b"are you there"
        ws.send_text('5:::{"name":"echo","args":["yes"]}')
        assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["yes"]}'
    finally:
        ws.close()


def test_websocket_upgrade_with_unsupported_version(live):
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/websocket/{sid}", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "99",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert response.status == 426
    assert response.headers["sec-websocket-version"] == "13"
    assert sid in live.manager.sessions  # the session may still connect properly


def test_post_with_a_content_length_that_is_not_a_number(live, client):
    raw = (f"POST {client.path} HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n"
           "Connection: close\r\n\r\n3:::x").encode()
    assert request(live.port, "POST", client.path, raw=raw).status == 400
    client.assert_alive()
