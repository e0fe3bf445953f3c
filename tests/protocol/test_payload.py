"""Payload framing, jsonp and htmlfile bodies: byte-exact vectors from reference-0.9.19.md."""

import json

import pytest

from geventsio.exceptions import ProtocolError
from geventsio.protocol.codec import decode_packet
from geventsio.protocol.packets import EventPacket
from geventsio.protocol.payload import (
    HTMLFILE_PRELUDE,
    MULTIPART_END,
    MULTIPART_PRELUDE,
    decode_jsonp_form,
    decode_payload,
    encode_payload,
    htmlfile_chunk,
    jsonp_body,
    multipart_part,
    parse_jsonp_index,
    utf16_len,
)

M = "\ufffd"

ECHO_ONE = '5:::{"name":"echo","args":["one"]}'
ECHO_TWO = '5:::{"name":"echo","args":["two"]}'
ECHO_CAFE = '5:::{"name":"echo","args":["caf\u00e9"]}'
ECHO_EMOJI = '5:::{"name":"echo","args":["\U0001f600"]}'
WELCOME_CHAT = '5::/chat:{"name":"welcome","args":[{"nsp":"/chat","id":"-Sh8qr5T5Q9UbJr-yOqG"}]}'

# (payload text, packets, Content-Length in the capture)
FRAMING_VECTORS = [
    (f"{M}34{M}{ECHO_ONE}{M}34{M}{ECHO_TWO}", [ECHO_ONE, ECHO_TWO], 84),
    (f"{M}35{M}{ECHO_CAFE}{M}33{M}{ECHO_EMOJI}", [ECHO_CAFE, ECHO_EMOJI], 87),
    (f"{M}8{M}1::/chat{M}80{M}{WELCOME_CHAT}", ["1::/chat", WELCOME_CHAT], 103),
    (f"{M}5{M}6:::2{M}9{M}3:::hello", ["6:::2", "3:::hello"], 28),
    (f'{M}9{M}3:::hello{M}15{M}6:::3+["hello"]', ["3:::hello", '6:::3+["hello"]'], 39),
]


@pytest.mark.parametrize(("text", "packets", "length"), FRAMING_VECTORS)
def test_encode_payload_vector(text, packets, length):
    assert encode_payload(packets) == text
    assert len(text.encode("utf-8")) == length


@pytest.mark.parametrize(("text", "packets", "length"), FRAMING_VECTORS)
def test_decode_payload_vector(text, packets, length):
    assert decode_payload(text) == packets


def test_cafe_and_emoji_frames_decode_to_events():
    packets = [decode_packet(text) for text in decode_payload(FRAMING_VECTORS[1][0])]
    assert packets == [EventPacket("echo", ("café",)), EventPacket("echo", ("😀",))]


def test_single_packet_is_bare():
    assert encode_payload(["1::"]) == "1::"
    assert decode_payload("1::") == ["1::"]
    assert decode_payload(ECHO_EMOJI) == [ECHO_EMOJI]


def test_empty_payload():
    assert encode_payload([]) == ""
    assert decode_payload("") == []


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("café", 4),
        ("日本語", 3),
        ("\U0001f600", 2),
        ("a\U0001f600b", 4),
        ("\U0010ffff\U00010000", 4),
        ("\ud800", 1),  # a lone surrogate is one unit, as in JavaScript
        (ECHO_CAFE, 35),
        (ECHO_EMOJI, 33),
    ],
)
def test_utf16_len(text, units):
    assert utf16_len(text) == units


@pytest.mark.parametrize(
    "packets",
    [
        ["\U0001f600\U0001f600", "x\U0001f600", "", "\U0001f600"],
        ["3:::a\ufffd1\ufffdb", "3:::c"],
        ["3:::\U0001f600" * 50, "3:::é" * 50, "3:::" + "x" * 1000],
        ["\ud83d\ude00", "z"],  # two surrogates as two code points: one unit each
    ],
)
def test_payload_round_trip(packets):
    assert decode_payload(encode_payload(packets)) == packets


