"""Property tests: decoders raise ProtocolError or nothing; encode/decode round trips."""

import json
import re
from dataclasses import fields
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ErrorAdvice, ErrorReason, ProtocolError
from geventsio.protocol.codec import MAX_ID, decode_packet, encode_event, encode_packet
from geventsio.protocol.handshake import (
    _STATIC_FILES,
    Target,
    TargetKind,
    parse_handshake,
    parse_query,
    parse_target,
)
from geventsio.protocol.packets import (
    AckPacket,
    ConnectPacket,
    DisconnectPacket,
    ErrorPacket,
    EventPacket,
    HeartbeatPacket,
    JsonPacket,
    MessagePacket,
    NoopPacket,
)
from geventsio.protocol.payload import decode_jsonp_form, decode_payload, encode_payload

SETTINGS = settings(max_examples=300, deadline=None)

# Text made of the grammar's own characters, to reach deep paths of the decoders.
grammar_text = st.text(alphabet='0123456789:+/{}[]",a\ufffd\U0001f600')
TOKENS = [
    *"0123456789:+/",
    '{"name":',
    '"args":',
    '"x"',
    "[",
    "]",
    "{",
    "}",
    ",",
    "null",
    "\ufffd",
    "\U0001f600",
    "1e400",
    "NaN",
    "\\",
    " ",
]
token_text = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
any_text = st.text() | grammar_text | token_text


def _raises_only_protocol_error(decode, value):
    try:
        decode(value)
    except ProtocolError:
        pass


@SETTINGS
@given(any_text)
def test_decode_packet_returns_or_raises_protocol_error(text):
    _raises_only_protocol_error(decode_packet, text)


@SETTINGS
@given(
    st.sampled_from("0123456789"),
    st.sampled_from(["", "1", "1+", "+", "x", "9007199254740993"]),
    st.sampled_from(["", "/chat"]),
    any_text,
)
def test_decode_packet_with_valid_head_and_any_data(kind, packet_id, endpoint, data):
    _raises_only_protocol_error(decode_packet, f"{kind}:{packet_id}:{endpoint}:{data}")


@SETTINGS
@given(any_text)
def test_decode_payload_returns_or_raises_protocol_error(text):
    _raises_only_protocol_error(decode_payload, text)
    _raises_only_protocol_error(decode_payload, "\ufffd" + text)


form_bytes = st.binary() | st.lists(
    st.sampled_from([b"d=", b"%22", b"%5C", b"%C3", b"%A9", b"%FF", b"+", b"&", b"a", b"%", b"1"]),
    max_size=30,
).map(b"".join)


@SETTINGS
@given(form_bytes)
def test_decode_jsonp_form_returns_or_raises_protocol_error(body):
    _raises_only_protocol_error(decode_jsonp_form, body)
    _raises_only_protocol_error(decode_jsonp_form, b"d=" + body)


@SETTINGS
@given(any_text)
def test_parse_handshake_returns_or_raises_protocol_error(body):
    _raises_only_protocol_error(parse_handshake, body)


PATH_TOKENS = ["/", "socket.io", "1", "2", "xhr-polling", "abc", "", "?", "é", "..", "static"]
path_text = st.text() | st.lists(
    st.sampled_from(PATH_TOKENS),
    max_size=8,
).map("".join)


@SETTINGS
@given(path_text, st.sampled_from(["socket.io", "api/socket.io", "", "/x/"]))
def test_parse_target_never_raises(path, resource):
    assert isinstance(parse_target(path, resource), Target)


# -- round trips -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)
endpoints = st.text(
    alphabet=st.characters(exclude_characters=":", exclude_categories=("Cs",))
) | st.sampled_from(["", "/chat"])
json_args = st.lists(json_values, max_size=4).map(tuple)


@st.composite
def ids(draw):
    packet_id = draw(st.none() | st.integers(0, MAX_ID))
    return packet_id, packet_id is not None and draw(st.booleans())


