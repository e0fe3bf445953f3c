"""One packet as text, and back: the Socket.IO 0.9 packet grammar, written once.

::

    packet = type ":" [id ["+"]] ":" [endpoint] [":" data]

``type`` is one digit (:class:`~.packets.PacketType`), ``id`` asks for an ack (``+``: a
*data* ack), ``endpoint`` is the namespace path. :func:`encode_packet` and
:func:`decode_packet` handle the fields every packet shares; one small function per packet
type, found in one table, handles the data part. Examples: ``1::/chat``, ``3:2::hello``,
``5:1+::{"name":"ack_me","args":["x",1]}``, ``6:::1+["x",1]``, ``7:::1+0``.

The JSON functions used by every wire format (:func:`json_dumps`, :func:`json_loads`,
:data:`JSON_BACKEND`) are written in :mod:`.jsoncodec` and offered here as well.

Decoding raises :class:`~geventsio.exceptions.ProtocolError` and nothing else for bad input.
Nothing is cached and no input is mutated.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..exceptions import ErrorAdvice, ErrorReason, ProtocolError
from .jsoncodec import (  # the JSON functions are this module's interface too
    ECHO_LIMIT,
    JSON_BACKEND,
    JSON_BACKENDS,
    _dumps,
    _loads,
    json_dumps,
    json_loads,
    snippet,
)
from .packets import (
    LONE_SURROGATE,
    MAX_ID,
    AckPacket,
    ConnectPacket,
    DisconnectPacket,
    ErrorPacket,
    EventPacket,
    HeartbeatPacket,
    JsonPacket,
    MessagePacket,
    NoopPacket,
    Packet,
    check_endpoint,
    unchecked_builder,
)

__all__ = ["MAX_ID", "ECHO_LIMIT", "JSON_BACKEND", "JSON_BACKENDS", "snippet", "json_dumps",
           "json_loads", "encode_packet", "encode_event", "decode_packet"]

# -- encoding ----------------------------------------------------------------------------


def _no_data(packet: Packet) -> str | None:
    return None


def _connect_data(packet: ConnectPacket) -> str | None:
    return packet.query or None


def _message_data(packet: MessagePacket) -> str | None:
    data = packet.data
    if not data.isascii():
        data = LONE_SURROGATE.sub("\ufffd", data)
    return data or None


def _json_data(packet: JsonPacket) -> str:
    return json_dumps(packet.data)


def _event_data(packet: EventPacket) -> str:
    if packet.args:
        return json_dumps({"name": packet.name, "args": packet.args})
    return json_dumps({"name": packet.name})


def _ack_data(packet: AckPacket) -> str:
    if packet.args:
        return f"{packet.ack_id}+{_without_line_separators(json_dumps(packet.args))}"
    return str(packet.ack_id)


def _without_line_separators(text: str) -> str:
    """JSON ``text`` with U+2028/U+2029 written as escapes.

    The 0.9 clients split ack data with ``/^([0-9]+)(\\+)?(.*)/``, whose ``.`` stops at
    those two characters, so raw they would cut the arguments short.
    """
    if text.isascii():
        return text
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _error_data(packet: ErrorPacket) -> str | None:
    reason = "" if packet.reason is None else str(packet.reason.value)
    if packet.advice is None:
        return reason or None
    return f"{reason}+{packet.advice.value}"


# packet class -> (type digit, data part writer, whether the class has id/data_ack)
_ENCODERS: dict[type, tuple[str, Callable[[Any], str | None], bool]] = {
    DisconnectPacket: ("0", _no_data, False),
    ConnectPacket: ("1", _connect_data, False),
    HeartbeatPacket: ("2", _no_data, False),
    MessagePacket: ("3", _message_data, True),
    JsonPacket: ("4", _json_data, True),
    EventPacket: ("5", _event_data, True),
    AckPacket: ("6", _ack_data, False),
    ErrorPacket: ("7", _error_data, False),
    NoopPacket: ("8", _no_data, False),
}


def encode_packet(packet: Packet) -> str:
    """Return the wire text of ``packet``, e.g. ``5:1+::{"name":"ack_me","args":["x",1]}``.

    A data part is written after a third ``:`` only when there is one (``1::``, ``8::``).
    Lone surrogates in a message's text become U+FFFD. Raises ``TypeError`` for an object
    that is not a packet, and what :func:`json_dumps` raises for data JSON cannot hold.
    """
    try:
        kind, write_data, has_id = _ENCODERS[type(packet)]
    except KeyError:
        raise TypeError(f"not a packet: {packet!r}") from None
    id_field = ""
    if has_id and packet.id is not None:  # type: ignore[union-attr]  # has_id: it has one
        id_field = f"{packet.id}+" if packet.data_ack else str(packet.id)  # type: ignore[union-attr]
    data = write_data(packet)
    if data is None:
        return f"{kind}:{id_field}:{packet.endpoint}"
    return f"{kind}:{id_field}:{packet.endpoint}:{data}"


def encode_event(name: str, args: Any = (), endpoint: str = "", id: int | None = None,
                 data_ack: bool = False) -> str:
    """``encode_packet(EventPacket(name, args, endpoint, id, data_ack))``, the text an
    ``emit`` sends, without building and checking a packet object on the common path.

    The same checks are made (a non-empty str name, args a list or tuple, an endpoint
    without ``:`` or lone surrogates); anything unusual (an id, a str subclass, a refused
    value) takes the packet path, so results and errors are the same as encode_packet's.
    """
    if (type(name) is str and name and (type(args) is tuple or type(args) is list)
            and id is None and data_ack is False
            and type(endpoint) is str and (not endpoint or _plain_endpoint(endpoint))):
        if args:  # _dumps: json_dumps without its call
            return f"5::{endpoint}:{_dumps({'name': name, 'args': args})}"
        return f"5::{endpoint}:{_dumps({'name': name})}"
    return encode_packet(EventPacket(name, args, endpoint, id, data_ack))


def _plain_endpoint(endpoint: str) -> bool:
    return ":" not in endpoint and (endpoint.isascii() or LONE_SURROGATE.search(endpoint) is None)


# -- decoding ----------------------------------------------------------------------------


def _counter(digits: str, what: str) -> int:
    """``digits`` as an id in 0..MAX_ID; ProtocolError if it is anything else."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 16 or int(digits) > MAX_ID:
        raise ProtocolError(f"expected {what} as decimal digits up to 2**53, got {snippet(digits)}")
    return int(digits)


