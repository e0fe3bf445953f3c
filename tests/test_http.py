"""The HTTP side of the server, byte by byte: handshake, polling, routing, the client file."""

from __future__ import annotations

import re

import gevent
import pytest

from geventsio.protocol import decode_payload, encode_payload, is_valid_sid

from .conftest import wait_until
from .rawclient import RawWebSocket, handshake, request

ALL = "websocket,htmlfile,xhr-polling,jsonp-polling,flashsocket,xhr-multipart"
HANDSHAKE_BODY = re.compile(r"^([A-Za-z0-9_-]{20}):3:3:" + ALL + "$")


def test_handshake_body_and_headers(live):
    response = request(live.port, "GET", "/socket.io/1/?t=1795695672071")
    assert response.status == 200
    assert response.headers["content-type"] == "text/plain; charset=UTF-8"
    match = HANDSHAKE_BODY.match(response.text)
    assert match, response.text
    assert is_valid_sid(match.group(1))
    assert match.group(1) in live.manager.sessions
    assert "access-control-allow-origin" not in response.headers


def test_handshake_with_origin_sends_cors(live):
    response = request(live.port, "GET", "/socket.io/1/", headers={"Origin": "http://example.test"})
    assert response.headers["access-control-allow-origin"] == "http://example.test"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_handshake_post_is_accepted(live):
    response = request(live.port, "POST", "/socket.io/1/")
    assert response.status == 200
    assert HANDSHAKE_BODY.match(response.text)


def test_jsonp_handshake(live):
    response = request(live.port, "GET", "/socket.io/1/?t=1&jsonp=3")
    assert response.status == 200
    assert response.headers["content-type"] == "application/javascript"
    match = re.fullmatch(r'io\.j\[3\]\("([A-Za-z0-9_-]{20}):3:3:' + ALL + r'"\);',
                         response.text)
    assert match, response.text


def test_handshake_advertises_fractional_timeouts(make_server):
    live = make_server(heartbeat_interval=0.5, heartbeat_timeout=2.5, close_timeout=7,
                       polling_duration=1)
    body = request(live.port, "GET", "/socket.io/1/").text
    assert body.split(":")[1:] == ["2.5", "7", ALL]


def test_transports_option_limits_the_handshake(make_server):
    live = make_server(transports=["xhr-polling"])
    assert request(live.port, "GET", "/socket.io/1/").text.endswith(":xhr-polling")


def test_sids_are_unique_and_unguessable(live):
    sids = {handshake(live.port) for _ in range(50)}
    assert len(sids) == 50
    assert all(is_valid_sid(s) for s in sids)


def test_first_poll_connects_and_batches(live):
    sid = handshake(live.port)
    response = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}?t=1")
    assert response.status == 200
    assert response.headers["content-type"] == "text/plain; charset=UTF-8"
    assert response.headers["connection"] == "close"  # our request asked for close
    packets = decode_payload(response.text)
    assert packets[0] == "1::"
    assert packets[1] == '5:::{"name":"welcome","args":[{"id":"%s","nsp":""}]}' % sid


def test_idle_poll_answers_noop_after_polling_duration(make_server):
    live = make_server(polling_duration=0.3)
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")  # 1:: and welcome
    response = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    assert response.text == "8::"


def test_post_is_answered_1_and_its_packets_reach_the_poll(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    post = request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}",
                   '\ufffd35\ufffd5:::{"name":"echo","args":["caf\u00e9"]}'
                   '\ufffd33\ufffd5:::{"name":"echo","args":["\U0001F600"]}'.encode("utf-8"),
                   headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert (post.status, post.body) == (200, b"1")
    assert post.headers["content-type"] == "text/plain; charset=UTF-8"
    poll = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    assert poll.body == ('\ufffd35\ufffd5:::{"name":"echo","args":["caf\u00e9"]}'
                         '\ufffd33\ufffd5:::{"name":"echo","args":["\U0001F600"]}').encode("utf-8")


