"""URL routing under the resource, query strings, the handshake body and session ids."""

import re

import pytest

from geventsio.exceptions import ProtocolError
from geventsio.protocol.handshake import (
    Target,
    TargetKind,
    format_handshake,
    is_valid_sid,
    jsonp_handshake_body,
    new_sid,
    parse_handshake,
    parse_query,
    parse_target,
)

ROOT = Target(TargetKind.ROOT)
HANDSHAKE = Target(TargetKind.HANDSHAKE, protocol=1)
OUTSIDE = Target(TargetKind.OUTSIDE)
INVALID = Target(TargetKind.INVALID)
SID = "-Sh8qr5T5Q9UbJr-yOqG"


def transport(name, sid=SID):
    return Target(TargetKind.TRANSPORT, protocol=1, transport=name, sid=sid)


def static(name):
    return Target(TargetKind.STATIC, static_name=name)


def unsupported(protocol):
    return Target(TargetKind.UNSUPPORTED_PROTOCOL, protocol=protocol)


TARGETS = [
    ("/socket.io", ROOT),
    ("/socket.io/", ROOT),
    ("/socket.io/1/", HANDSHAKE),
    ("/socket.io/1", HANDSHAKE),
    ("/socket.io/01/", HANDSHAKE),  # the reference compares Number("01") == 1
    (f"/socket.io/1/xhr-polling/{SID}", transport("xhr-polling")),
    (f"/socket.io/1/xhr-polling/{SID}/", transport("xhr-polling")),
    ("/socket.io/1/websocket/UWjcdoN8PQaCZZOIyOqM", transport("websocket", "UWjcdoN8PQaCZZOIyOqM")),
    (
        "/socket.io/1/jsonp-polling/dNXirCKs7HLB490KqQx6",
        transport("jsonp-polling", "dNXirCKs7HLB490KqQx6"),
    ),
    ("/socket.io/1/htmlfile/J2BkPHa-xAIP_szEqQx8", transport("htmlfile", "J2BkPHa-xAIP_szEqQx8")),
    ("/socket.io/1/xhr-multipart/abc", transport("xhr-multipart", "abc")),  # handler refuses it
    ("/socket.io/1/x/" + "a" * 64, transport("x", "a" * 64)),
    ("/socket.io/1/x/" + "a" * 65, INVALID),
    ("/socket.io/1/xhr-polling", INVALID),
    ("/socket.io/1/xhr-polling/", INVALID),
    (f"/socket.io/1/xhr-polling/{SID}//", INVALID),
    (f"/socket.io/1/xhr-polling/{SID}/extra", INVALID),
    ("/socket.io/1//abc", transport("", "abc")),  # the 0.9 client's disconnectSync()
    (f"/socket.io/1//{SID}/", transport("", SID)),
    ("/socket.io/1//", INVALID),
    ("/socket.io/1///", INVALID),
    ("/socket.io/1/xhr polling/abc", INVALID),
    ("/socket.io/1/xhr-polling/a.b", INVALID),
    ("/socket.io/1/xhr-polling/abc\n", INVALID),
    ("/socket.io/1/?t=1795695672071", INVALID),  # the query string is never part of the path
    ("/socket.io/1/xhr-polling/abc?t=1", INVALID),
    ("/socket.io/2/", unsupported(2)),
    ("/socket.io/2", unsupported(2)),
    ("/socket.io/0/xhr-polling/abc", unsupported(0)),
    ("/socket.io/" + "9" * 20 + "/", unsupported(None)),
    ("/socket.io/socket.io.js", static("socket.io.js")),
    ("/socket.io/socket.io.min.js", static("socket.io.min.js")),
    ("/socket.io/WebSocketMain.swf", static("WebSocketMain.swf")),
    ("/socket.io/WebSocketMainInsecure.swf", static("WebSocketMainInsecure.swf")),
    ("/socket.io/static/flashsocket/WebSocketMain.swf", static("WebSocketMain.swf")),
    (
        "/socket.io/static/flashsocket/WebSocketMainInsecure.swf",
        static("WebSocketMainInsecure.swf"),
    ),
    ("/socket.io/socket.io.js/", INVALID),
    ("/socket.io/foo", INVALID),
    ("/socket.io//", INVALID),
    ("/socket.io/\uff11/", INVALID),  # FULLWIDTH DIGIT ONE
    ("/socket.iox/1/", OUTSIDE),
    ("/SOCKET.IO/1/", OUTSIDE),
    ("/", OUTSIDE),
    ("", OUTSIDE),
    ("/chat", OUTSIDE),
    ("/other/1/", OUTSIDE),
    ("/static/socket.io/1/", OUTSIDE),
]


@pytest.mark.parametrize(("path", "target"), TARGETS, ids=[path for path, _ in TARGETS])
def test_parse_target(path, target):
    assert parse_target(path, "socket.io") == target


@pytest.mark.parametrize(
    ("path", "resource", "target"),
    [
        ("/api/socket.io/1/", "api/socket.io", HANDSHAKE),
        ("/api/socket.io", "api/socket.io", ROOT),
        (f"/api/socket.io/1/websocket/{SID}", "api/socket.io", transport("websocket")),
        ("/socket.io/1/", "api/socket.io", OUTSIDE),
        ("/api/1/", "api/socket.io", OUTSIDE),
        ("/socket.io/1/", "/socket.io/", HANDSHAKE),
        ("/rt/1/", "rt", HANDSHAKE),
        ("/rt/1/", "socket.io", OUTSIDE),
    ],
)
def test_parse_target_other_resources(path, resource, target):
    assert parse_target(path, resource) == target


