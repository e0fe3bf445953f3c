"""jsonp-polling, htmlfile, xhr-multipart and flashsocket at the byte level.

Each transport gets: its exact wire format (against what the reference node server was
captured sending, where the reference has the transport), a payload test with text built to
break out of a string or a script (``</script>``, quotes, backslashes, line breaks,
U+2028/U+2029, U+FFFD, a non-BMP character) decoded back intact, its bad-input answers,
and its ending: a kicked session, a replaced transport, a client that vanishes.
"""

from __future__ import annotations

import pytest

from geventsio.protocol import (
    HTMLFILE_PRELUDE,
    EventPacket,
    decode_packet,
    decode_payload,
    encode_packet,
)

from .conftest import describe_greenlets, greenlets_since, greenlets_snapshot, wait_until
from .rawclient import JsonpClient, RawWebSocket, handshake, jsonp_payload, request
from .streamclient import StreamingResponse, htmlfile_packet, multipart_parts

TRICKY = ('quote" back\\slash </script><script>alert(1)</script> <!-- x --> a/b '
          '\n new\r\nline \u2028 \u2029 \ufffd7\ufffd emoji \U0001F600 caf\u00e9 end')
ECHO_TRICKY = encode_packet(EventPacket("echo", (TRICKY,)))


def _echo_args(packet_text: str) -> tuple:
    packet = decode_packet(packet_text)
    assert isinstance(packet, EventPacket) and packet.name == "echo", packet_text
    return packet.args


# -- jsonp-polling ----------------------------------------------------------------------


def test_jsonp_first_poll_connects(live):
    client = JsonpClient(live.port)
    client.index = 7
    packets = client.poll()
    assert packets[0] == "1::"
    assert packets[1].startswith('5:::{"name":"welcome"')


def test_jsonp_reference_bytes_for_an_echo(live):
    """The reference capture: `</script>`, `/` and non-ASCII go out raw, `"` escaped."""
    client = JsonpClient(live.port)
    client.poll()
    assert client.post('5:::{"name":"echo","args":["</script> a/b caf\u00e9"]}').body == b"1"
    response = request(live.port, "GET", f"{client.path}?t=1&i=0")
    assert response.body == (
        'io.j[0]("5:::{\\"name\\":\\"echo\\",\\"args\\":[\\"</script> a/b caf\u00e9\\"]}");'
    ).encode("utf-8")


def test_jsonp_payload_with_hostile_text_is_intact(live):
    client = JsonpClient(live.port)
    client.poll()
    assert client.post(ECHO_TRICKY).body == b"1"
    assert live.recorder.wait_for("echo")[0]["args"] == [TRICKY]
    response = request(live.port, "GET", f"{client.path}?t=1&i=1")
    raw = response.body
    assert "\u2028".encode() not in raw and "\u2029".encode() not in raw
    [packet] = decode_payload(jsonp_payload(response.text, 1))
    assert _echo_args(packet) == (TRICKY,)


def test_jsonp_two_packets_are_framed_inside_the_string(live):
    client = JsonpClient(live.port)
    client.poll()
    both = "".join(f"\ufffd{len(p)}\ufffd{p}" for p in (
        '5:::{"name":"echo","args":["a"]}', '5:::{"name":"echo","args":["b"]}'))
    client.post(both)
    live.recorder.wait_for("echo", count=2)
    assert client.poll() == ['5:::{"name":"echo","args":["a"]}',
                             '5:::{"name":"echo","args":["b"]}']