MALFORMED_FRAMING = [
    M,
    M + M,
    f"{M}{M}1::",
    f"{M}x{M}1::",
    f"{M}-1{M}1::",
    f"{M} 1{M}1::",
    f"{M}\u0661{M}1",  # ARABIC-INDIC DIGIT ONE
    f"{M}1",
    f"{M}3{M}1::x",  # trailing garbage where a frame header should be
    f"{M}4{M}1::",  # length past the end
    f"{M}3{M}1::{M}",
    f"{M}1{M}\U0001f600",  # the length splits a character
    f"{M}2{M}a\U0001f600{M}1{M}x",
    f"{M}3{M}\U0001f600\U0001f600",
    f"{M}9999999999{M}1::",  # too many digits
    f"{M}3{M}1::{M}3{M}2::x",
]


@pytest.mark.parametrize("text", MALFORMED_FRAMING, ids=repr)
def test_malformed_framing_raises_protocol_error(text):
    with pytest.raises(ProtocolError):
        decode_payload(text)


def test_too_many_packets():
    text = encode_payload(["2::"] * 1001)
    assert len(decode_payload(text, max_packets=1001)) == 1001
    with pytest.raises(ProtocolError):
        decode_payload(text)
    with pytest.raises(ProtocolError):
        decode_payload(encode_payload(["2::"] * 3), max_packets=2)


# -- jsonp-polling -----------------------------------------------------------------------

JSONP_VECTORS = [
    (0, "1::", 'io.j[0]("1::");', 15),
    (0, "7:::1+0", 'io.j[0]("7:::1+0");', 19),
    (0, "8::", 'io.j[0]("8::");', 15),
    (
        0,
        '5:::{"name":"echo","args":["</script> a/b caf\u00e9"]}',
        r'io.j[0]("5:::{\"name\":\"echo\",\"args\":[\"</script> a/b caf' + '\u00e9' + r'\"]}");',
        70,
    ),
    (
        7,
        encode_payload(['5:::{"name":"echo","args":["a"]}', '5:::{"name":"echo","args":["b"]}']),
        f'io.j[7]("{M}32{M}' + r'5:::{\"name\":\"echo\",\"args\":[\"a\"]}'
        + f"{M}32{M}" + r'5:::{\"name\":\"echo\",\"args\":[\"b\"]}");',
        108,
    ),
]


@pytest.mark.parametrize(("index", "payload", "body", "length"), JSONP_VECTORS)
def test_jsonp_body_vector(index, payload, body, length):
    assert jsonp_body(index, payload) == body
    assert len(body.encode("utf-8")) == length


def test_jsonp_body_escapes_line_and_paragraph_separators():
    assert jsonp_body(1, "a\u2028b\u2029c") == 'io.j[1]("a\\u2028b\\u2029c");'


@pytest.mark.parametrize("index", [-1, True, "1", 1.0, None])
def test_jsonp_body_rejects_bad_index(index):
    with pytest.raises(ValueError):
        jsonp_body(index, "1::")


@pytest.mark.parametrize(
    ("value", "index"), [(None, 0), ("", 0), ("0", 0), ("7", 7), ("007", 7), ("9999999", 9999999)]
)
def test_parse_jsonp_index(value, index):
    assert parse_jsonp_index(value) == index


@pytest.mark.parametrize(
    "value", ["10000000", "-1", "+1", "1a", " 1", "1 ", "1;alert(1)", "\u0661", "0x1", "1\n"]
)
def test_parse_jsonp_index_rejects(value):
    with pytest.raises(ProtocolError):
        parse_jsonp_index(value)


# -- jsonp-polling POST form -------------------------------------------------------------

