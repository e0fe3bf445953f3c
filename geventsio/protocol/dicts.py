"""gevent-socketio's packets as dicts: ``encode``/``decode`` and the conversions.

gevent-socketio passed packets around as dicts, ``{'type': 'event', 'name': 'news',
'args': [...], 'endpoint': '/chat'}``, and apps built them for ``socket.send_packet``.
geventsio works with the immutable packet objects of :mod:`geventsio.protocol`; this
module turns one into the other, so the wire text is always written by the one codec.

Keys: ``type`` (``'disconnect'``, ``'connect'``, ``'heartbeat'``, ``'message'``,
``'json'``, ``'event'``, ``'ack'``, ``'error'``, ``'noop'``), ``endpoint``, ``name`` and
``args`` (event), ``data`` (message, json), ``id`` with ``ack`` (``True`` for a plain ack,
``'data'`` for a data ack), ``ackId`` and ``args`` (ack), ``reason`` and ``advice``
(error, by name: ``'unauthorized'``, ``'reconnect'``), ``qs`` (connect). A dict that
cannot become a packet raises :class:`~geventsio.exceptions.ProtocolError`; the input is
never changed.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..exceptions import ErrorAdvice, ErrorReason, ProtocolError
from .codec import decode_packet, encode_packet, json_dumps, json_loads
from .packets import (
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
    PacketType,
)

__all__ = ["MSG_TYPES", "MSG_VALUES", "ERROR_REASONS", "ERROR_ADVICES", "REASONS_VALUES",
           "ADVICES_VALUES", "socketio_packet_attributes", "encode", "decode", "from_dict",
           "to_dict"]

#: Type name -> number, as in gevent-socketio.
MSG_TYPES: dict[str, int] = {t.name.lower(): t.value for t in PacketType}
MSG_VALUES: dict[int, str] = {number: name for name, number in MSG_TYPES.items()}
#: Error reason / advice names -> numbers (the names of the 0.9 reference).
ERROR_REASONS: dict[str, int] = {"transport not supported": 0, "client not handshaken": 1,
                                 "unauthorized": 2}
ERROR_ADVICES: dict[str, int] = {"reconnect": 0}
REASONS_VALUES: dict[int, str] = {number: name for name, number in ERROR_REASONS.items()}
ADVICES_VALUES: dict[int, str] = {number: name for name, number in ERROR_ADVICES.items()}
#: Every key a dict packet may have.
socketio_packet_attributes = ["type", "name", "data", "endpoint", "args", "ackId", "reason",
                              "advice", "qs", "id", "ack"]


def encode(data: Mapping[str, Any], json_dumps: Callable[[Any], str] | None = None) -> str:
    """The wire text of a dict packet. ``json_dumps`` is accepted for gevent-socketio's
    signature; the codec writes the JSON (values go through it first when given)."""
    return encode_packet(from_dict(data, json_dumps))


def decode(rawstr: str, json_loads: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """A dict packet from its wire text; raises ProtocolError if it is malformed.

    ``json_loads``, when given, re-reads the JSON values (``args``, json ``data``), so a
    custom decoder (``parse_float=Decimal``, an ``object_hook``) still has its say.
    """
    data = to_dict(decode_packet(rawstr))
    if json_loads is not None:
        for key in ("args", "data"):
            if key in data and data["type"] != "message":
                data[key] = json_loads(json_dumps(data[key]))
    return data


def _ack_fields(data: Mapping[str, Any]) -> tuple[int | None, bool]:
    packet_id = data.get("id")
    if packet_id is None:
        return None, False
    return packet_id, data.get("ack") == "data"


def _error_field(names: Mapping[str, int], value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        if value not in names:
            raise ProtocolError(f"unknown error field {value!r}; one of {sorted(names)}")
        return names[value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"error field {value!r} is neither a name nor a number")
    return value


def _with_json(args: Any, json_dumps: Callable[[Any], str] | None) -> Any:
    if json_dumps is None:
        return args
    return json_loads(json_dumps(args))


def _field(data: Mapping[str, Any], key: str) -> Any:
    """A field as given (None if missing): the packet class checks it when built."""
    return data.get(key)


def from_dict(data: Mapping[str, Any],
              json_dumps: Callable[[Any], str] | None = None) -> Packet:
    """The packet object a gevent-socketio dict describes (see the module docstring)."""
    kind = data.get("type")
    endpoint = data.get("endpoint", "") or ""
    packet_id, data_ack = _ack_fields(data)
    if kind == "event":
        args = _with_json(list(data.get("args", ())), json_dumps)
        return EventPacket(_field(data, "name"), args, endpoint, packet_id, data_ack)
    if kind == "message":
        return MessagePacket(_field(data, "data"), endpoint, packet_id, data_ack)
    if kind == "json":
        return JsonPacket(_with_json(data.get("data"), json_dumps), endpoint, packet_id,
                          data_ack)
    if kind == "ack":
        args = _with_json(list(data.get("args", ())), json_dumps)
        return AckPacket(_field(data, "ackId"), args, endpoint)
    if kind == "error":
        reason = _error_field(ERROR_REASONS, data.get("reason"))
        advice = _error_field(ERROR_ADVICES, data.get("advice"))
        return ErrorPacket(None if reason is None else ErrorReason(reason),
                           None if advice is None else ErrorAdvice(advice), endpoint)
    if kind == "connect":
        return ConnectPacket(endpoint, data.get("qs", "") or "")
    simple = _SIMPLE.get(kind) if isinstance(kind, str) else None
    if simple is None:
        raise ProtocolError(f"unknown packet type {kind!r}; one of {sorted(MSG_TYPES)}")
    return simple(endpoint)


_SIMPLE: dict[str, Callable[[str], Packet]] = {
    "disconnect": DisconnectPacket, "heartbeat": HeartbeatPacket, "noop": NoopPacket}


def to_dict(packet: Packet) -> dict[str, Any]:
    """A gevent-socketio dict describing ``packet`` (a new dict every call)."""
    data: dict[str, Any] = {"type": MSG_VALUES[packet.type], "endpoint": packet.endpoint}
    if isinstance(packet, (EventPacket, MessagePacket, JsonPacket)) and packet.id is not None:
        data["id"] = packet.id
        data["ack"] = "data" if packet.data_ack else True
    if isinstance(packet, EventPacket):
        data.update(name=packet.name, args=list(packet.args))
    elif isinstance(packet, (MessagePacket, JsonPacket)):
        data["data"] = packet.data
    elif isinstance(packet, AckPacket):
        data.update(ackId=packet.ack_id, args=list(packet.args))
    elif isinstance(packet, ErrorPacket):
        data["reason"] = _name_of(ERROR_REASONS, packet.reason)
        data["advice"] = _name_of(ERROR_ADVICES, packet.advice)
    elif isinstance(packet, ConnectPacket):
        data["qs"] = packet.query
    return data


def _name_of(names: Mapping[str, int], value: ErrorReason | ErrorAdvice | None) -> str:
    if value is None:
        return ""
    return {number: name for name, number in names.items()}[int(value)]