def test_jsonp_post_form_as_chromium_sends_it(live):
    """Spaces as `+`, the exact body of the browser capture in the wire file."""
    client = JsonpClient(live.port)
    client.poll()
    body = (b"d=%225%3A%3A%3A%7B%5C%22name%5C%22%3A%5C%22echo%5C%22%2C%5C%22args%5C%22%3A"
            b"%5B%5C%22h%C3%A9llo+%E2%98%83%5C%22%5D%7D%22")
    response = request(live.port, "POST", f"{client.path}?t=1&i=0", body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.body == b"1"
    assert live.recorder.wait_for("echo")[0]["args"] == ["h\u00e9llo \u2603"]


def test_jsonp_unknown_sid_gets_not_handshaken_as_the_reference(live, caplog):
    response = request(live.port, "GET", "/socket.io/1/jsonp-polling/AAAAAAAAAAAAAAAAAAAA?t=1&i=0")
    assert response.status == 200
    assert response.body == b'io.j[0]("7:::1+0");'
    assert response.headers["content-type"] == "text/javascript; charset=UTF-8"
    assert "unknown or ended session" in caplog.text


@pytest.mark.parametrize("index", ["-1", "1e3", "alert(1)", "0x10", "12345678", "%2B1"])
def test_jsonp_bad_index_is_400(live, caplog, index):
    client = JsonpClient(live.port)
    response = request(live.port, "GET", f"{client.path}?t=1&i={index}")
    assert response.status == 400
    assert b"jsonp index" in response.body
    assert "jsonp index" in caplog.text
    assert client.poll()[0] == "1::"  # the session is untouched


@pytest.mark.parametrize("body, complaint", [
    (b"x=1", b"expected form field 'd'"),
    (b"d=%7Bnot+json", b"JSON"),
    (b"d=42", b"JSON string"),
    (b"d=%22%FF%22", b"not UTF-8"),
    (b"d=%22%EF%BF%BD12%22", b"frame header"),  # framing marker but no frame
])
def test_jsonp_malformed_form_is_400_and_the_session_survives(live, caplog, body, complaint):
    client = JsonpClient(live.port)
    client.poll()
    other = JsonpClient(live.port)
    other.poll()
    response = request(live.port, "POST", f"{client.path}?t=1&i=1", body)
    assert response.status == 400
    assert complaint in response.body, response.body
    assert caplog.records
    for each in (client, other):
        assert each.post('5:::{"name":"echo","args":["ok"]}').body == b"1"
        assert each.poll() == ['5:::{"name":"echo","args":["ok"]}']


def test_jsonp_oversize_post_is_413(make_server):
    live = make_server(max_body_size=100)
    client = JsonpClient(live.port)
    response = client.post("3:::" + "x" * 200)
    assert response.status == 413


def test_jsonp_client_that_stops_polling_leaves_nothing(make_server):
    live = make_server(close_timeout=1, polling_duration=0.5, heartbeat_interval=0.3,
                       heartbeat_timeout=0.9)
    before = greenlets_snapshot()
    client = JsonpClient(live.port)
    client.poll()
    live.wait_sessions(0, timeout=10)
    live.recorder.wait_for("disconnect", sid=client.sid)
    wait_until(lambda: not greenlets_since(before), timeout=15,
               describe=lambda: describe_greenlets(greenlets_since(before)))


def test_jsonp_disabled_is_refused(make_server):
    live = make_server(transports=["websocket", "xhr-polling"])
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/jsonp-polling/{sid}?i=0")
    assert response.status == 400
    assert b"transport not supported" in response.body


# -- xhr-polling payload ----------------------------------------------------------------


def test_xhr_polling_payload_with_hostile_text_is_intact(live):
    sid = handshake(live.port)
    path = f"/socket.io/1/xhr-polling/{sid}"
    request(live.port, "GET", path)
    assert request(live.port, "POST", path, ECHO_TRICKY.encode("utf-8")).body == b"1"
    response = request(live.port, "GET", path)
    assert response.headers["content-type"] == "text/plain; charset=UTF-8"
    [packet] = decode_payload(response.text)
    assert _echo_args(packet) == (TRICKY,)


# -- htmlfile ---------------------------------------------------------------------------


def _open_htmlfile(port: int, sid: str | None = None) -> tuple[str, StreamingResponse]:
    sid = sid or handshake(port)
    stream = StreamingResponse(port, f"/socket.io/1/htmlfile/{sid}?t=1")
    return sid, stream


def test_htmlfile_head_prelude_and_first_packets(live):
    sid, stream = _open_htmlfile(live.port)
    try:
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/html; charset=UTF-8"
        assert stream.headers["transfer-encoding"] == "chunked"
        prelude = stream.next_chunk()
        assert prelude == HTMLFILE_PRELUDE.encode("ascii") and len(prelude) == 256
        assert prelude.startswith(b"<html><body><script>var _ = function (msg) "
                                  b"{ parent.s._(msg, document); };</script>")
        assert stream.next_chunk() == b'<script>_("1::");</script>'
        welcome = htmlfile_packet(stream.next_chunk())
        assert welcome == '5:::{"name":"welcome","args":[{"id":"%s","nsp":""}]}' % sid
    finally:
        stream.close()


def test_htmlfile_post_and_echo_escapes_as_the_reference(live):
    sid, stream = _open_htmlfile(live.port)
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        body = '5:::{"name":"echo","args":["</script> a/b \\"q\\" caf\u00e9"]}'
        assert request(live.port, "POST", f"/socket.io/1/htmlfile/{sid}",
                       body.encode("utf-8")).body == b"1"
        chunk = stream.chunks_until(lambda c: b"echo" in c)[-1]
        # The reference writes `/` as `\/`; we also write `<` as `\u003c`.
        assert chunk == ('<script>_("5:::{\\"name\\":\\"echo\\",\\"args\\":[\\"\\u003c\\/script>'
                         ' a\\/b \\\\\\"q\\\\\\" caf\u00e9\\"]}");</script>').encode("utf-8")
    finally:
        stream.close()


def test_htmlfile_payload_with_hostile_text_is_intact(live):
    sid, stream = _open_htmlfile(live.port)
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        request(live.port, "POST", f"/socket.io/1/htmlfile/{sid}", ECHO_TRICKY.encode("utf-8"))
        chunk = stream.chunks_until(lambda c: b"echo" in c)[-1]
        assert b"</script" not in chunk[len(b"<script>"):-len(b"</script>")]
        assert _echo_args(htmlfile_packet(chunk)) == (TRICKY,)
    finally:
        stream.close()


def test_htmlfile_sends_heartbeats(live):
    _, stream = _open_htmlfile(live.port)
    try:
        chunks = stream.chunks_until(lambda c: b'"2::"' in c)
        assert chunks[-1] == b'<script>_("2::");</script>'
        assert not stream.ended
    finally:
        stream.close()


def test_htmlfile_kick_ends_the_chunked_response(live):
    sid, stream = _open_htmlfile(live.port)
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        request(live.port, "POST", f"/socket.io/1/htmlfile/{sid}", b'5:::{"name":"kick_me"}')
        chunks = stream.chunks_until(lambda c: c == b"")
        assert chunks[-2:] == [b'<script>_("0::");</script>', b""]
        assert stream.at_eof()
        live.wait_sessions(0)
    finally:
        stream.close()


def test_htmlfile_replaced_by_a_new_request_ends_the_old_one(live):
    sid, first = _open_htmlfile(live.port)
    try:
        first.chunks_until(lambda c: b"welcome" in c)
        _, second = _open_htmlfile(live.port, sid)
        try:
            assert second.next_chunk() == HTMLFILE_PRELUDE.encode("ascii")
            assert first.chunks_until(lambda c: c == b"")[-1] == b""
            request(live.port, "POST", f"/socket.io/1/htmlfile/{sid}",
                    b'5:::{"name":"echo","args":["to the new one"]}')
            chunk = second.chunks_until(lambda c: b"echo" in c)[-1]
            assert _echo_args(htmlfile_packet(chunk)) == ("to the new one",)
            assert sid in live.manager.sessions
        finally:
            second.close()
    finally:
        first.close()


def test_htmlfile_unknown_sid_gets_a_whole_page_saying_not_handshaken(live, caplog):
    response = request(live.port, "GET", "/socket.io/1/htmlfile/AAAAAAAAAAAAAAAAAAAA")
    assert response.status == 200
    assert response.body == (HTMLFILE_PRELUDE + '<script>_("7:::1+0");</script>').encode()
    assert "unknown or ended session" in caplog.text


def test_htmlfile_goodbye_arriving_after_the_stream_closed_still_counts(live):
    """The 0.9 client POSTs 0:: and closes its iframe at once; the POST may come second."""
    sid, stream = _open_htmlfile(live.port)
    stream.chunks_until(lambda c: b"welcome" in c)
    session = live.manager.sessions[sid]
    stream.close()
    wait_until(lambda: session.transport is None)
    assert request(live.port, "POST", f"/socket.io/1/htmlfile/{sid}", b"0::").body == b"1"
    live.wait_sessions(0)
    assert session.close_reason == "client disconnect"


def test_htmlfile_stream_closed_without_goodbye_ends_the_session_soon(live):
    sid, stream = _open_htmlfile(live.port)
    stream.chunks_until(lambda c: b"welcome" in c)
    session = live.manager.sessions[sid]
    stream.close()
    live.wait_sessions(0)
    assert session.close_reason == "transport closed"


def test_htmlfile_client_that_vanishes_leaves_nothing(live):
    before = greenlets_snapshot()
    sid, stream = _open_htmlfile(live.port)
    stream.chunks_until(lambda c: b"welcome" in c)
    stream.drop()
    live.recorder.wait_for("disconnect", sid=sid)
    live.wait_sessions(0)
    wait_until(lambda: not greenlets_since(before), timeout=15,
               describe=lambda: describe_greenlets(greenlets_since(before)))


# -- xhr-multipart ----------------------------------------------------------------------


def _open_multipart(port: int) -> tuple[str, StreamingResponse]:
    sid = handshake(port)
    return sid, StreamingResponse(port, f"/socket.io/1/xhr-multipart/{sid}?t=1")


def test_multipart_wire_format(live):
    sid, stream = _open_multipart(live.port)
    try:
        assert stream.status == 200
        assert stream.headers["content-type"] == 'multipart/x-mixed-replace; boundary="socketio"'
        assert stream.headers["transfer-encoding"] == "chunked"
        assert stream.next_chunk() == b"--socketio\r\n"
        first = stream.next_chunk()
        assert first.startswith(b'Content-Type: application/json; charset=UTF-8\r\n\r\n"'
                                b'\xef\xbf\xbd3\xef\xbf\xbd1::\xef\xbf\xbd')
        assert first.endswith(b'"\r\n--socketio\r\n')
        [payload] = multipart_parts("--socketio\r\n" + first.decode("utf-8"))
        assert decode_payload(payload)[0] == "1::"
    finally:
        stream.close()


def test_multipart_payload_with_hostile_text_is_intact(live):
    sid, stream = _open_multipart(live.port)
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        forged = encode_packet(EventPacket("echo", ("\r\n--socketio\r\n" + TRICKY,)))
        request(live.port, "POST", f"/socket.io/1/xhr-multipart/{sid}", forged.encode())
        chunk = stream.chunks_until(lambda c: b"echo" in c)[-1]
        [payload] = multipart_parts("--socketio\r\n" + chunk.decode("utf-8"))
        assert chunk.count(b"\r\n--socketio") == 1  # only the real delimiter line
        assert _echo_args(payload) == ("\r\n--socketio\r\n" + TRICKY,)
    finally:
        stream.close()


def test_multipart_heartbeat_and_end(live):
    sid, stream = _open_multipart(live.port)
    try:
        chunks = stream.chunks_until(lambda c: b'"2::"' in c)
        assert multipart_parts("--socketio\r\n" + chunks[-1].decode()) == ["2::"]
        request(live.port, "GET", f"/socket.io/1/xhr-multipart/{sid}?disconnect=1")
        chunks = stream.chunks_until(lambda c: c == b"")
        assert chunks[-2:] == [b"\r\n--socketio--\r\n", b""]
        assert stream.at_eof()
        live.wait_sessions(0)
    finally:
        stream.close()


def test_multipart_unknown_sid(live):
    response = request(live.port, "GET", "/socket.io/1/xhr-multipart/AAAAAAAAAAAAAAAAAAAA")
    assert response.status == 200
    assert multipart_parts(response.text) == ["7:::1+0"]
    assert response.text.endswith("\r\n--socketio--\r\n")


def test_streaming_clients_that_vanish_or_leave_leave_nothing(live):
    """Half drop their TCP connection, half are disconnected by the server."""
    before = greenlets_snapshot()
    streams = []
    for i in range(20):
        opener = _open_htmlfile if i % 2 else _open_multipart
        streams.append(opener(live.port))
    live.wait_sessions(20)
    for i, (sid, stream) in enumerate(streams):
        stream.chunks_until(lambda c: b"welcome" in c)
        if i % 4 < 2:
            stream.drop()
        else:
            live.manager.sessions[sid].close("test kick")
    live.wait_sessions(0)
    for _, stream in streams:
        stream.close()
    wait_until(lambda: not greenlets_since(before), timeout=20,
               describe=lambda: describe_greenlets(greenlets_since(before)))


# -- flashsocket ------------------------------------------------------------------------


def test_flashsocket_speaks_websocket(live):
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/flashsocket/{sid}")
    try:
        assert ws.status == 101
        assert ws.recv_text() == "1::"
        ws.recv_until(lambda t: "welcome" in t)
        ws.send_text(ECHO_TRICKY)
        assert _echo_args(ws.recv_until(lambda t: "echo" in t)) == (TRICKY,)
    finally:
        ws.close()


def test_flashsocket_can_be_left_out(make_server):
    live = make_server(transports=["websocket", "xhr-polling"])
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/flashsocket/{sid}")
    try:
        assert ws.status == 400
    finally:
        ws.close()


# -- volatile readiness -----------------------------------------------------------------


@pytest.mark.parametrize("opener", [_open_htmlfile, _open_multipart])
def test_streaming_transport_is_not_ready_for_volatile_while_a_write_is_stuck(make_server,
                                                                              opener):
    """ready_for_volatile() is True while writes go straight out, False while the writer
    is blocked on a client that does not read, and True again once it reads."""
    # 8 MB queued: more than the byte bound by default, which this test is not about
    live = make_server(polling_duration=2, close_timeout=3, max_buffer_bytes=64 << 20)
    sid, stream = opener(live.port)
    try:
        stream.chunks_until(lambda c: b"welcome" in c)
        session = live.manager.sessions[sid]
        transport = session.transport
        assert transport.ready_for_volatile()
        big = encode_packet(EventPacket("big", ("x" * 200_000,)))
        for _ in range(40):  # far more than the socket buffers hold
            session.put(big)
        wait_until(lambda: not transport.ready_for_volatile(), timeout=10)
        while len(session.outbox) or transport._writing:
            stream.next_chunk()
        wait_until(transport.ready_for_volatile, timeout=10)
    finally:
        stream.close()


# -- the transports option --------------------------------------------------------------


def test_handshake_offers_the_chosen_transports_in_the_chosen_order(make_server):
    chosen = ["xhr-multipart", "jsonp-polling", "flashsocket", "xhr-polling", "htmlfile",
              "websocket"]
    live = make_server(transports=chosen)
    assert request(live.port, "GET", "/socket.io/1/").text.split(":")[3] == ",".join(chosen)


@pytest.mark.parametrize("left_out", ["websocket", "flashsocket", "htmlfile", "xhr-polling",
                                      "jsonp-polling", "xhr-multipart"])
def test_a_transport_left_out_is_not_offered_and_is_refused(make_server, caplog, left_out):
    offered = [name for name in ("websocket", "htmlfile", "xhr-polling", "jsonp-polling",
                                 "flashsocket", "xhr-multipart") if name != left_out]
    live = make_server(transports=offered)
    body = request(live.port, "GET", "/socket.io/1/").text
    assert body.split(":")[3] == ",".join(offered)
    sid = body.split(":")[0]
    response = request(live.port, "GET", f"/socket.io/1/{left_out}/{sid}?i=0")
    assert response.status == 400
    assert f"transport not supported: {left_out}".encode() in response.body
    assert "transport not supported" in caplog.text


def test_flashsocket_unknown_sid_gets_not_handshaken(live):
    ws = RawWebSocket(live.port, "/socket.io/1/flashsocket/AAAAAAAAAAAAAAAAAAAA")
    try:
        assert ws.status == 101
        assert ws.recv_text() == "7:::1+0"
        assert ws.recv_close_code() == 1000
    finally:
        ws.close()


@pytest.mark.parametrize("transport", ["htmlfile", "xhr-multipart", "jsonp-polling"])
def test_post_for_an_unknown_sid_gets_not_handshaken(live, transport):
    response = request(live.port, "POST", f"/socket.io/1/{transport}/AAAAAAAAAAAAAAAAAAAA?i=0",
                       b"2::")
    assert response.status == 200
    assert response.body == b"7:::1+0"


@pytest.mark.parametrize("transport", ["htmlfile", "xhr-multipart", "jsonp-polling"])
def test_oversize_post_on_each_http_transport_is_413(make_server, caplog, transport):
    live = make_server(max_body_size=100)
    sid = handshake(live.port)
    response = request(live.port, "POST", f"/socket.io/1/{transport}/{sid}?i=0", b"3:::" + b"x" * 200)
    assert response.status == 413
    assert "exceeds the limit of 100" in caplog.text
    assert request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b"2::").body == b"1"


