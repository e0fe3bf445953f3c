"""Packet codec: exact vectors from the reference server, round trips, malformed input."""

import copy
import json

import pytest

from geventsio.exceptions import ErrorAdvice, ErrorReason, ProtocolError
from geventsio.protocol.codec import (
    MAX_ID,
    decode_packet,
    encode_packet,
    json_dumps,
    json_loads,
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

WELCOME_CHAT = '5::/chat:{"name":"welcome","args":[{"nsp":"/chat","id":"-Sh8qr5T5Q9UbJr-yOqG"}]}'

# (wire text, packet): both directions must hold. Taken from reference-0.9.19.md.
VECTORS = [
    ("0::", DisconnectPacket()),
    ("0::/chat", DisconnectPacket("/chat")),
    ("1::", ConnectPacket()),
    ("1::/chat", ConnectPacket("/chat")),
    ("1::/chat:?a=b", ConnectPacket("/chat", query="?a=b")),
    ("2::", HeartbeatPacket()),
    ("8::", NoopPacket()),
    ("3:::hello", MessagePacket("hello")),
    ("3:2::hello", MessagePacket("hello", id=2)),
    ("3:3+::hello", MessagePacket("hello", id=3, data_ack=True)),
    ("3::", MessagePacket("")),  # the reference writes no data part for an empty message
    ('4:::{"a":[1,"b"]}', JsonPacket({"a": [1, "b"]})),
    ('5:::{"name":"echo","args":["one"]}', EventPacket("echo", ("one",))),
    (
        '5:1+::{"name":"ack_me","args":["x",1]}',
        EventPacket("ack_me", ("x", 1), id=1, data_ack=True),
    ),
    ('5:1+::{"name":"ask","args":["tok"]}', EventPacket("ask", ("tok",), id=1, data_ack=True)),
    (
        WELCOME_CHAT,
        EventPacket("welcome", ({"nsp": "/chat", "id": "-Sh8qr5T5Q9UbJr-yOqG"},), "/chat"),
    ),
    (
        '5:::{"name":"user disconnected","args":["OmRWbM1V8qvWUBnzyOp_"]}',
        EventPacket("user disconnected", ("OmRWbM1V8qvWUBnzyOp_",)),
    ),
    (
        r'5:::{"name":"echo","args":["</script> a/b \"q\""]}',
        EventPacket("echo", ('</script> a/b "q"',)),
    ),
    ('5:::{"name":"kick_me"}', EventPacket("kick_me")),
    ("6:::2", AckPacket(2)),
    ('6:::1+["x",1]', AckPacket(1, ("x", 1))),
    ('6:::3+["hello"]', AckPacket(3, ("hello",))),
    # the clients' ack regex stops at U+2028/U+2029: written escaped, read back the same
    ('6:::1+["a\\u2028b",{"\\u2029":1}]', AckPacket(1, ("a\u2028b", {"\u2029": 1}))),
    ("7:::1+0", ErrorPacket(ErrorReason.CLIENT_NOT_HANDSHAKEN, ErrorAdvice.RECONNECT)),
    ("7::/ns:2", ErrorPacket(ErrorReason.UNAUTHORIZED, endpoint="/ns")),
    ("7::", ErrorPacket()),
]


@pytest.mark.parametrize(("text", "packet"), VECTORS, ids=[text for text, _ in VECTORS])
def test_encode_vector(text, packet):
    assert encode_packet(packet) == text


@pytest.mark.parametrize(("text", "packet"), VECTORS, ids=[text for text, _ in VECTORS])
def test_decode_vector(text, packet):
    assert decode_packet(text) == packet


# Accepted on input, but not what we write for that packet.
DECODE_ONLY = [
    ("7:::", ErrorPacket()),
    ("7:::+0", ErrorPacket(advice=ErrorAdvice.RECONNECT)),
    ("7:::0", ErrorPacket(ErrorReason.TRANSPORT_NOT_SUPPORTED)),
    ("6:::1+[]", AckPacket(1)),
    ("3:::", MessagePacket("")),
    ("3::::x", MessagePacket(":x")),
    ("3:::a:b:c", MessagePacket("a:b:c")),
    ("3:7::/x", MessagePacket("/x", id=7)),
    ("1:::?a=b", ConnectPacket("", "?a=b")),
    ("1::/chat:", ConnectPacket("/chat")),
    ("2:::", HeartbeatPacket()),
    ("2::/chat:anything", HeartbeatPacket("/chat")),
    ("0:::trailing", DisconnectPacket()),
    ("8::::", NoopPacket()),
    ("4:::null", JsonPacket(None)),
    ('4::: {"a" : 1} ', JsonPacket({"a": 1})),
    # socketIO-client writes JSON with ", " and ": " separators
    ('5:::{"name": "echo", "args": ["x", 1]}', EventPacket("echo", ("x", 1))),
    ('5:::{"name":"e","args":[],"extra":1}', EventPacket("e")),
    ('5::/chat:{"name":"e"}', EventPacket("e", endpoint="/chat")),
    ("6::/chat:4", AckPacket(4, endpoint="/chat")),
    ('6:::1+[[1,{"a":null}]]', AckPacket(1, ([1, {"a": None}],))),
    (f"3:{MAX_ID}::x", MessagePacket("x", id=MAX_ID)),
    ("3:0::x", MessagePacket("x", id=0)),
    ("3:007::x", MessagePacket("x", id=7)),
]


@pytest.mark.parametrize(("text", "packet"), DECODE_ONLY, ids=[text for text, _ in DECODE_ONLY])
def test_decode_only(text, packet):
    assert decode_packet(text) == packet


ROUND_TRIP = [
    MessagePacket("héllo ☃ 日本語 üß", "/chat", 5, True),
    MessagePacket("emoji 😀 and \ufffd and </script> <!-- a/b", id=1),
    MessagePacket("line\nbreak\r\n\t and \x00 control"),
    MessagePacket("::::"),
    JsonPacket({"nested": {"list": [1, 2.5, -3, True, False, None, "😀"]}, "": ""}, "/a/b"),
    JsonPacket([1, [2, [3, [4]]]], id=9),
    JsonPacket("just a string", id=10, data_ack=True),
    JsonPacket(2**53),
    EventPacket("my event", ({"a": "</script>"}, [1, 2], "é", 0.1), "/ns", 3, True),
    EventPacket("😀", ("😀",)),
    EventPacket("x:y", (None,)),
    AckPacket(0),
    AckPacket(MAX_ID, ("ok", {"deep": [[]]}), "/chat"),
    ErrorPacket(ErrorReason.TRANSPORT_NOT_SUPPORTED, ErrorAdvice.RECONNECT, "/ns"),
    ErrorPacket(advice=ErrorAdvice.RECONNECT),
    ConnectPacket("/chat", "?token=é&x=:"),
    DisconnectPacket("/é 😀"),
    HeartbeatPacket("/chat"),
    NoopPacket("/chat"),
]


@pytest.mark.parametrize("packet", ROUND_TRIP, ids=repr)
def test_round_trip(packet):
    assert decode_packet(encode_packet(packet)) == packet


MALFORMED = [
    "",
    "x",
    "1",
    "1:",
    "9::",
    "10::",
    "a::",
    " 1::",
    "-1::",
    "3:x::hi",
    "3:1x::hi",
    "3:+::hi",
    "3:-1::hi",
    "3:1 ::hi",
    "3:\u0661::hi",  # ARABIC-INDIC DIGIT ONE: str.isdigit() is true, still not an id
    "3:1_0::hi",
    f"3:{MAX_ID + 1}::hi",
    "3:99999999999999999999::hi",
    "2:1::",  # heartbeats take no id
    "6:1::1",  # the ack id travels in the data part
    "4::",
    "4:::",
    "4:::{bad",
    "4:::NaN",
    "4:::[Infinity]",
    "4:::-Infinity",
    "4:::1e400",
    "4:::" + "1" * 5000,  # longer than int() accepts
    "4:::" + "[" * 100_000,  # deeper than the parser can recurse
    '4:::"\x00"',
    "5::",
    "5:::",
    "5:::[]",
    '5:::"echo"',
    '5:::{"args":[]}',
    '5:::{"name":""}',
    '5:::{"name":1}',
    '5:::{"name":"x","args":"y"}',
    '5:::{"name":"x","args":null}',
    '5:::{"name":"x","args":{}}',
    "6::",
    "6:::",
    "6:::x",
    "6:::+[1]",
    "6:::1+",
    "6:::1+x",
    '6:::1+{"a":1}',
    "6:::1+[1",
    "6:::1-[1]",
    f"6:::{MAX_ID + 1}",
    "7:::3",
    "7:::1+1",
    "7:::1+",
    "7:::x",
    "7:::1+0+0",
    "0::/\ud800",  # an endpoint that could not be sent back as UTF-8
]


@pytest.mark.parametrize("text", MALFORMED, ids=lambda text: repr(text[:30]))
def test_malformed_raises_protocol_error(text):
    with pytest.raises(ProtocolError):
        decode_packet(text)


@pytest.mark.parametrize(
    ("text", "expected", "echoed"),
    [
        ("9::", "expected a packet type", "'9::'"),
        ("3:x::hi", "expected a packet id", "'x'"),
        ("5:::[]", 'expected event data {"name"', "'[]'"),
        ("6:::1+{}", "expected ack arguments as a JSON array", "'1+{}'"),
        ("7:::5", "expected error data", "'5'"),
        ("4:::{", "invalid JSON", "'{'"),
        ("2:1::", "takes no id", "'2:1::'"),
    ],
)
def test_error_message_says_what_was_expected_and_what_arrived(text, expected, echoed):
    with pytest.raises(ProtocolError) as caught:
        decode_packet(text)
    assert expected in caught.value.message
    assert echoed in caught.value.message


def test_error_message_truncates_echoed_input():
    text = "9" + "x" * 1000
    with pytest.raises(ProtocolError) as caught:
        decode_packet(text)
    message = caught.value.message
    assert "x" * 99 in message
    assert "x" * 100 not in message
    assert "(1001 chars)" in message
    assert len(message) < 200


def test_id_of_two_to_the_53_is_the_largest():
    assert decode_packet(f"5:{MAX_ID}+::" + '{"name":"e"}').id == 2**53
    assert MAX_ID == 2**53


def test_message_with_lone_surrogate_is_encoded_with_replacement_character():
    text = encode_packet(MessagePacket("a\ud800b\udfffc"))
    assert text == "3:::a\ufffdb\ufffdc"
    text.encode("utf-8")  # must not raise


def test_event_with_lone_surrogate_is_valid_utf8():
    text = encode_packet(EventPacket("e", ("x\ud83dy",)))
    assert text == '5:::{"name":"e","args":["x\\ud83dy"]}'
    assert decode_packet(text) == EventPacket("e", ("x\ud83dy",))


def test_encode_does_not_mutate_its_input():
    args = ({"b": [1, 2], "a": {"c": None}}, [3])
    packet = EventPacket("e", args)
    before = copy.deepcopy(args)
    encode_packet(packet)
    assert packet.args == before
    assert list(packet.args[0]) == ["b", "a"]


def test_encode_is_not_cached():
    data = [1]
    packet = JsonPacket(data)
    assert encode_packet(packet) == "4:::[1]"
    data.append(2)
    assert encode_packet(packet) == "4:::[1,2]"


def test_encode_rejects_what_is_not_a_packet():
    with pytest.raises(TypeError):
        encode_packet("3:::hello")


def test_decode_event_keeps_name_as_sent():
    assert decode_packet('5:::{"name":"  weird name!"}').name == "  weird name!"


# -- packets are checked when built -------------------------------------------------------

BAD_PACKETS = [
    lambda: ErrorPacket(reason=9),
    lambda: ErrorPacket(advice=1),
    lambda: ErrorPacket(reason="1"),
    lambda: ErrorPacket(reason=True),
    lambda: MessagePacket("x", id=-1),
    lambda: MessagePacket("x", id=MAX_ID + 1),
    lambda: MessagePacket("x", id=True),
    lambda: MessagePacket("x", data_ack=True),
    lambda: MessagePacket("x", id=1, data_ack=1),
    lambda: MessagePacket(b"x"),
    lambda: EventPacket(""),
    lambda: EventPacket("e", "abc"),
    lambda: EventPacket("e", endpoint="a:b"),
    lambda: AckPacket(-1),
    lambda: AckPacket(1, {"a": 1}),
    lambda: ConnectPacket(query=None),
    lambda: ConnectPacket(query="?a=\udfff"),
    lambda: DisconnectPacket("/\ud800"),
]


@pytest.mark.parametrize("build", BAD_PACKETS)
def test_bad_packet_fields_raise_protocol_error(build):
    with pytest.raises(ProtocolError):
        build()


def test_packet_args_list_becomes_tuple():
    assert EventPacket("e", ["a", 1]).args == ("a", 1)
    assert AckPacket(1, ["a"]).args == ("a",)


# -- JSON like JSON.stringify ------------------------------------------------------------

JSON_VECTORS = [
    ({"a": "café"}, '{"a":"café"}'),
    ("a/b </script>", '"a/b </script>"'),
    ("\n\r\t\b\f\x00\x1f\x7f", '"\\n\\r\\t\\b\\f\\u0000\\u001f\x7f"'),
    ('quote" back\\slash', '"quote\\" back\\\\slash"'),
    ("\ud800", '"\\ud800"'),
    ("é\udfffé", '"é\\udfffé"'),
    ("😀 \ufffd \u2028", '"😀 \ufffd \u2028"'),
    ({"b": 1, "a": 2}, '{"b":1,"a":2}'),
    ([1, 2.5, True, False, None, -0.0], "[1,2.5,true,false,null,-0.0]"),
    ((1, "x"), '[1,"x"]'),
    ({}, "{}"),
]


@pytest.mark.parametrize(("value", "text"), JSON_VECTORS)
def test_json_dumps_like_json_stringify(value, text):
    assert json_dumps(value) == text
    json_dumps(value).encode("utf-8")  # always encodable


def test_json_dumps_output_parses_back():
    value = {"k\ud800": ["é\udc00", "😀"]}
    assert json.loads(json_dumps(value)) == value


@pytest.mark.parametrize(("value", "error"), [(object(), TypeError), (float("nan"), ValueError)])
def test_json_dumps_rejects_what_json_cannot_hold(value, error):
    with pytest.raises(error):
        json_dumps(value)


@pytest.mark.parametrize(
    "text", ["", "{", "NaN", "[Infinity]", "-Infinity", "1e400", '"\x00"', "[1,]", "'a'", "\ufeff1"]
)
def test_json_loads_rejects(text):
    with pytest.raises(ProtocolError) as caught:
        json_loads(text)
    assert caught.value.message.startswith("invalid JSON")


def test_json_loads_values():
    assert json_loads('"\\ud800"') == "\ud800"
    assert json_loads(' {"a": [1, 2.5e3, "é"]} ') == {"a": [1, 2500.0, "é"]}


@pytest.mark.parametrize("data", [
    '{"name":"echo","args":[1,"x",{"a":null}]}', '{"name":"echo"}', '{"name":"a b","args":[]}',
    "", "{", "[]", '{"name":""}', '{"name":1}', '{"name":"x","args":{}}', '{"args":[1]}',
    'null', '{"name":"x","args":[1]}trailing', ":", '{"name":"x"}:', "\ud800",
])
def test_an_event_on_the_default_endpoint_decodes_as_on_any_other(data):
    """``5:::`` (no id, the default endpoint) is read without splitting its fields:
    it must give what the general path gives for the same data on another endpoint,
    packet or error message alike."""
    def decoded(text: str):
        try:
            return decode_packet(text)
        except ProtocolError as exc:
            return exc.message
    usual, other = decoded("5:::" + data), decoded("5::/other:" + data)
    if isinstance(other, str):
        assert usual == other
    else:
        assert type(usual) is EventPacket and usual.endpoint == ""
        assert (usual.name, usual.args, usual.id, usual.data_ack) == (
            other.name, other.args, other.id, other.data_ack)
