"""The envelope between processes: exact bytes, round trips, and only ProtocolError for
anything malformed (a hypothesis property)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.cluster.envelope import VERSION, Envelope, Kind, decode, encode
from geventsio.exceptions import ProtocolError


def test_exact_bytes_of_an_emit() -> None:
    envelope = Envelope(Kind.EMIT, "n1", "/chat", rooms=("r",), exclude=("s1",),
                        volatile=True, packet='5:::{"name":"x"}')
    assert encode(envelope) == (
        b'\x01[1,"n1","/chat","",["r"],["s1"],true,"5:::{\\"name\\":\\"x\\"}","","","","",200]')


def test_non_ascii_and_lone_surrogates_round_trip() -> None:
    envelope = Envelope(Kind.TO_CLIENT, packet="h\u00e9 \U0001f600 \ud800", sid="s")
    assert decode(encode(envelope)) == envelope


strings = st.text(max_size=20)
envelopes = st.builds(
    Envelope, st.sampled_from(list(Kind)), strings, strings, strings,
    st.lists(strings, max_size=3).map(tuple), st.lists(strings, max_size=3).map(tuple),
    st.booleans(), strings, strings, strings, strings, strings,
    st.integers(min_value=100, max_value=599))


@given(envelopes)
def test_round_trip(envelope: Envelope) -> None:
    assert decode(encode(envelope)) == envelope


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_protocol_error(data: bytes) -> None:
    try:
        decode(data)
    except ProtocolError:
        pass


@given(st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans(),
                          st.lists(st.integers(), max_size=2)), max_size=14))
def test_any_json_array_decodes_or_raises_protocol_error(values: list) -> None:
    try:
        decode(bytes((VERSION,)) + json.dumps(values).encode())
    except ProtocolError:
        pass


@pytest.mark.parametrize("data, message", [
    (b"", "non-empty"),
    (b"\x02[]", "version 2"),
    (b"\x01{", "not JSON"),
    (b"\x01{}", "array of 13"),
    (b'\x01[9,"","","",[],[],false,"","","","","",200]', "unknown envelope kind 9"),
    (b'\x01[1,"","","",[],[],"no","","","","","",200]', "volatile is a boolean"),
    (b'\x01[1,"","","",[1],[],false,"","","","","",200]', "rooms is a list of strings"),
    (b'\x01[1,"","","",[],[],false,"","","","","",99]', "HTTP status"),
    (b'\x01[1,5,"","",[],[],false,"","","","","",200]', "origin is a string"),
    (b'\x01[true,"","","",[],[],false,"","","","","",200]', "unknown envelope kind"),
])
def test_malformed_envelopes_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode(data)
