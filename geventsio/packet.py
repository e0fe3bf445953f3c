"""gevent-socketio's ``socketio.packet``: packets as dicts (``encode``, ``decode``, ...).

The conversions live in the protocol package (:mod:`geventsio.protocol.dicts`, pure like
the rest of it); this module keeps the import path ported apps use.
"""

from .protocol.dicts import (
    ADVICES_VALUES,
    ERROR_ADVICES,
    ERROR_REASONS,
    MSG_TYPES,
    MSG_VALUES,
    REASONS_VALUES,
    decode,
    encode,
    from_dict,
    socketio_packet_attributes,
    to_dict,
)

__all__ = ["MSG_TYPES", "MSG_VALUES", "ERROR_REASONS", "ERROR_ADVICES", "REASONS_VALUES",
           "ADVICES_VALUES", "socketio_packet_attributes", "encode", "decode", "from_dict",
           "to_dict"]
