"""Fuzzing the parsers that sit outside the pure protocol package: the request-header
reader, the websocket frame parser fed as a socket would feed it, and the POST body of
every HTTP transport.

The invariant is the one the docs promise: bad input ends in the documented error and
nothing else. For the header reader that means no exception at all (a malformed block is
a ``status`` gevent answers with 400); for the websocket frames, FrameError (a
ProtocolError carrying the close code the transport answers with); for POST bodies,
ProtocolError. Frames are fed in pieces of random sizes, as reads would return them. Each test also checks what must hold when parsing
succeeds (round trips, sizes, no line break in a header value), so none can pass by
returning nothing.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ProtocolError
from geventsio.http.headers import MAX_HEADER_BYTES, MAX_HEADERS, RequestHeaders
from geventsio.protocol import decode_packet, decode_payload, encode_payload
from geventsio.protocol.frames import Close, FrameError, FrameParser, Message, Ping
from geventsio.transports import TRANSPORTS

#: A loaded 2-core machine must not fail a test for generating slowly.
SLOW_OK = [HealthCheck.too_slow]
SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=SLOW_OK)
#: For the valid-message oracles.
FEWER = settings(max_examples=800, deadline=None, suppress_health_check=SLOW_OK)

# -- request headers ---------------------------------------------------------------------

HEADER_TOKENS = [
    b"Host", b"Content-Length", b"content-type", b"Origin", b"X-A", b":", b": ", b"a",
    b"value", b"\r\n", b"\n", b"\r", b"\r\n\r\n", b" ", b"\t", b"\x00", b"\xe9", b"\xff",
    b"\r\n ", b"\r\n\t", b"3", b"http://a.example", b"x" * (MAX_HEADER_BYTES - 8),
    b"y" * (MAX_HEADER_BYTES + 1),
]
header_blocks = st.binary(max_size=300) | st.lists(
    st.sampled_from(HEADER_TOKENS), max_size=40).map(b"".join) | st.lists(
    st.sampled_from([b"X-%d: v\r\n" % i for i in range(4)]), min_size=MAX_HEADERS - 2,
    max_size=MAX_HEADERS + 2).map(lambda lines: b"".join(lines) + b"\r\n")


@SETTINGS
@given(header_blocks, st.binary(max_size=8), st.sampled_from([8192, 64, 7]))
def test_a_buffered_block_is_read_as_line_by_line_reading_reads_it(block, after, buffer):
    """A buffered reader lets the whole block be taken in one piece: the result, and
    where the reader stops, must be what reading line by line gives."""
    stream = io.BytesIO(block + after)
    by_lines = RequestHeaders.read(stream)
    buffered = io.BufferedReader(io.BytesIO(block + after), buffer)
    whole = RequestHeaders.read(buffered)
    assert (whole.lines, whole.status, whole.code) == (by_lines.lines, by_lines.status,
                                                       by_lines.code)
    assert whole.items() == by_lines.items()
    assert whole.framing_problem("HTTP/1.1") == by_lines.framing_problem("HTTP/1.1")
    if not by_lines.status:
        assert buffered.read() == (block + after)[stream.tell():]


@settings(max_examples=2000, deadline=None, suppress_health_check=SLOW_OK)
@given(header_blocks, st.binary(max_size=8))
def test_header_reader_never_raises_and_keeps_values_single_line(block, after):
    rfile = io.BytesIO(block + after)
    headers = RequestHeaders.read(rfile)
    if headers.status:
        assert headers.lines == []
        return
    assert len(headers.lines) <= MAX_HEADERS
    consumed = rfile.tell()
    assert consumed == len(block + after) or (block + after)[:consumed].endswith(b"\n")
    for line in headers.lines:
        assert ":" in line
        assert not {"\r", "\n", "\x00"} & set(line), line
        name = line.partition(":")[0].strip()  # as the index keys it
        value = headers.get(name)
        assert isinstance(value, str) and name in headers
        assert not {"\r", "\n"} & set(value)
    assert all(text.endswith("\r\n") and text.count("\n") == 1 for text in headers.headers)
    assert len(headers.items()) <= len(headers.lines)
    for name, _ in headers.items():
        del headers[name]
    assert headers.lines == [] and headers.items() == []


# -- websocket frames --------------------------------------------------------------------

OPCODES = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] * 3 + list(range(16))


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = b"\x01\x02\x03\x04",
          rsv: int = 0, length_form: int = 0, declared: int | None = None) -> bytes:
    """One frame as a client writes it; ``length_form`` 126/127 forces the long forms,
    ``declared`` lies about the length."""
    length = len(payload) if declared is None else declared
    head = bytes(((0x80 if fin else 0) | rsv << 4 | opcode,))
    mask_bit = 0x80 if mask is not None else 0
    if length_form == 127 or length > 0xFFFF:
        head += bytes((mask_bit | 127,)) + length.to_bytes(8, "big")
    elif length_form == 126 or length > 125:
        head += bytes((mask_bit | 126,)) + length.to_bytes(2, "big")
    else:
        head += bytes((mask_bit | length,))
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@st.composite
def frames(draw) -> bytes:
    payload = draw(st.binary(max_size=140) | st.text(max_size=40).map(str.encode))
    declared = draw(st.none() | st.just(None) | st.sampled_from(
        [0, 1, 125, 126, 127, 0xFFFF, 0x10000, 2**31, 2**63 - 1, 2**64 - 1]))
    return frame(draw(st.sampled_from(OPCODES)), payload, fin=draw(st.booleans()),
                 mask=draw(st.none() | st.binary(min_size=4, max_size=4)),
                 rsv=draw(st.sampled_from([0, 0, 0, 1, 4, 7])),
                 length_form=draw(st.sampled_from([0, 0, 126, 127])), declared=declared)


@st.composite
def damaged(draw, data: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            data = data[:at]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at + 1:]
    return data


streams = st.lists(frames(), min_size=1, max_size=5).map(b"".join).flatmap(damaged) | st.binary()
max_sizes = st.sampled_from([0, 1, 16, 125, 126, 1000, 1 << 20])


def _parse(data: bytes, max_size: int, piece: int = 7) -> tuple[list, FrameError | None]:
    """Feed ``data`` in pieces of ``piece`` bytes: the events, and the documented error
    that stopped the parser (None if it did not stop); anything else escapes."""
    parser = FrameParser(max_size)
    events: list = []
    try:
        for at in range(0, len(data), piece):
            events += parser.feed(data[at:at + piece])
    except FrameError as exc:
        return events, exc
    return events, None


@SETTINGS
@given(streams, max_sizes, st.integers(1, 64))
def test_frame_parser_raises_only_frame_errors(data, max_size, piece):
    events, error = _parse(data, max_size, piece)
    for event in events:
        if isinstance(event, Message):
            data_bytes = event.data if isinstance(event.data, bytes) else event.data.encode()
            assert len(data_bytes) <= max_size
        if isinstance(event, Close):
            assert event.code == 1005 or 1000 <= event.code <= 4999
    assert error is None or error.close_code in (1002, 1007, 1009)


@st.composite
def fragmented_messages(draw) -> tuple[str | bytes, list[bytes], bytes]:
    """A valid message cut into fragments with pings between them; the stream, its pings."""
    binary = draw(st.booleans())
    message = draw(st.binary(max_size=300)) if binary else draw(st.text(max_size=100))
    data = message if binary else message.encode("utf-8")
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    pings = [draw(st.binary(max_size=125)) for _ in pieces]
    stream = b""
    for i, (piece, ping) in enumerate(zip(pieces, pings)):
        opcode = (0x2 if binary else 0x1) if i == 0 else 0x0
        stream += frame(opcode, piece, fin=i == len(pieces) - 1,
                        mask=draw(st.binary(min_size=4, max_size=4)),
                        length_form=draw(st.sampled_from([0, 126, 127])))
        if i < len(pieces) - 1:
            stream += frame(0x9, ping)
    return message, pings[:-1], stream


@FEWER
@given(fragmented_messages(), st.sampled_from([1000, 1001, 3000, 4999]), st.binary(max_size=20))
def test_valid_fragmented_messages_come_back_whole(message_pings_stream, code, reason):
    message, pings, stream = message_pings_stream
    text = reason.decode("utf-8", "ignore")
    close = frame(0x8, code.to_bytes(2, "big") + text.encode())
    events, error = _parse(stream + close, 1 << 20)
    assert error is None
    assert events == [*(Ping(p) for p in pings), Message(message), Close(code, text)]


@FEWER
@given(fragmented_messages(), st.integers(0, 400))
def test_messages_over_the_limit_are_refused_before_their_payload(message_pings_stream, limit):
    message, _, stream = message_pings_stream
    size = len(message if isinstance(message, bytes) else message.encode("utf-8"))
    events, error = _parse(stream, limit)
    if error is not None:
        assert size > limit and error.close_code == 1009
    else:
        assert size <= limit and [e for e in events if isinstance(e, Message)] == [
            Message(message)]


# -- POST bodies of every HTTP transport -------------------------------------------------

POST_TRANSPORTS = sorted({cls for cls in TRANSPORTS.values() if hasattr(cls, "decode_post")},
                         key=lambda cls: cls.name)
packet_texts = st.sampled_from(["2::", "3:::hi", '5:1+::{"name":"a","args":[1]}', "6:::1+[]",
                                "1::/chat", "0::", "7:::1+0", "8::", "4:::{\"a\":[1,2]}"])
payload_texts = st.lists(packet_texts | st.text(max_size=20), max_size=4).map(encode_payload)


@st.composite
def post_bodies(draw) -> bytes:
    from urllib.parse import quote_plus

    from geventsio.protocol.codec import json_dumps

    text = draw(payload_texts)
    body = draw(st.sampled_from(["raw", "form", "binary"]))
    if body == "binary":
        return draw(st.binary(max_size=200))
    if body == "form":
        text = "d=" + quote_plus(json_dumps(text))
    data = text.encode("utf-8", "surrogatepass")
    return draw(damaged(data))


@SETTINGS
@given(post_bodies(), st.sampled_from(POST_TRANSPORTS))
def test_post_bodies_decode_or_raise_protocol_error(body, cls):
    try:
        payload = cls.decode_post(body)
        texts = decode_payload(payload)
    except ProtocolError:
        return
    assert isinstance(payload, str)
    payload.encode("utf-8", "surrogatepass")
    for text in texts:
        try:
            decode_packet(text)
        except ProtocolError:
            pass


def test_every_http_transport_has_a_post_decoder_under_test():
    assert {cls.name for cls in POST_TRANSPORTS} == {
        "xhr-polling", "jsonp-polling", "htmlfile", "xhr-multipart"}


# -- regression vectors found by the fuzzers -----------------------------------------------

def test_a_ping_larger_than_a_small_message_limit_is_not_a_message():
    """Found by the size-limit property: with a message limit under 125 bytes, a ping
    between two fragments was refused as a too-large message (close 1009). Control
    frames are held to 125 bytes by their own rule, not by the message limit."""
    stream = (frame(0x1, b"he", fin=False) + frame(0x9, b"p" * 100) + frame(0x0, b"llo")
              + frame(0xA, b"q" * 125))
    events, error = _parse(stream + frame(0x1, b"!"), 16)
    assert error is None
    assert [e for e in events if not isinstance(e, Message)][0] == Ping(b"p" * 100)
    assert [e for e in events if isinstance(e, Message)] == [Message("hello"), Message("!")]
