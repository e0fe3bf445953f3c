"""JSON as every wire format of the protocol writes and reads it.

:func:`json_dumps` and :func:`json_loads` are chosen once at import: orjson when installed
(the ``fast`` extra), the stdlib otherwise, with the same output (see
:data:`JSON_BACKEND`). :func:`json_dumps` writes what JavaScript's ``JSON.stringify``
writes for the same value: compact, non-ASCII raw, ``/`` raw, control characters and lone
surrogates escaped. :func:`json_loads` raises
:class:`~geventsio.exceptions.ProtocolError` and nothing else for bad input.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

from ..exceptions import ProtocolError
from .packets import LONE_SURROGATE

__all__ = ["ECHO_LIMIT", "JSON_BACKEND", "JSON_BACKENDS", "json_dumps", "json_loads",
           "snippet"]

#: How much of a bad input an error message repeats.
ECHO_LIMIT = 100


def snippet(text: str) -> str:
    """Return ``repr(text)`` cut to :data:`ECHO_LIMIT` characters, for error messages."""
    if len(text) <= ECHO_LIMIT:
        return repr(text)
    return f"{text[:ECHO_LIMIT]!r}... ({len(text)} chars)"


# -- JSON --------------------------------------------------------------------------------


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"invalid JSON: {name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolError(f"invalid JSON: number {snippet(text)} is out of range")
    return value


_stdlib_encode: Callable[[Any], str] = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_stdlib_decode: Callable[[str], Any] = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float
).decode


def _stdlib_dumps(obj: Any) -> str:
    text = _stdlib_encode(obj)
    if text.isascii():
        return text
    return LONE_SURROGATE.sub(_escape_surrogate, text)


def _stdlib_loads(text: str) -> Any:
    try:
        return _stdlib_decode(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"invalid JSON: {exc}; got {snippet(text)}") from None


def _orjson_functions() -> tuple[Callable[[Any], str], Callable[[str], Any]] | None:
    """orjson's dumps/loads, narrowed to what the stdlib functions accept, or None.

    orjson is used for the common case only; whatever it refuses (lone surrogates, ints
    beyond 64 bits, non-str keys, cycles, bad JSON) goes to the stdlib functions, which
    then answer exactly as without orjson. Two cases where orjson would *succeed*
    differently are sent to the stdlib too: output holding ``null`` (orjson writes NaN
    and infinities as null where the stdlib refuses them) and input holding a run of 19+
    digits (orjson reads integers beyond 64 bits as floats).
    """
    try:
        import orjson
    except ImportError:
        return None
    dumps, loads = orjson.dumps, orjson.loads
    option = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    # 19 digits, spelled so that the search can skip to the next digit (a pattern that
    # starts with a repeat cannot): twice as fast on a typical event (0.25 vs 0.5 us).
    long_digits = re.compile(r"[0-9][0-9]{18}").search

    def fast_dumps(obj: Any) -> str:
        try:
            data = dumps(obj, option=option)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return _stdlib_dumps(obj)
        text = data.decode("utf-8")
        if "null" in text:  # looked for in the str: ``in`` on bytes costs 4x as much
            return _stdlib_dumps(obj)
        return text

    def fast_loads(text: str) -> Any:
        if long_digits(text) is None:
            try:
                return loads(text)
            except ValueError:  # orjson.JSONDecodeError is a ValueError
                pass
        return _stdlib_loads(text)

    return fast_dumps, fast_loads


#: Every available JSON backend by name, ``(dumps, loads)``; tests check that they agree.
JSON_BACKENDS: dict[str, tuple[Callable[[Any], str], Callable[[str], Any]]] = {
    "json": (_stdlib_dumps, _stdlib_loads)}
_found = _orjson_functions()
if _found is not None:
    JSON_BACKENDS["orjson"] = _found


#: Which JSON library the codec uses, chosen once at import: ``"orjson"`` when installed
#: (``pip install geventsio[fast]``), else ``"json"`` (the stdlib).
JSON_BACKEND = "orjson" if "orjson" in JSON_BACKENDS else "json"
_dumps, _loads = JSON_BACKENDS[JSON_BACKEND]


def json_dumps(obj: Any) -> str:
    """Return ``obj`` as compact JSON, as ``JSON.stringify`` writes it (floats aside).

    Keys keep their order; non-ASCII characters stay raw except lone surrogates, which are
    escaped (``\\ud800``) so that the result can always be encoded as UTF-8.
    Raises ``TypeError`` for a value JSON cannot represent and ``ValueError`` for NaN,
    infinities and circular references: programming errors, not protocol errors.
    (With orjson, floats are spelled as JavaScript does, ``1e-7`` rather than ``1e-07``.)
    """
    return _dumps(obj)


def json_loads(text: str) -> Any:
    """Return the value the JSON document ``text`` holds.

    Raises ProtocolError for anything ``JSON.stringify`` cannot have written: bad syntax,
    ``NaN``/``Infinity``, numbers that overflow a float, nesting too deep to parse.
    """
    return _loads(text)
