"""The pure websocket frame codec: RFC 6455's rules, exact bytes, any split of the
input, and a fuzzer holding it to "only FrameError escapes"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ProtocolError
from geventsio.protocol.frames import (
    Close,
    CloseCode,
    FrameError,
    FrameParser,
    Message,
    Opcode,
    Ping,
    Pong,
    close_frame,
    encode_frame,
    text_frame_header,
)

MASK = b"\x01\x02\x03\x04"


def client(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0) -> bytes:
    frame = bytearray(encode_frame(Opcode(opcode), payload, MASK))
    if not fin:
        frame[0] &= 0x7F
    frame[0] |= rsv
    return bytes(frame)


def parse(data: bytes, limit: int = 1000) -> list:
    return FrameParser(limit).feed(data)


def test_a_masked_text_frame_is_a_message():
    assert parse(client(Opcode.TEXT, "héllo".encode())) == [Message("héllo")]


def test_exact_bytes_of_a_client_frame_and_a_server_frame():
    assert client(Opcode.TEXT, b"2::") == b"\x81\x83\x01\x02\x03\x04" + bytes(
        (ord("2") ^ 1, ord(":") ^ 2, ord(":") ^ 3))
    assert encode_frame(Opcode.TEXT, b"2::") == b"\x81\x032::"
    assert text_frame_header(126) == b"\x81\x7e\x00\x7e"
    assert text_frame_header(70000) == b"\x81\x7f" + (70000).to_bytes(8, "big")
    assert close_frame(1000) == b"\x88\x02\x03\xe8"


def test_fragments_are_joined_and_control_frames_may_come_between():
    data = (client(Opcode.TEXT, b"he", fin=False) + client(Opcode.PING, b"p")
            + client(Opcode.CONTINUATION, b"ll", fin=False)
            + client(Opcode.CONTINUATION, b"o"))
    assert parse(data) == [Ping(b"p"), Message("hello")]


def test_every_split_of_the_input_gives_the_same_events():
    data = (client(Opcode.TEXT, b"a" * 130) + client(Opcode.PONG, b"x")
            + client(Opcode.BINARY, b"\x00\xff") + client(Opcode.CLOSE, b"\x03\xe8bye"))
    expected = [Message("a" * 130), Pong(b"x"), Message(b"\x00\xff"), Close(1000, "bye")]
    for cut in range(len(data) + 1):
        parser = FrameParser(1000)
        assert parser.feed(data[:cut]) + parser.feed(data[cut:]) == expected, cut


def test_every_three_way_split_gives_the_same_events():
    """A feed reads frames in place from the bytes given when nothing waits, and keeps
    only their rest: whatever the cuts, a rest kept, completed, or none, the events are
    the same."""
    data = client(Opcode.TEXT, b"first") + client(Opcode.TEXT, b"second") + client(
        Opcode.PING, b"p") + client(Opcode.TEXT, b"third")
    expected = [Message("first"), Message("second"), Ping(b"p"), Message("third")]
    for one in range(len(data) + 1):
        for two in range(one, len(data) + 1):
            parser = FrameParser(1000)
            events = parser.feed(data[:one]) + parser.feed(data[one:two])
            assert events + parser.feed(data[two:]) == expected, (one, two)
            assert not parser._buffer, (one, two)


def test_nothing_after_a_close_frame_is_parsed():
    parser = FrameParser(1000)
    assert parser.feed(client(Opcode.CLOSE, b"") + b"\xff\xff garbage") == [Close(1005, "")]
    assert parser.closed and parser.feed(client(Opcode.TEXT, b"x")) == []


def test_an_oversize_message_is_refused_from_its_header():
    header_only = b"\x81\xff" + (1 << 30).to_bytes(8, "big")  # declares 1 GB, masked
    with pytest.raises(FrameError) as refused:
        parse(header_only)
    assert refused.value.close_code == CloseCode.TOO_BIG
    fragments = client(Opcode.TEXT, b"x" * 600, fin=False) + client(Opcode.CONTINUATION,
                                                                     b"y" * 600)
    with pytest.raises(FrameError) as refused:
        parse(fragments)
    assert refused.value.close_code == CloseCode.TOO_BIG


@pytest.mark.parametrize("data, code", [
    (encode_frame(Opcode.TEXT, b"unmasked"), CloseCode.PROTOCOL_ERROR),
    (client(Opcode.TEXT, b"x", rsv=0x40), CloseCode.PROTOCOL_ERROR),
    (b"\x83\x81" + MASK + b"x", CloseCode.PROTOCOL_ERROR),  # opcode 3: unknown
    (client(Opcode.PING, b"p", fin=False), CloseCode.PROTOCOL_ERROR),
    (b"\x89\xfe\x00\x7e" + MASK + b"p" * 126, CloseCode.PROTOCOL_ERROR),
    (client(Opcode.CONTINUATION, b"x"), CloseCode.PROTOCOL_ERROR),
    (client(Opcode.TEXT, b"a", fin=False) + client(Opcode.TEXT, b"b"),
     CloseCode.PROTOCOL_ERROR),
    (client(Opcode.TEXT, b"\xff\xfe"), CloseCode.INVALID_DATA),
    (client(Opcode.CLOSE, b"\x03"), CloseCode.PROTOCOL_ERROR),
    (client(Opcode.CLOSE, (1005).to_bytes(2, "big")), CloseCode.PROTOCOL_ERROR),
    (client(Opcode.CLOSE, b"\x03\xe8\xff"), CloseCode.INVALID_DATA),
    (b"\x81\xff" + (1 << 63).to_bytes(8, "big") + MASK, CloseCode.PROTOCOL_ERROR),
])
def test_broken_rules_raise_frame_error_with_the_close_code(data, code):
    with pytest.raises(FrameError) as refused:
        parse(data)
    assert refused.value.close_code == code
    assert isinstance(refused.value, ProtocolError)


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=300))
def test_fuzz_only_frame_error_escapes(data, cut):
    parser = FrameParser(200)
    try:
        parser.feed(data[:cut])
        parser.feed(data[cut:])
    except FrameError:
        pass


messages = st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=300)), max_size=6)


@settings(max_examples=500, deadline=None)
@given(messages, st.integers(min_value=1, max_value=64), st.data())
def test_fuzz_round_trip_with_any_fragmentation_and_split(items, piece, data):
    wire = b""
    for item in items:
        payload = item.encode("utf-8") if isinstance(item, str) else item
        opcode = Opcode.TEXT if isinstance(item, str) else Opcode.BINARY
        chunks = [payload[i:i + piece] for i in range(0, len(payload), piece)] or [b""]
        for n, chunk in enumerate(chunks):
            wire += client(opcode if n == 0 else Opcode.CONTINUATION, chunk,
                           fin=n == len(chunks) - 1)
    cut = data.draw(st.integers(min_value=0, max_value=len(wire)))
    parser = FrameParser(10_000)
    events = parser.feed(wire[:cut]) + parser.feed(wire[cut:])
    assert events == [Message(item) for item in items]


# -- the one-small-text-frame shortcut ---------------------------------------------------
# FrameParser.feed takes a shortcut when its input is exactly one final masked text frame
# under 126 bytes with nothing buffered. It must agree with the general path on every
# input: feeding the first byte alone forces the general path for the same bytes.

def _outcome(parser: FrameParser, pieces: list[bytes]) -> object:
    try:
        return [event for piece in pieces for event in parser.feed(piece)]
    except FrameError as exc:
        return ("FrameError", exc.close_code)


def _small_frames() -> st.SearchStrategy[bytes]:
    text = st.text(max_size=40).map(lambda t: t.encode("utf-8"))
    payload = st.one_of(text, st.binary(max_size=130))
    head = st.tuples(st.integers(0, 255), st.booleans(), st.one_of(st.none(),
                                                                   st.integers(0, 127)))

    def build(args: tuple[tuple[int, bool, int | None], bytes, bytes]) -> bytes:
        (first, masked, length), body, mask = args
        size = len(body) if length is None else length
        return bytes([first, (0x80 if masked else 0) | min(size, 127)]) + mask + body

    mask = st.binary(min_size=4, max_size=4)
    exact = st.tuples(payload, mask).map(
        lambda pm: bytes([0x81, 0x80 | len(pm[0])]) + pm[1] + pm[0] if len(pm[0]) < 126
        else pm[0])
    return st.one_of(exact, st.tuples(head, payload, mask).map(build), st.binary(max_size=40))


@settings(max_examples=1500)
@given(_small_frames(), st.integers(min_value=0, max_value=140))
def test_the_small_text_shortcut_agrees_with_the_general_path(data: bytes, limit: int) -> None:
    whole = _outcome(FrameParser(limit), [data])
    split = _outcome(FrameParser(limit), [data[:1], data[1:]])
    assert whole == split


def test_the_shortcut_keeps_the_size_limit_and_utf8_rules() -> None:
    assert parse(client(Opcode.TEXT, b"hello"), limit=5) == [Message("hello")]
    with pytest.raises(FrameError) as caught:
        parse(client(Opcode.TEXT, b"hello!"), limit=5)
    assert caught.value.close_code == CloseCode.TOO_BIG
    with pytest.raises(FrameError) as caught:
        parse(client(Opcode.TEXT, b"\xff\xfe"))
    assert caught.value.close_code == CloseCode.INVALID_DATA
    # 125 bytes is the largest frame the shortcut takes; 126 has an extended length
    assert parse(client(Opcode.TEXT, b"a" * 125)) == [Message("a" * 125)]
    assert parse(client(Opcode.TEXT, b"a" * 126)) == [Message("a" * 126)]
class GeneralPathParser(FrameParser):
    """FrameParser reading every frame through its general path (no inline small-text
    read): the reference the fast path is held to."""

    __slots__ = ()

    def feed(self, data: bytes) -> list:
        if self.closed:
            return []
        buffer = self._buffer
        buffer += data
        events: list = []
        position = 0
        try:
            while not self.closed:
                frame = self._frame_at(buffer, position)
                if frame is None:
                    break
                opcode, fin, payload, position = frame
                event = self._event(opcode, fin, payload)
                if event is not None:
                    events.append(event)
        finally:
            del buffer[:position]
        return events


def _outcomes(parser: FrameParser, pieces: list[bytes]) -> list:
    outcomes = []
    for piece in pieces:
        try:
            outcomes.append(parser.feed(piece))
        except FrameError as exc:
            outcomes.append((exc.message, exc.close_code))
            break
    return outcomes


small_frames = st.builds(
    lambda opcode, payload, fin, masked, rsv: (
        client(opcode, payload, fin, rsv) if masked
        else bytes(bytearray(encode_frame(Opcode(opcode), payload))[:1]) + encode_frame(
            Opcode(opcode), payload)[1:]),
    st.sampled_from([0x1, 0x1, 0x1, 0x0, 0x2, 0x9, 0xA, 0x8]),
    st.binary(max_size=130) | st.text(max_size=60).map(str.encode)
    | st.sampled_from([b"\xff", b"\xc3", "é".encode() * 63, b"x" * 125, b"x" * 126]),
    st.booleans() | st.just(True),
    st.booleans() | st.just(True),
    st.sampled_from([0, 0, 0, 0x40]),
)


@settings(max_examples=800, deadline=None)
@given(st.lists(small_frames, max_size=6), st.sampled_from([1, 3, 10, 125, 1000]), st.data())
def test_inline_small_text_read_gives_what_the_general_path_gives(frames, limit, data):
    """Messages, control events and errors (message and close code) are the same, for
    any frames and any split, whether the inline read took a frame or not."""
    stream = b"".join(frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    assert _outcomes(FrameParser(limit), pieces) == _outcomes(GeneralPathParser(limit), pieces)


@pytest.mark.parametrize("stream", [
    client(0x1, b"ab", fin=False) + client(0x1, b"cd"),  # a new message inside one
    client(0x1, b"ab", fin=False) + client(0x0, b"cd"),  # its continuation
    client(0x1, b"\xc3") + client(0x1, b"ok"),  # not UTF-8
    client(0x1, b"x" * 11),  # over the limit
    client(0x1, b"x" * 10) + client(0x1, b""),
])
def test_inline_small_text_read_keeps_the_rules(stream):
    for cut in range(len(stream) + 1):
        pieces = [stream[:cut], stream[cut:]]
        assert _outcomes(FrameParser(10), pieces) == _outcomes(GeneralPathParser(10), pieces)
