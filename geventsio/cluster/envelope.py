"""The messages processes send each other through the message queue (pure: no I/O).

One frozen class, :class:`Envelope`; its :class:`Kind` says which fields matter. On the
wire an envelope is one version byte followed by a compact JSON array of its fields in a
fixed order, so a process can refuse a message of a format it does not know instead of
misreading it. :func:`decode` raises :class:`~geventsio.exceptions.ProtocolError` for
anything malformed, and nothing else.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, fields
from typing import Any

from ..exceptions import ProtocolError

__all__ = ["Kind", "Envelope", "VERSION", "encode", "decode"]

#: The format version, the first byte of every encoded envelope.
VERSION = 1


class Kind(enum.IntEnum):
    """What an envelope asks of the process that receives it."""

    EMIT = 1  # deliver ``packet`` to the local members of endpoint/rooms, minus exclude
    TO_CLIENT = 2  # deliver ``packet`` to the local client ``sid`` on ``endpoint``
    DISCONNECT = 3  # end ``sid``'s namespace ``endpoint`` (``''``: its session)
    REQUEST = 4  # serve a relayed HTTP request of ``sid``; answer to ``reply_to``
    ANSWER = 5  # the answer (``packet``) to the relayed request ``ref``


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message between processes.

    ``origin`` is the id of the sending process (it skips its own broadcasts).
    ``volatile`` doubles as "notify" for DISCONNECT. For REQUEST, ``method`` is
    ``GET``, ``POST`` or ``DISCONNECT``, ``transport`` the transport name and ``packet``
    the POSTed payload; for ANSWER, ``packet`` is the body to answer with and ``status``
    its HTTP status.
    """

    kind: Kind
    origin: str = ""
    endpoint: str = ""
    sid: str = ""
    rooms: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    volatile: bool = False
    packet: str = ""
    ref: str = ""
    reply_to: str = ""
    transport: str = ""
    method: str = ""
    status: int = 200


_FIELDS = tuple(field.name for field in fields(Envelope))
_STRINGS = frozenset(_FIELDS) - {"kind", "rooms", "exclude", "volatile", "status"}


def encode(envelope: Envelope) -> bytes:
    """The bytes of ``envelope``: the version byte, then its fields as a JSON array."""
    values: list[Any] = [getattr(envelope, name) for name in _FIELDS]
    values[0] = int(envelope.kind)
    values[_FIELDS.index("rooms")] = list(envelope.rooms)
    values[_FIELDS.index("exclude")] = list(envelope.exclude)
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return bytes((VERSION,)) + text.encode("utf-8", "surrogatepass")


def decode(data: bytes) -> Envelope:
    """The envelope in ``data``; ProtocolError if it is malformed or of another version."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ProtocolError("an envelope is non-empty bytes")
    if data[0] != VERSION:
        raise ProtocolError(f"envelope version {data[0]} is not {VERSION}")
    try:
        values = json.loads(bytes(data[1:]).decode("utf-8", "surrogatepass"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"envelope is not JSON: {exc}") from None
    if not isinstance(values, list) or len(values) != len(_FIELDS):
        raise ProtocolError(f"an envelope is a JSON array of {len(_FIELDS)} fields")
    found = dict(zip(_FIELDS, values))
    return Envelope(**{name: _checked(name, value) for name, value in found.items()})


def _checked(name: str, value: Any) -> Any:
    if name == "kind":
        if type(value) is not int or value not in Kind._value2member_map_:
            raise ProtocolError(f"unknown envelope kind {value!r}")
        return Kind(value)
    if name in _STRINGS:
        if not isinstance(value, str):
            raise ProtocolError(f"envelope field {name} is a string, got {value!r:.50}")
        return value
    if name == "status":
        if type(value) is not int or not 100 <= value <= 599:
            raise ProtocolError(f"envelope field status is an HTTP status, got {value!r:.50}")
        return value
    if name == "volatile":
        if not isinstance(value, bool):
            raise ProtocolError(f"envelope field volatile is a boolean, got {value!r:.50}")
        return value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProtocolError(f"envelope field {name} is a list of strings")
    return tuple(value)
