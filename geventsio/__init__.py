"""geventsio: a gevent server for Socket.IO 0.7-0.9 clients (protocol revision 1).

Serve with :class:`SocketIOServer` (or route Socket.IO requests yourself with
:func:`socketio_manage`) and handle each endpoint with a :class:`BaseNamespace` subclass.
"""

from .cluster.emitter import QueueEmitter
from .core.storage import ClientStore, MemoryStore
from .emitter import Emitter
from .exceptions import (
    AckTimeout,
    ConfigurationError,
    ErrorAdvice,
    ErrorReason,
    GeventSIOError,
    InvalidStateError,
    LimitExceeded,
    ProtocolError,
)
from .mixins import BroadcastMixin, RoomsMixin
from .namespace import BaseNamespace
from .server import SocketIOServer, socketio_manage

__version__ = "0.1.0"

__all__ = [
    "SocketIOServer",
    "socketio_manage",
    "BaseNamespace",
    "RoomsMixin",
    "BroadcastMixin",
    "Emitter",
    "QueueEmitter",
    "ClientStore",
    "MemoryStore",
    "GeventSIOError",
    "ProtocolError",
    "InvalidStateError",
    "ConfigurationError",
    "ErrorReason",
    "ErrorAdvice",
    "AckTimeout",
    "LimitExceeded",
    "__version__",
]