_NO_ID: tuple[int | None, bool] = (None, False)  # the id fields of a packet without one


def _id_field(field: str) -> tuple[int | None, bool]:
    if not field:
        return _NO_ID
    if field.endswith("+"):
        return _counter(field[:-1], "a packet id"), True
    return _counter(field, "a packet id"), False


def _json_part(data: str | None, what: str) -> Any:
    if data is None:
        raise ProtocolError(f"expected {what} after the endpoint, got nothing")
    return json_loads(data)


def _decode_disconnect(endpoint: str, data: str | None, *_: object) -> Packet:
    return DisconnectPacket(endpoint)  # trailing data seen in the wild is ignored


def _decode_connect(endpoint: str, data: str | None, *_: object) -> Packet:
    return ConnectPacket(endpoint, data or "")


def _decode_heartbeat(endpoint: str, data: str | None, *_: object) -> Packet:
    return HeartbeatPacket(endpoint)


def _decode_noop(endpoint: str, data: str | None, *_: object) -> Packet:
    return NoopPacket(endpoint)


# The data packets are built unchecked: decode_packet has checked the id field, the
# readers below check the data, and _checked() the endpoint (the one thing a constructor
# would still look at: it may hold a lone surrogate), at the point where the constructor
# would have checked it, so that errors are the same as a checked build's.
_new_message = unchecked_builder(MessagePacket)
_new_json = unchecked_builder(JsonPacket)
_new_event = unchecked_builder(EventPacket)
_new_ack = unchecked_builder(AckPacket)


def _checked(endpoint: str) -> str:
    """``endpoint`` (a str without ``:``, cut at one), refused if it holds a lone
    surrogate, with the constructor's error."""
    if not endpoint.isascii():
        check_endpoint(endpoint)
    return endpoint


def _decode_message(
    endpoint: str, data: str | None, packet_id: int | None, data_ack: bool
) -> Packet:
    return _new_message(data or "", _checked(endpoint), packet_id, data_ack)  # type: ignore[no-any-return]