def test_post_with_origin_has_cors_and_xss_header(live):
    sid = handshake(live.port)
    post = request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b"2::",
                   headers={"Origin": "http://example.test"})
    assert post.headers["access-control-allow-origin"] == "http://example.test"
    assert post.headers["x-xss-protection"] == "0"


def test_plain_ack_comes_before_the_handlers_output(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b"3:2::hello")
    poll = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    assert decode_payload(poll.text) == ["6:::2", "3:::hello"]


def test_data_ack_carries_the_handlers_return_value(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}",
            b'5:1+::{"name":"ack_me","args":["x",1]}')
    assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == '6:::1+["x",1]'
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b"3:3+::hello")
    assert decode_payload(request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text) == [
        "3:::hello", '6:::3+["hello"]']


def test_event_names_with_spaces_reach_underscored_handlers(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}",
            b'5:::{"name":"with space","args":[7]}')
    assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == \
        '5:::{"name":"spaced","args":[7]}'


def test_sync_disconnect_answers_pending_poll_with_0(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    pending = gevent.spawn(request, live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    wait_until(lambda: live.manager.sessions[sid].transport is not None)
    response = request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}/?disconnect=1")
    assert (response.status, response.body) == (200, b"")
    assert pending.get(timeout=10).text == "0::"
    assert sid not in live.manager.sessions
    live.recorder.wait_for("disconnect", sid=sid, ns="")


def test_server_kick_answers_pending_poll_with_0(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    pending = gevent.spawn(request, live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    wait_until(lambda: live.manager.sessions[sid].transport is not None)
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b'5:::{"name":"kick_me"}')
    assert pending.get(timeout=10).text == "0::"
    assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == "7:::1+0"


def test_server_kick_between_polls_is_told_on_the_next_poll(live):
    # The reference loses the 0:: here and the client sees 7:::1+0 (and reconnects);
    # we keep the last words for close_timeout.
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}",
            encode_payload(['5:::{"name":"echo","args":["last"]}',
                            '5:::{"name":"kick_me"}']).encode("utf-8"))
    assert sid not in live.manager.sessions
    assert decode_payload(request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text) == [
        '5:::{"name":"echo","args":["last"]}', "0::"]
    assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == "7:::1+0"
    assert not live.manager.farewells


def test_kept_farewell_expires_after_close_timeout(make_server):
    live = make_server(close_timeout=0.3, polling_duration=0.1)
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    live.manager.sessions[sid].close("kicked by the test")
    assert sid in live.manager.farewells
    wait_until(lambda: not live.manager.farewells)
    assert request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}").text == "7:::1+0"


def test_handshaken_session_without_transport_is_reaped(make_server):
    live = make_server(close_timeout=0.3, polling_duration=0.1)
    sid = handshake(live.port)
    assert sid in live.manager.sessions
    live.wait_sessions(0)


def test_polling_session_that_stops_polling_is_reaped(make_server):
    live = make_server(close_timeout=0.3, polling_duration=0.2)
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    live.wait_sessions(0)
    live.recorder.wait_for("disconnect", sid=sid, ns="")


