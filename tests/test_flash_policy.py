"""The Flash socket policy, on raw sockets: inline on the HTTP port and on its own port."""

from __future__ import annotations

import socket

import pytest

from geventsio import SocketIOServer
from geventsio.http.flashpolicy import POLICY_REQUEST, policy_document
from geventsio.core.origins import OriginAllowList

from .rawclient import handshake

#: The reference's answer for origins '*:*' (wire file, "Flash policy file"), 206 bytes.
REFERENCE_POLICY = (
    b'<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM '
    b'"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy>'
    b'<allow-access-from domain="*" to-ports="*"/></cross-domain-policy>'
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ask_policy(port: int, pieces: list[bytes] = (POLICY_REQUEST,)) -> bytes:
    """Send the request (maybe in pieces) and read everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for piece in pieces:
            sock.sendall(piece)
        received = b""
        while True:
            data = sock.recv(4096)
            if not data:
                return received
            received += data


def test_document_for_any_origin_is_the_references():
    assert policy_document(OriginAllowList("*:*")) == REFERENCE_POLICY
    assert len(REFERENCE_POLICY) == 206


def test_document_lists_each_allowed_origin():
    document = policy_document(OriginAllowList('a.test:80 *:8080 b"&.test:*'.replace('"&', "")))
    assert document.endswith(
        b'<cross-domain-policy><allow-access-from domain="a.test" to-ports="80"/>'
        b'<allow-access-from domain="*" to-ports="8080"/>'
        b'<allow-access-from domain="b.test" to-ports="*"/></cross-domain-policy>')


def test_inline_answer_on_the_http_port(live):
    assert _ask_policy(live.port) == REFERENCE_POLICY
    assert handshake(live.port)  # the port still serves HTTP


def test_inline_answer_when_the_request_arrives_in_pieces(live):
    assert _ask_policy(live.port, [POLICY_REQUEST[:5], POLICY_REQUEST[5:]]) == REFERENCE_POLICY


def test_inline_answer_follows_the_origins(make_server):
    live = make_server(origins="good.test:8000")
    assert b'domain="good.test" to-ports="8000"' in _ask_policy(live.port)


def test_other_non_http_bytes_get_400(live, caplog):
    answer = _ask_policy(live.port, [b"<policy-file-request/>!"])
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in answer
    assert "neither HTTP nor a Flash policy request" in caplog.text


def test_only_the_first_bytes_of_a_connection_are_looked_at(live):
    """A keep-alive connection's second request is plain HTTP, never a policy request."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(b"GET /socket.io/ HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while b"Welcome to socket.io." not in received:
            received += sock.recv(4096)
        sock.sendall(POLICY_REQUEST + b"\r\n\r\n")  # gevent reads it as a request line
        rest = b""
        while True:
            data = sock.recv(4096)
            if not data:
                break
            rest += data
        assert rest.startswith(b"HTTP/1.1 400 Bad Request")
        assert REFERENCE_POLICY not in rest


def test_policy_listener(make_server):
    port = _free_port()
    live = make_server(policy_server=True, policy_port=port, origins="good.test:8000 *:*")
    assert live.server.policy_server is not None
    assert live.server.policy_server.server_host == "127.0.0.1"
    assert _ask_policy(port) == REFERENCE_POLICY  # *:* among the patterns allows all
    assert _ask_policy(port, [b"GET / HTTP/1.1\r\n\r\n"]) == b""  # anything else: closed
    live.server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_policy_listener_is_off_by_default(live):
    assert live.server.policy_server is None


def test_policy_port_in_use_fails_the_start(make_server):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        server = SocketIOServer(("127.0.0.1", 0), None, policy_server=True,
                                policy_port=taken.getsockname()[1], log=None)
        with pytest.raises(OSError):
            server.start()
        assert not server.started