@st.composite
def packets(draw):
    endpoint = draw(endpoints)
    packet_id, data_ack = draw(ids())
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return DisconnectPacket(endpoint)
    if kind == 1:
        return ConnectPacket(endpoint, draw(st.text()))
    if kind == 2:
        return HeartbeatPacket(endpoint)
    if kind == 3:
        return MessagePacket(draw(st.text()), endpoint, packet_id, data_ack)
    if kind == 4:
        return JsonPacket(draw(json_values), endpoint, packet_id, data_ack)
    if kind == 5:
        name = draw(st.text(min_size=1))
        return EventPacket(name, draw(json_args), endpoint, packet_id, data_ack)
    if kind == 6:
        return AckPacket(draw(st.integers(0, MAX_ID)), draw(json_args), endpoint)
    if kind == 7:
        reason = draw(st.none() | st.sampled_from(ErrorReason))
        return ErrorPacket(reason, draw(st.none() | st.sampled_from(ErrorAdvice)), endpoint)
    return NoopPacket(endpoint)


@SETTINGS
@given(packets())
def test_packet_round_trip(packet):
    text = encode_packet(packet)
    assert decode_packet(text) == packet
    text.encode("utf-8")


@SETTINGS
@given(st.lists(st.text() | st.sampled_from(["\ufffd", "\U0001f600", "\ufffd3\ufffd"]), min_size=2))
def test_payload_round_trip(texts):
    assert decode_payload(encode_payload(texts), max_packets=len(texts)) == texts


@SETTINGS
@given(st.lists(packets(), min_size=1, max_size=5))
def test_payload_of_packets_round_trip(packet_list):
    payload = encode_payload([encode_packet(packet) for packet in packet_list])
    assert [decode_packet(text) for text in decode_payload(payload)] == packet_list


# The decoder builds its data packets without the constructors' checks (it checked what it
# read). What it builds must be exactly what a checked build makes, for every kind and any
# input; and whatever a checked build refuses, it must refuse with the same error.
def _fields(packet):
    return [(type(value), value) for value in (getattr(packet, f.name) for f in fields(packet))]


def _checked_build(packet):
    """``packet`` built again by its (checking) constructor."""
    return type(packet)(*(getattr(packet, f.name) for f in fields(packet)))


def _decoded_equals_checked(text):
    try:
        packet = decode_packet(text)
    except ProtocolError:
        return
    rebuilt = _checked_build(packet)
    assert rebuilt == packet
    assert _fields(rebuilt) == _fields(packet)  # same types too: args stays a tuple


@SETTINGS
@given(
    st.sampled_from("0123456789"),
    st.sampled_from(["", "1", "1+", "7", "+", "9007199254740992+"]),
    st.text() | st.sampled_from(["", "/chat", "/\ud800", "/é\udfff", "/é"]),
    any_text | json_values.map(json.dumps) | st.builds(
        lambda name, args: json.dumps({"name": name, "args": args}), st.text(), st.lists(json_values)),
)
def test_decoded_packets_equal_checked_ones(kind, packet_id, endpoint, data):
    _decoded_equals_checked(f"{kind}:{packet_id}:{endpoint}:{data}")
    _decoded_equals_checked(f"{kind}:{packet_id}:{endpoint}")


@SETTINGS
@given(packets())
def test_decoded_packets_of_every_kind_equal_checked_ones(packet):
    _decoded_equals_checked(encode_packet(packet))


@pytest.mark.parametrize("text", ['5::/\ud800:{"name":"x"}', "3:1:/a\udfffb:hi", "4::/\ud800:[1]",
                                  '6::/\ud800:1+["a"]', "6::/\ud800:1"])
def test_decoder_refuses_a_lone_surrogate_endpoint_as_the_constructor_does(text):
    with pytest.raises(ProtocolError) as refused:
        decode_packet(text)
    with pytest.raises(ProtocolError) as by_constructor:
        MessagePacket("", text.split(":")[2])
    assert refused.value.message == by_constructor.value.message


class _Name(str):
    """A str subclass: a name the constructor accepts that encode_event must not take
    for a plain str."""


def _outcome(encode):
    try:
        return "text", encode()
    except (ProtocolError, TypeError, ValueError) as exc:
        return type(exc), str(exc)


event_names = (st.text(max_size=8) | st.sampled_from(["echo", "", "\ud800"])
               | st.builds(_Name, st.text()) | st.none() | st.integers())
event_args = (st.lists(json_values, max_size=3) | json_args | st.none()
              | st.sampled_from(["ab", {"a": 1}]))
event_endpoints = (st.sampled_from(["", "/chat", "/a:b", ":", "/\udc00", "/é", None, 1])
                   | st.text(max_size=6))