REFERENCE_FORM = (
    b"d=%225%3A%3A%3A%7B%5C%22name%5C%22%3A%5C%22echo%5C%22%2C%5C%22args%5C%22%3A%5B%5C%22"
    b"%3C%2Fscript%3E%20a%2Fb%20caf%C3%A9%5C%22%5D%7D%22"
)
CHROMIUM_FORM = (
    b"d=%225%3A%3A%3A%7B%5C%22name%5C%22%3A%5C%22echo%5C%22%2C%5C%22args%5C%22%3A%5B%5C%22"
    b"h%C3%A9llo+%E2%98%83+%E6%97%A5%E6%9C%AC%E8%AA%9E+%C3%BC%C3%9F%5C%22%2C%5C%22quote"
    b"%5C%5C%5C%22+back%5C%5C%5C%5Cslash+%2Fslash+%3C%2Fscript%3E+%5C%5Cn+newline%5C%22%2C"
    b"%5C%22uni-mwxi4ya6-4spwg7%5C%22%5D%7D%22"
)
PYTHON_CLIENT_FORM = (
    b"d=%225%3A%3A%3A%7B%5C%22name%5C%22%3A%20%5C%22echo%5C%22%2C%20%5C%22args%5C%22%3A%20"
    b"%5B%5C%22h%5Cu00e9llo%20%5Cu2603%20%5Cu65e5%5Cu672c%5Cu8a9e%20%5Cu00fc%5Cu00df%5C%22"
    b"%2C%20%5C%22quote%5C%5C%5C%22%20back%5C%5C%5C%5Cslash%20/slash%20%3C/script%3E%20%5C"
    b"%5Cn%20newline%5C%22%2C%20%5C%22uni-94501051-kqphnr%5C%22%5D%7D%22"
)
UNICODE_TEXT = "h\u00e9llo \u2603 \u65e5\u672c\u8a9e \u00fc\u00df"
QUOTE_TEXT = 'quote" back\\slash /slash </script> \n newline'

FORM_VECTORS = [
    (
        REFERENCE_FORM,
        134,
        '5:::{"name":"echo","args":["</script> a/b caf\u00e9"]}',
        ("</script> a/b café",),
    ),
    (
        CHROMIUM_FORM,
        289,
        '5:::{"name":"echo","args":["' + UNICODE_TEXT
        + r'","quote\" back\\slash /slash </script> \n newline","uni-mwxi4ya6-4spwg7"]}',
        (UNICODE_TEXT, QUOTE_TEXT, "uni-mwxi4ya6-4spwg7"),
    ),
    (
        PYTHON_CLIENT_FORM,
        318,
        '5:::{"name": "echo", "args": ["' + UNICODE_TEXT
        + r'", "quote\" back\\slash /slash </script> \n newline", "uni-94501051-kqphnr"]}',
        (UNICODE_TEXT, QUOTE_TEXT, "uni-94501051-kqphnr"),
    ),
]


@pytest.mark.parametrize(("body", "length", "payload", "args"), FORM_VECTORS)
def test_decode_jsonp_form_vector(body, length, payload, args):
    assert len(body) == length  # Content-Length of the capture
    assert decode_jsonp_form(body) == payload
    assert decode_packet(decode_jsonp_form(body)) == EventPacket("echo", args)


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        (b"x=1&d=%22a%22&d=%22b%22", "a"),
        (b"d=%22a+b%22", "a b"),
        (b"d=%22a%2Bb%22", "a+b"),
        (b"%64=%22key+is+encoded%22", "key is encoded"),
        (b'd="raw \xc3\xa9"', "raw é"),
        (
            b"d=%22%EF%BF%BD3%EF%BF%BD2::%EF%BF%BD3%EF%BF%BD8::%22",
            "\ufffd3\ufffd2::\ufffd3\ufffd8::",
        ),
    ],
)
def test_decode_jsonp_form_fields(body, payload):
    assert decode_jsonp_form(body) == payload


@pytest.mark.parametrize(
    "body",
    [b"", b"x=1", b"dd=%22a%22", b"d=", b"d", b"d=abc", b"d=1", b"d=%5B%5D", b"d=null",
     b"d=%22%FF%22", b"d=\xff", b"d=%22a", b"d=NaN"],
)
def test_decode_jsonp_form_rejects(body):
    with pytest.raises(ProtocolError):
        decode_jsonp_form(body)


# -- htmlfile ----------------------------------------------------------------------------

PRELUDE_SCRIPT = (
    "<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>"
)


