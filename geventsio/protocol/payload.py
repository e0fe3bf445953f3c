"""Payloads (several packets in one HTTP body) and the script bodies that carry them.

Polling transports move a *payload*: one packet bare, or two or more framed as
``\\ufffd<length>\\ufffd<packet>`` repeated. ``<length>`` counts what JavaScript's
``String#length`` counts, UTF-16 code units, so ``é`` counts 1 and ``😀`` counts 2
(:func:`utf16_len`). Websocket never frames: one packet per message.

jsonp-polling wraps a payload in ``io.j[N]("...");`` (:func:`jsonp_body`) and receives it as
form field ``d`` (:func:`decode_jsonp_form`); htmlfile streams ``<script>_("...");</script>``
chunks after a fixed prelude (:func:`htmlfile_chunk`, :data:`HTMLFILE_PRELUDE`). Both bodies
are built with the JSON encoder, never by pasting text, and escape more than the reference
server does (see each function). Bad input raises
:class:`~geventsio.exceptions.ProtocolError` and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from ..exceptions import ProtocolError
from .codec import json_dumps, json_loads, snippet

__all__ = [
    "HTMLFILE_PRELUDE",
    "utf16_len",
    "encode_payload",
    "decode_payload",
    "jsonp_body",
    "parse_jsonp_index",
    "htmlfile_chunk",
    "decode_jsonp_form",
    "MULTIPART_BOUNDARY",
    "MULTIPART_PRELUDE",
    "MULTIPART_END",
    "multipart_part",
]

_MARK = "\ufffd"
_ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")  # one code point, two UTF-16 code units
_MAX_LENGTH_DIGITS = 9
_JSONP_INDEX = re.compile(r"[0-9]{1,7}")

#: First chunk of an htmlfile response: defines ``_`` and pads to 256 characters (as the
#: reference does, so that browsers start rendering the stream at once).
HTMLFILE_PRELUDE = (
    "<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>"
).ljust(256)

#: Boundary of an xhr-multipart response (``multipart/x-mixed-replace``), as 0.6 used it.
MULTIPART_BOUNDARY = "socketio"
#: The first bytes of an xhr-multipart body: the first delimiter line.
MULTIPART_PRELUDE = f"--{MULTIPART_BOUNDARY}\r\n"
#: What ends an xhr-multipart body after its last part: an empty part, then the close
#: delimiter.
MULTIPART_END = f"\r\n--{MULTIPART_BOUNDARY}--\r\n"


# -- framing -----------------------------------------------------------------------------


def utf16_len(s: str) -> int:
    """Return the JavaScript ``String#length`` of ``s``: its count of UTF-16 code units.

    A character above U+FFFF counts 2; a lone surrogate counts 1, as in JavaScript.
    """
    if s.isascii() or max(s) < "\U00010000":
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def encode_payload(packets: Sequence[str]) -> str:
    """Return encoded packets as one payload: ``''`` for none, one bare, more framed."""
    if len(packets) < 2:
        return packets[0] if packets else ""
    return "".join([f"{_MARK}{utf16_len(packet)}{_MARK}{packet}" for packet in packets])


def decode_payload(text: str, max_packets: int = 1000) -> list[str]:
    """Return the packet texts in the payload ``text`` (``[]`` for ``''``).

    Text that does not start with U+FFFD is one bare packet. Raises ProtocolError for bad
    framing: a length that is not decimal digits, a missing U+FFFD, a length running past
    the end or splitting a character, or more than ``max_packets`` frames.
    """
    if not text:
        return []
    if text[0] != _MARK:
        return [text]
    has_astral = not text.isascii() and _ASTRAL.search(text) is not None
    packets: list[str] = []
    position = 0
    while position < len(text):
        if len(packets) == max_packets:
            raise ProtocolError(f"expected at most {max_packets} packets in a payload")
        start, units = _frame_header(text, position)
        position = _frame_end(text, start, units) if has_astral else start + units
        if position > len(text):
            raise ProtocolError(
                f"frame length {units} at index {start} runs past the end of the payload"
            )
        packets.append(text[start:position])
    return packets


def _frame_header(text: str, position: int) -> tuple[int, int]:
    """Read ``\\ufffd<digits>\\ufffd`` at ``position``; return (packet start, length)."""
    stop = -1
    if text[position] == _MARK:
        stop = text.find(_MARK, position + 1, position + 2 + _MAX_LENGTH_DIGITS)
    digits = text[position + 1 : stop] if stop > 0 else ""
    if not (digits.isascii() and digits.isdigit()):
        raise ProtocolError(
            f"expected a frame header \\ufffd<length>\\ufffd at index {position},"
            f" got {snippet(text[position : position + 20])}"
        )
    return stop + 1, int(digits)


def _frame_end(text: str, start: int, units: int) -> int:
    """Index where ``units`` UTF-16 code units starting at index ``start`` end."""
    astral = 0  # characters counting 2 units met so far
    for match in _ASTRAL.finditer(text, start, start + units):
        used = match.start() - start + astral  # units before this character
        if used >= units:
            break
        if used + 2 > units:
            raise ProtocolError(f"frame length {units} at index {start} splits a character")
        astral += 1
    return start + units - astral


# -- jsonp-polling and htmlfile ----------------------------------------------------------


def _js_string(text: str) -> str:
    """``text`` as a JavaScript string literal: JSON, plus U+2028/U+2029 escaped.

    Those two are legal in JSON but ended a string literal in JavaScript before ES2019, so
    an older browser would fail to parse the whole script.
    """
    literal = json_dumps(text)
    if literal.isascii():
        return literal
    return literal.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def jsonp_body(index: int, payload: str) -> str:
    """Return the jsonp-polling response body ``io.j[index]("<payload as JSON>");``.

    Byte for byte what the reference writes, except that U+2028 and U+2029 are escaped.
    Raises ``ValueError`` if ``index`` is not an int >= 0 (parse it with
    :func:`parse_jsonp_index`).
    """
    if type(index) is not int or index < 0:
        raise ValueError(f"jsonp index must be an int >= 0, got {index!r}")
    return f"io.j[{index}]({_js_string(payload)});"


def parse_jsonp_index(value: str | None) -> int:
    """Return the jsonp callback index from the ``i`` query value (0 when absent or empty).

    Raises ProtocolError unless ``value`` is 1 to 7 ASCII digits: the index is pasted into
    JavaScript, so nothing else may pass.
    """
    if not value:
        return 0
    if _JSONP_INDEX.fullmatch(value) is None:
        raise ProtocolError(f"expected a jsonp index of 1-7 digits, got {snippet(value)}")
    return int(value)


def htmlfile_chunk(payload: str) -> str:
    """Return one htmlfile script chunk, ``<script>_("<payload as JSON>");</script>``.

    As the reference does, every ``/`` is written ``\\/``, so ``</script>`` cannot close
    the script early. We also write ``<`` as ``\\u003c``, so that no ``<!--`` or
    ``<script`` can switch the HTML parser into its "script data escaped" states (where a
    later ``</script>`` would no longer end the script and the stream would stall), and
    escape U+2028/U+2029 as :func:`jsonp_body` does. The string the page receives is the same.
    """
    literal = _js_string(payload).replace("/", "\\/").replace("<", "\\u003c")
    return f"<script>_({literal});</script>"


def decode_jsonp_form(body: bytes) -> str:
    """Return the payload text of a jsonp-polling POST body.

    The body is ``application/x-www-form-urlencoded``; field ``d`` (its first occurrence)
    holds the payload as a JSON string. Raises ProtocolError if ``d`` is missing, is not
    UTF-8 once percent-decoded, is not JSON, or is JSON but not a string.
    """
    field = _form_field(body, b"d")
    if field is None:
        raise ProtocolError(f"expected form field 'd' in the jsonp POST body, got {body[:100]!r}")
    try:
        text = field.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"form field 'd' is not UTF-8: {exc}") from None
    payload = json_loads(text)
    if not isinstance(payload, str):
        raise ProtocolError(f"expected form field 'd' to hold a JSON string, got {snippet(text)}")
    return payload


def _form_field(body: bytes, name: bytes) -> bytes | None:
    """The first value of field ``name`` in a urlencoded ``body``, percent-decoded."""
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        if _unquote_plus(key) == name:
            return _unquote_plus(value)
    return None


def _unquote_plus(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


# -- xhr-multipart -----------------------------------------------------------------------


def multipart_part(payload: str) -> str:
    """Return one xhr-multipart part carrying ``payload``, up to the next delimiter line.

    The part's body is the payload as a JSON string literal (as in jsonp and htmlfile,
    U+2028/U+2029 escaped), so it holds no line break and no packet can forge a
    delimiter; a client ``JSON.parse``-s it. The delimiter follows at once, so a reader
    knows the part is complete without waiting for the next one.
    """
    return (f"Content-Type: application/json; charset=UTF-8\r\n\r\n{_js_string(payload)}"
            f"\r\n--{MULTIPART_BOUNDARY}\r\n")