def test_a_newer_poll_releases_the_older_one(live):
    sid = handshake(live.port)
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    first = gevent.spawn(request, live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    wait_until(lambda: live.manager.sessions[sid].transport is not None)
    second = gevent.spawn(request, live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    assert first.get(timeout=10).text == "8::"
    request(live.port, "POST", f"/socket.io/1/xhr-polling/{sid}", b"3:::late")
    assert second.get(timeout=10).text == "3:::late"


def test_resource_root_and_other_paths(live):
    assert request(live.port, "GET", "/socket.io/").text == "Welcome to socket.io."
    assert request(live.port, "GET", "/elsewhere").status == 404  # no app: plain 404


def test_wrapped_wsgi_app_serves_everything_else(make_server):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app saw " + environ["PATH_INFO"].encode()]

    live = make_server(app=app)
    assert request(live.port, "GET", "/hello").text == "app saw /hello"
    assert request(live.port, "GET", "/socket.io.html").text == "app saw /socket.io.html"
    assert request(live.port, "GET", "/socket.io/").text == "Welcome to socket.io."


def test_custom_resource(make_server):
    live = make_server(resource="api/rt")
    body = request(live.port, "GET", "/api/rt/1/").text
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}:60:60:" + ALL, body)
    assert request(live.port, "GET", "/socket.io/1/").status == 404


def test_client_script_is_served_from_node_modules(live):
    response = request(live.port, "GET", "/socket.io/socket.io.js")
    assert response.status == 200
    assert response.headers["content-type"] == "application/javascript"
    assert response.body.startswith(b"/*! Socket.IO.js build:0.9.16")


def test_missing_client_script_says_how_to_install(make_server, tmp_path):
    live = make_server(client_dir=str(tmp_path))
    response = request(live.port, "GET", "/socket.io/socket.io.js")
    assert response.status == 404
    assert b"npm install socket.io-client@0.9.16" in response.body


def test_keep_alive_serves_several_polls_on_one_connection(live):
    import socket as socket_module

    from .rawclient import read_response

    sid = handshake(live.port)
    with socket_module.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        buf = bytearray()
        for body in (b"3:::one", b"3:::two"):
            sock.sendall(f"POST /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            response = read_response(sock, buf)
            assert (response.status, response.body) == (200, b"1")
            assert response.headers["connection"] == "Keep-Alive"
        sock.sendall(f"GET /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert decode_payload(read_response(sock, buf).text)[-2:] == ["3:::one", "3:::two"]


def test_websocket_upgrade_and_first_frames(live):
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    try:
        assert ws.status == 101
        assert ws.recv_text() == "1::"
        assert ws.recv_text().startswith('5:::{"name":"welcome"')
        ws.send_text('5:::{"name":"echo","args":["hi"]}')
        assert ws.recv_until(lambda t: t != "2::") == '5:::{"name":"echo","args":["hi"]}'
    finally:
        ws.close()


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_disconnect_sync_url_of_the_09_client(live, transport):
    # disconnectSync() (sync disconnect on unload) names no transport: /1//<sid>/?disconnect=1
    sid = handshake(live.port)
    if transport == "xhr-polling":
        request(live.port, "GET", f"/socket.io/1/xhr-polling/{sid}")
    else:
        ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
        assert ws.recv_text() == "1::"
    response = request(live.port, "GET", f"/socket.io/1//{sid}/?disconnect=1")
    assert (response.status, response.body) == (200, b"")
    live.recorder.wait_for("disconnect", sid=sid, ns="")
    assert sid not in live.manager.sessions
    if transport == "websocket":
        assert ws.recv_until(lambda t: t != "2::" and not t.startswith("5:")) == "0::"
        ws.close()


def test_path_without_transport_only_serves_disconnect(live):
    sid = handshake(live.port)
    assert request(live.port, "GET", f"/socket.io/1//{sid}/").status == 404
    assert sid in live.manager.sessions


def test_handshake_header_names_beyond_the_remembered_ones():
    """Header names are remembered for the first 256 environ keys; later ones (a client
    inventing names) are still named right, and nothing more is kept."""
    from geventsio.http import handshake

    environ = {f"HTTP_X_PAD_{n}": str(n) for n in range(300)}
    environ.update({"HTTP_USER_AGENT": "node", "PATH_INFO": "/socket.io/1/", "SERVER_NAME": "x"})
    for _ in range(2):
        assert handshake.environ_headers(environ) == {
            "user-agent": "node", **{f"x-pad-{n}": str(n) for n in range(300)}}
        assert len(handshake._HEADER_NAMES) <= 256