def _decode_json(
    endpoint: str, data: str | None, packet_id: int | None, data_ack: bool
) -> Packet:
    value = _json_part(data, "JSON data")
    return _new_json(value, _checked(endpoint), packet_id, data_ack)  # type: ignore[no-any-return]


def _decode_event(
    endpoint: str, data: str | None, packet_id: int | None, data_ack: bool
) -> Packet:
    event = _loads(data) if data is not None else _json_part(data, "event data")
    if not (isinstance(event, dict) and isinstance(event.get("name"), str)
            and event["name"] != "" and isinstance(event.get("args", []), list)):
        raise ProtocolError(
            'expected event data {"name": <non-empty string>[, "args": [...]]},'
            f" got {snippet(data or '')}"
        )
    if not endpoint.isascii():  # what _checked() does, without its call on this path
        check_endpoint(endpoint)
    return _new_event(  # type: ignore[no-any-return]
        event["name"], tuple(event.get("args", ())), endpoint, packet_id, data_ack)


_ACK_DATA = re.compile(r"([0-9]+)(?:\+(.*))?", re.DOTALL)


def _decode_ack(endpoint: str, data: str | None, *_: object) -> Packet:
    match = _ACK_DATA.fullmatch(data or "")
    if match is None:
        raise ProtocolError(f"expected ack data <id>[+<JSON array>], got {snippet(data or '')}")
    ack_id = _counter(match.group(1), "an ack id")
    if match.group(2) is None:
        return _new_ack(ack_id, (), _checked(endpoint))  # type: ignore[no-any-return]
    args = json_loads(match.group(2))
    if not isinstance(args, list):
        raise ProtocolError(f"expected ack arguments as a JSON array, got {snippet(data or '')}")
    return _new_ack(ack_id, tuple(args), _checked(endpoint))  # type: ignore[no-any-return]


_REASONS = {str(reason.value): reason for reason in ErrorReason}
_ADVICES = {str(advice.value): advice for advice in ErrorAdvice}


def _decode_error(endpoint: str, data: str | None, *_: object) -> Packet:
    reason_text, plus, advice_text = (data or "").partition("+")
    reason = _REASONS.get(reason_text)
    advice = _ADVICES.get(advice_text)
    if (reason_text and reason is None) or (plus and advice is None):
        raise ProtocolError(
            f"expected error data [<reason {'|'.join(_REASONS)}>][+<advice "
            f"{'|'.join(_ADVICES)}>], got {snippet(data or '')}"
        )
    return ErrorPacket(reason, advice, endpoint)


# type digit -> data part reader; a reader gets (endpoint, data or None, id, data_ack)
_DECODERS: dict[str, Callable[[str, str | None, Any, bool], Packet]] = {
    "0": _decode_disconnect,
    "1": _decode_connect,
    "2": _decode_heartbeat,
    "3": _decode_message,
    "4": _decode_json,
    "5": _decode_event,
    "6": _decode_ack,
    "7": _decode_error,
    "8": _decode_noop,
}
_TYPES_WITH_ID = frozenset("345")


def decode_packet(text: str) -> Packet:
    """Return the packet that the wire text ``text`` holds (one packet, not a payload).

    Data sent with a disconnect, heartbeat or noop is ignored. Raises ProtocolError, saying
    what was expected and what arrived, for an unknown type, missing ``:`` separators, a bad
    id (or an id on a type that takes none), or data that does not fit the type.
    """
    if text.startswith("5:::"):  # an event without id on the default endpoint: the usual
        return _decode_event("", text[4:], None, False)
    kind, _, rest = text.partition(":")
    read_data = _DECODERS.get(kind)
    if read_data is None:
        raise ProtocolError(f"expected a packet type 0-8 and ':', got {snippet(text)}")
    id_text, sep, rest = rest.partition(":")
    if not sep:
        raise ProtocolError(f"expected 'type:[id]:[endpoint][:data]', got {snippet(text)}")
    if id_text and kind not in _TYPES_WITH_ID:
        raise ProtocolError(f"packet type {kind} takes no id, got {snippet(text)}")
    packet_id, data_ack = _id_field(id_text) if id_text else _NO_ID
    endpoint, sep, data = rest.partition(":")
    return read_data(endpoint, data if sep else None, packet_id, data_ack)
