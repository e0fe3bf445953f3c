"""The fast JSON backend (orjson) and the stdlib one write and read the same wire text.

The codec picks orjson when it is installed; these tests hold both backends to the exact
vectors of test_codec and to each other on generated values and texts. Floats are the
one allowed difference in spelling (``1e-07`` / ``1e-7``): both parse back to the same.
"""

import json
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.exceptions import ProtocolError
from geventsio.protocol.codec import JSON_BACKEND, JSON_BACKENDS

from .test_codec import JSON_VECTORS

SETTINGS = settings(max_examples=300, deadline=None)


def test_orjson_available_when_the_test_extra_is_installed():
    """``pip install -e .[test]`` brings orjson, so both backends are tested here."""
    if "orjson" not in JSON_BACKENDS and not os.environ.get("CI"):
        pytest.skip("orjson is not installed (pip install -e '.[test]' brings it)")
    assert "orjson" in JSON_BACKENDS
    assert JSON_BACKEND == "orjson"


BACKENDS = sorted(JSON_BACKENDS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("value", "text"), JSON_VECTORS)
def test_every_backend_writes_the_vectors(backend, value, text):
    dumps, _ = JSON_BACKENDS[backend]
    assert dumps(value) == text


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("value", "error"), [
    (object(), TypeError), (float("nan"), ValueError), (float("inf"), ValueError),
    ([1, float("-inf")], ValueError), ({1: {2: float("nan")}}, ValueError),
])
def test_every_backend_refuses_the_same_values(backend, value, error):
    dumps, _ = JSON_BACKENDS[backend]
    with pytest.raises(error):
        dumps(value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_writes_what_the_stdlib_accepts_beyond_orjson(backend):
    dumps, _ = JSON_BACKENDS[backend]
    assert dumps(2**70) == "1180591620717411303424"
    assert dumps({1: "a", "b": None}) == '{"1":"a","b":null}'
    assert dumps(["\ud800x"]) == '["\\ud800x"]'
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError):
        dumps(cycle)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "text", ["", "{", "NaN", "[Infinity]", "-Infinity", "1e400", '"\x00"', "[1,]", "'a'", "\ufeff1",
             "[1] x", "01", "1.", '{"a" 1}', "[" * 5000]
)
def test_every_backend_refuses_the_same_texts(backend, text):
    _, loads = JSON_BACKENDS[backend]
    with pytest.raises(ProtocolError):
        loads(text)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_reads_the_same_edge_values(backend):
    _, loads = JSON_BACKENDS[backend]
    assert loads('"\\ud800"') == "\ud800"
    big = loads("123456789012345678901234567890")
    assert big == 123456789012345678901234567890 and isinstance(big, int)
    # the shortest integers beyond 64 bits: 19 digits below -2**63, 20 above 2**64 - 1
    assert loads("[-9223372036854775809]") == [-9223372036854775809]
    assert loads('{"n":18446744073709551616}') == {"n": 18446744073709551616}
    assert loads('{"a":1,"a":2}') == {"a": 2}
    assert loads(' [1, 2.5e3, "é\u2028"] ') == [1, 2500.0, "é\u2028"]


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


def _same(a: object, b: object) -> bool:
    """Equal values, floats compared as floats (and -0.0 apart from 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.skipif(len(BACKENDS) < 2, reason="only one JSON backend installed")
@SETTINGS
@given(values)
def test_backends_agree_on_written_text(value):
    texts = {name: dumps(value) for name, (dumps, _) in JSON_BACKENDS.items()}
    if _has_float(value):  # spelling of exponents may differ; the values may not
        parsed = [json.loads(t) for t in texts.values()]
        assert all(_same(parsed[0], p) for p in parsed[1:]), texts
    else:
        assert len(set(texts.values())) == 1, texts


def _outcome(loads, text):
    try:
        return ("ok", loads(text))
    except ProtocolError:
        return ("error", None)


json_texts = values.map(json.dumps) | st.text(
    alphabet='[]{}",:0123456789.eE+-\\ untrufalsn\ud800\u2028é', max_size=30)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="only one JSON backend installed")
@SETTINGS
@given(json_texts)
def test_backends_agree_on_read_values(text):
    outcomes = [_outcome(loads, text) for _, loads in JSON_BACKENDS.values()]
    first = outcomes[0]
    for other in outcomes[1:]:
        assert first[0] == other[0], (text, outcomes)
        assert _same(first[1], other[1]), (text, outcomes)