@pytest.mark.parametrize(
    ("query_string", "query"),
    [
        ("", {}),
        ("t=1795695672071", {"t": "1795695672071"}),
        ("t=1&i=7", {"t": "1", "i": "7"}),
        ("disconnect", {"disconnect": ""}),
        ("t=1795694501&disconnect=True", {"t": "1795694501", "disconnect": "True"}),
        ("a=1&a=2", {"a": "1"}),
        ("q=caf%C3%A9&r=a+b", {"q": "café", "r": "a b"}),
        ("x=%FF", {"x": "\ufffd"}),
        ("&&a=&", {"a": ""}),
    ],
)
def test_parse_query(query_string, query):
    assert parse_query(query_string) == query


TRANSPORTS = ["websocket", "htmlfile", "xhr-polling", "jsonp-polling", "flashsocket"]
REFERENCE_HANDSHAKE = (
    "SMHLwZgu7Dd5kEV5yOqC:8:8:websocket,htmlfile,xhr-polling,jsonp-polling,flashsocket"
)


def test_format_handshake_reference_vector():
    body = format_handshake("SMHLwZgu7Dd5kEV5yOqC", 8, 8, TRANSPORTS)
    assert body == REFERENCE_HANDSHAKE
    assert len(body) == 0x51  # chunk size in the capture


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ((SID, 60, 60, ["websocket", "xhr-polling"]), f"{SID}:60:60:websocket,xhr-polling"),
        ((SID, None, 60, ["websocket"]), f"{SID}::60:websocket"),
        ((SID, None, None, []), f"{SID}:::"),
        ((SID, 0, 0, ["xhr-polling"]), f"{SID}:0:0:xhr-polling"),
        ((SID, 1.5, 0.25, ["websocket"]), f"{SID}:1.5:0.25:websocket"),
    ],
)
def test_format_and_parse_handshake(fields, body):
    assert format_handshake(*fields) == body
    assert parse_handshake(body) == fields


def test_whole_float_seconds_are_written_as_integers():
    assert format_handshake(SID, 60.0, 25.0, ["websocket"]) == f"{SID}:60:25:websocket"


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan"), "60", True])
def test_format_handshake_refuses_bad_timeouts(bad):
    with pytest.raises(ValueError):
        format_handshake(SID, bad, 60, ["websocket"])


def test_parse_handshake_reference_vector():
    assert parse_handshake(REFERENCE_HANDSHAKE) == ("SMHLwZgu7Dd5kEV5yOqC", 8, 8, TRANSPORTS)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "abc",
        "a:b",
        f"{SID}:60:60",
        f"{SID}:x:60:websocket",
        f"{SID}:60:-1:websocket",
        f"{SID}:60:60:web socket",
        f"{SID}:60:60:a,,b",
        f"{SID}:60:60:websocket:extra",
        f"{SID}:6 0:60:websocket",
        f"{SID}:9999999999:60:websocket",
        ":60:60:websocket",
        "bad sid!:60:60:websocket",
        f"{SID}:60:60:websocket\n",
    ],
)
def test_parse_handshake_rejects(body):
    with pytest.raises(ProtocolError):
        parse_handshake(body)


@pytest.mark.parametrize(
    "fields",
    [
        ("bad sid", 60, 60, ["websocket"]),
        (SID, -1, 60, ["websocket"]),
        (SID, True, 60, ["websocket"]),
        (SID, 60, "60", ["websocket"]),
        (SID, 60, 60, ["web,socket"]),
    ],
)
def test_format_handshake_rejects_programming_errors(fields):
    with pytest.raises(ValueError):
        format_handshake(*fields)


def test_new_sid_shape_and_uniqueness():
    sids = {new_sid() for _ in range(1000)}
    assert len(sids) == 1000
    for sid in sids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{20}", sid) is not None
        assert is_valid_sid(sid)
        target = parse_target(f"/socket.io/1/websocket/{sid}", "socket.io")
        assert target == transport("websocket", sid)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (SID, True),
        ("a", True),
        ("a" * 64, True),
        ("", False),
        ("a" * 65, False),
        ("a b", False),
        ("a/b", False),
        ("a+b", False),
        ("abc\n", False),
        ("\u00e9", False),
        (None, False),
        (123, False),
    ],
)
def test_is_valid_sid(value, valid):
    assert is_valid_sid(value) is valid


def test_jsonp_handshake_vector():
    handshake = "oytzoptM3kKRcNsCyOqE:8:8:websocket,htmlfile,xhr-polling,jsonp-polling,flashsocket"
    body = jsonp_handshake_body(3, handshake)
    assert body == f'io.j[3]("{handshake}");'
    assert len(body) == 0x5D  # chunk size in the capture


def test_jsonp_handshake_rejects_bad_index():
    with pytest.raises(ValueError):
        jsonp_handshake_body(-1, REFERENCE_HANDSHAKE)


def test_format_handshake_checks_every_call_although_the_tail_is_kept():
    """The ``:heartbeat:close:transports`` part is written once per configuration; what
    it refused is still refused, whatever was written before (True == 1, 1.0 == 1)."""
    assert format_handshake(SID, 1, 1.0, ["websocket"]) == f"{SID}:1:1:websocket"
    assert format_handshake(SID, 1.0, 1, ["websocket"]) == f"{SID}:1:1:websocket"
    for _ in range(2):
        with pytest.raises(ValueError):
            format_handshake(SID, True, 1, ["websocket"])
        with pytest.raises(ValueError):
            format_handshake("bad sid", 1, 1.0, ["websocket"])
        with pytest.raises(ValueError):
            format_handshake(SID, 1, 1.0, ["web socket"])
    other = "a" * 20
    assert format_handshake(other, 1, 1.0, ["websocket"]) == f"{other}:1:1:websocket"