# -- a session the application ends while binding it ------------------------------------
# The handler calls the WSGI application on a session's first transport request; if the
# application ends the session there, the transport cannot attach and the client is told
# 7:::1+0 in the transport's own format, on a response or websocket already opened.


def _app_ending_the_session(environ, start_response):
    """An application that ends the session it is asked to bind."""
    environ["socketio"].close("refused by the application", notify=False)
    start_response("403 Forbidden", [("Content-Type", "text/plain")])
    return [b"no"]


@pytest.mark.parametrize("transport, body", [
    ("xhr-polling", b"7:::1+0"),
    ("jsonp-polling", b'io.j[3]("7:::1+0");'),
])
def test_poll_of_a_session_ended_while_binding_gets_not_handshaken(make_server, transport, body):
    live = make_server(app=_app_ending_the_session, namespaces=None)
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/{transport}/{sid}?t=1&i=3")
    assert (response.status, response.body) == (200, body)
    live.wait_sessions(0)


@pytest.mark.parametrize("transport, chunks", [
    ("htmlfile", [HTMLFILE_PRELUDE.encode(), b'<script>_("7:::1+0");</script>', b""]),
    ("xhr-multipart", [b"--socketio\r\n",
                       b'Content-Type: application/json; charset=UTF-8\r\n\r\n'
                       b'"7:::1+0"\r\n--socketio\r\n',
                       b"\r\n--socketio--\r\n", b""]),
])
def test_stream_of_a_session_ended_while_binding_ends_saying_not_handshaken(
        make_server, transport, chunks):
    live = make_server(app=_app_ending_the_session, namespaces=None)
    sid = handshake(live.port)
    stream = StreamingResponse(live.port, f"/socket.io/1/{transport}/{sid}")
    try:
        assert stream.status == 200
        seen = stream.chunks_until(lambda chunk: chunk == b"")
        assert seen == chunks
        assert stream.at_eof()
    finally:
        stream.close()
    live.wait_sessions(0)


