"""Mutation fuzzing of the wire decoders: valid encodings, damaged, must decode or raise
ProtocolError, never anything else.

tests/protocol/test_fuzz.py feeds the decoders text drawn from their grammar's alphabet;
this module starts from *valid* wire text (packets, framed payloads, handshake bodies,
query strings, jsonp indexes) and damages it the way a buggy or hostile peer would: cut,
spliced, duplicated, with a character swapped or a grammar token pushed in. Those inputs
get past the first checks and reach the deep paths (ack ids, endpoint splitting, frame
lengths in UTF-16 units, JSON bodies). Each test also states what must hold when decoding
succeeds, so the tests can fail for a wrong answer as well as for a stray exception.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ProtocolError
from geventsio.protocol.codec import decode_packet, encode_packet
from geventsio.protocol.handshake import (
    format_handshake,
    is_valid_sid,
    parse_handshake,
    parse_query,
)
from geventsio.protocol.packets import LONE_SURROGATE, Packet
from geventsio.protocol.payload import (
    decode_jsonp_form,
    decode_payload,
    encode_payload,
    parse_jsonp_index,
    utf16_len,
)

from .test_fuzz import json_values, packets

#: A loaded 2-core machine must not fail a test for generating slowly.
SLOW_OK = [HealthCheck.too_slow]
SETTINGS = settings(max_examples=1200, deadline=None, suppress_health_check=SLOW_OK)
#: For small input spaces.
FEWER = settings(max_examples=800, deadline=None, suppress_health_check=SLOW_OK)

#: What a damaged input may gain: the grammar's separators, digits that change lengths and
#: ids, the frame mark, characters that count two UTF-16 units, JSON fragments.
SPLICES = [
    ":", "::", "+", "/", "\ufffd", "\ufffd9\ufffd", "0", "9", "99999999999", "-1",
    "{", "}", "[", "]", '"', "\\", '\\u', "\\ud800", '"name"', '"args"', "null", "1e999",
    "\U0001f600", "\ud800", "\x00", "\n", " ", "%", "%ZZ", "&", "=",
]


@st.composite
def mutated(draw, base: st.SearchStrategy[str]) -> str:
    """``base`` text damaged by one to four edits."""
    text = draw(base)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        end = draw(st.integers(at, min(len(text), at + 12)))
        edit = draw(st.integers(0, 4))
        if edit == 0:
            text = text[:at] + text[end:]  # cut a slice
        elif edit == 1:
            text = text[:at] + draw(st.sampled_from(SPLICES)) + text[at:]
        elif edit == 2:
            text = text[:at] + draw(st.sampled_from(SPLICES)) + text[end:]  # replace
        elif edit == 3:
            text = text[:end] + text[at:end] + text[end:]  # duplicate
        else:
            text = text[:at]  # truncate
    return text


def _decode(decoder, value):
    """Decode ``value``; return the result, or None for a ProtocolError (nothing else)."""
    try:
        return decoder(value)
    except ProtocolError as exc:
        assert str(exc), "a ProtocolError must say what was wrong"
        return None


encoded_packets = packets().map(encode_packet)


@SETTINGS
@given(mutated(encoded_packets))
def test_damaged_packets_decode_or_raise_protocol_error(text):
    packet = _decode(decode_packet, text)
    if packet is not None:
        assert isinstance(packet, Packet)
        # whatever was accepted is a packet the encoder can write back as UTF-8 text that
        # decodes to the same packet (a message's lone surrogates are written U+FFFD, as
        # documented, so that one case only has to come back stable)
        again = encode_packet(packet)
        again.encode("utf-8")
        if LONE_SURROGATE.search(text) is None:
            assert decode_packet(again) == packet
        assert encode_packet(decode_packet(again)) == again


framed_payloads = st.lists(encoded_packets, min_size=2, max_size=4).map(encode_payload)


@SETTINGS
@given(mutated(framed_payloads), st.integers(1, 5))
def test_damaged_payloads_decode_or_raise_protocol_error(text, max_packets):
    texts = _decode(lambda value: decode_payload(value, max_packets), text)
    if texts is not None:
        assert len(texts) <= max_packets
        if not text.startswith("\ufffd"):
            assert texts == ([text] if text else [])
        else:  # framed: the frames are pieces of the text, in order, with no overlap
            position = 0
            for packet_text in texts:
                position = text.index(packet_text, position) + len(packet_text)
        for packet_text in texts:
            _decode(decode_packet, packet_text)


@FEWER
@given(st.lists(st.text(alphabet="a\U0001f600\ufffd9é", max_size=6), min_size=2, max_size=4),
       st.integers(-3, 3), st.data())
def test_frame_lengths_off_by_a_few_units_are_refused_or_exact(texts, delta, data):
    """A frame length counts UTF-16 units; one off by ``delta`` must not be misread."""
    which = data.draw(st.integers(0, len(texts) - 1))
    frames = [f"\ufffd{utf16_len(t) + (delta if i == which else 0)}\ufffd{t}"
              for i, t in enumerate(texts)]
    result = _decode(decode_payload, "".join(frames))
    if delta == 0:
        assert result == texts
    elif result is not None:
        # a wrong length can still frame *something* (the next frame's mark moves), but
        # never the same packets: frame ``which`` has the wrong length in UTF-16 units
        assert result != texts
        assert utf16_len(result[which]) == utf16_len(texts[which]) + delta


sids = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=64)
timeouts = st.none() | st.integers(0, 10**6) | st.sampled_from([1.5, 0.25, 60.0])
transports = st.lists(st.sampled_from(["websocket", "xhr-polling", "jsonp-polling",
                                       "htmlfile", "flashsocket"]), max_size=5)
handshakes = st.builds(format_handshake, sids, timeouts, timeouts, transports)


@SETTINGS
@given(mutated(handshakes))
def test_damaged_handshakes_parse_or_raise_protocol_error(body):
    fields = _decode(parse_handshake, body)
    if fields is not None:
        sid, heartbeat, close, names = fields
        assert is_valid_sid(sid)
        assert heartbeat is None or heartbeat >= 0
        assert close is None or close >= 0
        assert all(is_valid_sid(name) for name in names)


QUERY_TOKENS = ["t", "=", "&", "i", "jsonp", "disconnect", "1", "%", "%2", "%26", "%3D",
                "%C3%A9", "%FF", "+", ";", "é", "\x00", "\ufffd", "?", "#"]
query_strings = st.text() | st.lists(st.sampled_from(QUERY_TOKENS), max_size=25).map("".join)


@SETTINGS
@given(query_strings)
def test_parse_query_never_raises_and_keeps_first_values(query_string):
    query = parse_query(query_string)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    if "jsonp" in query:
        _decode(parse_jsonp_index, query["jsonp"])
    _decode(parse_jsonp_index, query.get("i"))


@FEWER
@given(st.none() | st.text() | st.text(alphabet="0123456789", max_size=10)
       | st.sampled_from(["0", "01", "9999999", "10000000", "١", "1 ", "+1", "-1"]))
def test_jsonp_index_is_digits_or_protocol_error(value):
    index = _decode(parse_jsonp_index, value)
    if index is not None:
        assert 0 <= index <= 9_999_999
        assert not value or value.isascii() and value.isdigit()


@st.composite
def jsonp_forms(draw) -> bytes:
    """A jsonp-polling form body as the 0.9 client's hidden form posts it, then damaged."""
    from urllib.parse import quote_plus

    from geventsio.protocol.codec import json_dumps

    payload = draw(framed_payloads | encoded_packets | json_values.map(json_dumps))
    field = "d=" + quote_plus(json_dumps(payload) if draw(st.booleans()) else payload)
    return draw(mutated(st.just(field))).encode("utf-8", "surrogatepass")


@SETTINGS
@given(jsonp_forms())
def test_damaged_jsonp_forms_decode_or_raise_protocol_error(body):
    payload = _decode(decode_jsonp_form, body)
    if payload is not None:
        assert isinstance(payload, str)
        _decode(decode_payload, payload)