def test_htmlfile_prelude():
    assert len(HTMLFILE_PRELUDE) == 256
    assert len(HTMLFILE_PRELUDE.encode("utf-8")) == 256  # chunk size 0x100 in the capture
    assert HTMLFILE_PRELUDE == PRELUDE_SCRIPT + " " * 173


WELCOME = '5:::{"name":"welcome","args":[{"nsp":"","id":"Oe09shJyzx6lfORSyOqL"}]}'
ECHO_SCRIPT = r'5:::{"name":"echo","args":["</script> a/b \"q\" caf' + "\u00e9" + '"]}'
# What the reference wrote for ECHO_SCRIPT (chunk size 0x5d):
REFERENCE_ECHO_CHUNK = (
    r'<script>_("5:::{\"name\":\"echo\",\"args\":[\"<\/script> a\/b \\\"q\\\" caf'
    + "\u00e9"
    + r'\"]}");</script>'
)


@pytest.mark.parametrize(
    ("payload", "chunk", "length"),
    [
        ("1::", '<script>_("1::");</script>', 0x1A),
        ("2::", '<script>_("2::");</script>', 0x1A),
        (
            WELCOME,
            r'<script>_("5:::{\"name\":\"welcome\",\"args\":[{\"nsp\":\"\",\"id\":'
            r'\"Oe09shJyzx6lfORSyOqL\"}]}");</script>',
            0x6B,
        ),
    ],
)
def test_htmlfile_chunk_reference_vector(payload, chunk, length):
    assert htmlfile_chunk(payload) == chunk
    assert len(chunk.encode("utf-8")) == length


def _inner(chunk):
    assert chunk.startswith("<script>_(") and chunk.endswith(");</script>")
    return chunk[len("<script>_(") : -len(");</script>")]


def test_htmlfile_chunk_escapes_less_than_beyond_the_reference():
    assert len(REFERENCE_ECHO_CHUNK.encode("utf-8")) == 0x5D
    expected = REFERENCE_ECHO_CHUNK.replace("<\\/script> a", "\\u003c\\/script> a")
    assert expected != REFERENCE_ECHO_CHUNK
    assert htmlfile_chunk(ECHO_SCRIPT) == expected
    assert json.loads(_inner(htmlfile_chunk(ECHO_SCRIPT))) == ECHO_SCRIPT


@pytest.mark.parametrize(
    "payload", ["<!--<script>", "</script></SCRIPT>", "a\u2028b\u2029", "\ud800 \U0001f600", "\\/"]
)
def test_htmlfile_chunk_cannot_break_out_of_its_script(payload):
    chunk = htmlfile_chunk(payload)
    inner = _inner(chunk)
    assert "<" not in inner
    assert "/" not in inner.replace("\\/", "")
    assert "\u2028" not in inner and "\u2029" not in inner
    assert json.loads(inner) == payload
    chunk.encode("utf-8")


# -- xhr-multipart (no reference: the format is ours, see docs/transports.md) ----------


def test_multipart_part_vector():
    assert MULTIPART_PRELUDE == "--socketio\r\n"
    assert MULTIPART_END == "\r\n--socketio--\r\n"
    assert multipart_part(ECHO_CAFE) == (
        'Content-Type: application/json; charset=UTF-8\r\n\r\n'
        '"5:::{\\"name\\":\\"echo\\",\\"args\\":[\\"caf\u00e9\\"]}"\r\n--socketio\r\n')


@pytest.mark.parametrize("payload", [
    "\r\n--socketio\r\n", "\r\n--socketio--\r\n", "a\nb\rc", "\u2028\u2029", M + "3" + M + "1::",
    "\U0001f600 \\ \" </script>",
])
def test_multipart_part_body_is_one_json_line(payload):
    part = multipart_part(payload)
    head, _, rest = part.partition("\r\n\r\n")
    body, delimiter, after = rest.rpartition("\r\n--socketio\r\n")
    assert head == "Content-Type: application/json; charset=UTF-8"
    assert delimiter and after == ""
    assert not any(c in body for c in "\r\n\u2028\u2029")
    assert json.loads(body) == payload