@SETTINGS
@given(event_names, event_args, event_endpoints,
       st.sampled_from([None, 0, 7, MAX_ID, MAX_ID + 1, -1, True]),
       st.sampled_from([False, True, 0, None]))
def test_encode_event_is_encode_packet_of_an_event(name, args, endpoint, packet_id, data_ack):
    """The direct event writer: same text as a checked EventPacket encoded, or the same
    error, for any arguments."""
    _same_as_packet(name, args, endpoint, packet_id, data_ack)


@SETTINGS
@given(event_names, event_args, event_endpoints)
def test_encode_event_without_id_is_encode_packet_of_an_event(name, args, endpoint):
    _same_as_packet(name, args, endpoint, None, False)


def _same_as_packet(name, args, endpoint, packet_id, data_ack):
    direct = _outcome(lambda: encode_event(name, args, endpoint, packet_id, data_ack))
    checked = _outcome(lambda: encode_packet(EventPacket(name, args, endpoint, packet_id,
                                                         data_ack)))
    assert direct == checked


def _parse_qsl_first_values(query_string):
    query = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(key, value)
    return query


@SETTINGS
@given(st.text() | st.lists(st.sampled_from(["a", "b", "=", "&", ";", "%", "+", "%41", "é", "t=1", "&&"]),
                             max_size=12).map("".join))
def test_parse_query_is_parse_qsl_first_values(query_string):
    """parse_query splits a query with nothing to decode itself: same as parse_qsl."""
    assert parse_query(query_string) == _parse_qsl_first_values(query_string)


def _reference_target(path, resource):
    """parse_target as first written (no remembered prefixes, no known transport names,
    Target built by its constructor): what the faster one must still answer."""
    base = resource.strip("/")
    prefix = f"/{base}" if base else ""
    if path in (prefix, prefix + "/"):
        return Target(TargetKind.ROOT)
    if not path.startswith(prefix + "/"):
        return Target(TargetKind.OUTSIDE)
    rest = path[len(prefix) + 1:]
    if rest in _STATIC_FILES:
        return Target(TargetKind.STATIC, static_name=_STATIC_FILES[rest])
    version, *tail = rest.split("/")
    if not (version.isascii() and version.isdigit()):
        return Target(TargetKind.INVALID)
    protocol = int(version) if len(version) <= 9 else None
    if protocol != 1:
        return Target(TargetKind.UNSUPPORTED_PROTOCOL, protocol=protocol)
    if tail in ([], [""]):
        return Target(TargetKind.HANDSHAKE, protocol=1)
    if tail[-1] == "":
        tail.pop()
    name = re.compile(r"[A-Za-z0-9_-]{1,64}").fullmatch
    if len(tail) == 2 and name(tail[1]) and (tail[0] == "" or name(tail[0])):
        return Target(TargetKind.TRANSPORT, protocol=1, transport=tail[0], sid=tail[1])
    return Target(TargetKind.INVALID)


TARGET_TOKENS = [*PATH_TOKENS, "websocket", "htmlfile", "jsonp-polling", "flashsocket",
                 "SMHLwZgu7Dd5kEV5yOqC", "/socket.io/1/", "socket.io.js", "api"]


@SETTINGS
@given(st.text() | st.lists(st.sampled_from(TARGET_TOKENS), max_size=8).map("".join),
       st.sampled_from(["socket.io", "api/socket.io", "", "/x/", "/socket.io/", "/"]))
def test_parse_target_answers_as_first_written(path, resource):
    assert parse_target(path, resource) == _reference_target(path, resource)
    assert parse_target("/" + path, resource) == _reference_target("/" + path, resource)


@pytest.mark.parametrize("path", [
    "/socket.io/1/websocket/SMHLwZgu7Dd5kEV5yOqC", "/socket.io/1/abc/SMHLwZgu7Dd5kEV5yOqC/",
    "/socket.io/1//SMHLwZgu7Dd5kEV5yOqC", "/socket.io/1/x y/SMHL", "/socket.io/1/é/SMHL",
    "/socket.io", "/socket.io/", "/socket.io/1", "/socket.io/1/", "/socket.io/socket.io.js",
    "/socket.iox/1/", "/", ""])
@pytest.mark.parametrize("resource", ["socket.io", "/socket.io/", ""])
def test_parse_target_answers_as_first_written_for_these(path, resource):
    assert parse_target(path, resource) == _reference_target(path, resource)
