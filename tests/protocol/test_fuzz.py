"""Property tests: decoders raise ProtocolError or nothing; encode/decode round trips."""

from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ErrorAdvice, ErrorReason, ProtocolError
from geventsio.protocol.codec import MAX_ID, decode_packet, encode_packet
from geventsio.protocol.handshake import Target, parse_handshake, parse_target
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
