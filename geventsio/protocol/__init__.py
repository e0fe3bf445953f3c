"""The Socket.IO 0.9 protocol (revision 1) as pure functions: text in, objects out, and back.

No sockets, no gevent, no WSGI: strings and bytes only, so the same code serves every
transport, the tests, a Python client and a load generator (``tests/protocol/test_purity.py``
proves the imports). The pieces:

* :mod:`.packets`: one small frozen class per packet type;
* :mod:`.codec`: one packet as text (``5:1+::{"name":"e","args":[1]}``) and back;
* :mod:`.jsoncodec`: the JSON functions every format uses (offered by :mod:`.codec` too);
* :mod:`.payload`: several packets in one body (``\\ufffd<len>\\ufffd<packet>``, lengths in
  UTF-16 code units), jsonp-polling and htmlfile bodies;
* :mod:`.handshake`: URL routing under the resource, the handshake body, session ids.

Malformed input raises :class:`~geventsio.exceptions.ProtocolError` and nothing else.
"""

from ..exceptions import ErrorAdvice, ErrorReason, ProtocolError
from .codec import MAX_ID, decode_packet, encode_event, encode_packet, json_dumps, json_loads
from .handshake import (
    PROTOCOL,
    Target,
    TargetKind,
    format_handshake,
    is_valid_sid,
    jsonp_handshake_body,
    new_sid,
    parse_handshake,
    parse_query,
    parse_target,
)
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
    message_packet,
)
from .payload import (
    HTMLFILE_PRELUDE,
    MULTIPART_BOUNDARY,
    MULTIPART_END,
    MULTIPART_PRELUDE,
    decode_jsonp_form,
    decode_payload,
    encode_payload,
    htmlfile_chunk,
    jsonp_body,
    multipart_part,
    parse_jsonp_index,
    utf16_len,
)

__all__ = [
    # packets
    "PacketType",
    "message_packet",
    "Packet",
    "DisconnectPacket",
    "ConnectPacket",
    "HeartbeatPacket",
    "MessagePacket",
    "JsonPacket",
    "EventPacket",
    "AckPacket",
    "ErrorPacket",
    "NoopPacket",
    "ErrorReason",
    "ErrorAdvice",
    "ProtocolError",
    # codec
    "MAX_ID",
    "encode_packet",
    "encode_event",
    "decode_packet",
    "json_dumps",
    "json_loads",
    # payload
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
    # handshake
    "PROTOCOL",
    "TargetKind",
    "Target",
    "parse_target",
    "parse_query",
    "format_handshake",
    "parse_handshake",
    "new_sid",
    "is_valid_sid",
    "jsonp_handshake_body",
]