@pytest.mark.parametrize("transport", ["websocket", "flashsocket"])
def test_websocket_of_a_session_ended_while_binding_gets_not_handshaken(
        make_server, caplog, transport):
    live = make_server(app=_app_ending_the_session, namespaces=None)
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/{transport}/{sid}")
    try:
        assert ws.status == 101
        assert ws.recv_text() == "7:::1+0"
        assert ws.recv_close_code() == 1000
    finally:
        ws.close()
    assert "websocket for unknown or used session" in caplog.text
    live.wait_sessions(0)


@pytest.mark.parametrize("transport, body", [
    ("jsonp-polling", b'io.j[2]("0::");'),
    ("htmlfile", (HTMLFILE_PRELUDE + '<script>_("0::");</script>').encode()),
    ("xhr-multipart", b'--socketio\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n'
                      b'"0::"\r\n--socketio\r\n\r\n--socketio--\r\n'),
])
def test_a_session_kicked_between_requests_is_told_on_the_next_get_in_its_format(
        live, transport, body):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    live.manager.sessions[sid].close("kicked by the test")
    assert sid in live.manager.farewells
    path = f"/socket.io/1/{transport}/{sid}?t=1&i=2"
    post = request(live.port, "POST", path, b"2::")  # a POST does not take the farewell
    assert (post.status, post.body) == (200, b"7:::1+0")
    response = request(live.port, "GET", path)
    assert (response.status, response.body) == (200, body)
    assert b"7:::1+0" in request(live.port, "GET", path).body  # told once
