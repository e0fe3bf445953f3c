"""Every exception geventsio raises on purpose.

::

    GeventSIOError                base of everything below
     ├── ProtocolError            malformed or unacceptable input from a client;
     │                            carries the Socket.IO 0.9 error reason/advice and the
     │                            HTTP status the server answers with
     ├── InvalidStateError        a session was asked to move to a state it cannot reach
     ├── AckTimeout               handed to ``on_timeout`` when a client never answered
     │                            an ack in time (never raised)
     ├── LimitExceeded            a per-client limit of the server (rooms, room-name
     │                            length, stored values, pending acks) would be passed
     └── ConfigurationError       the server or a namespace was set up wrongly (raised at
                                  start-up, never because of client input)

``ProtocolError`` is the *only* exception the pure protocol package raises for bad input;
anything else escaping a decoder is a bug (a property test checks this).
"""

from __future__ import annotations

import enum
from http import HTTPStatus

__all__ = [
    "ErrorReason",
    "ErrorAdvice",
    "GeventSIOError",
    "ProtocolError",
    "InvalidStateError",
    "ConfigurationError",
    "AckTimeout",
    "LimitExceeded",
]


class ErrorReason(enum.IntEnum):
    """The reason field of an error packet (``7:::<reason>+<advice>``)."""

    TRANSPORT_NOT_SUPPORTED = 0
    CLIENT_NOT_HANDSHAKEN = 1
    UNAUTHORIZED = 2


class ErrorAdvice(enum.IntEnum):
    """The advice field of an error packet."""

    RECONNECT = 0


class GeventSIOError(Exception):
    """Base class of every exception geventsio raises deliberately."""


class ProtocolError(GeventSIOError):
    """Input that does not follow Socket.IO protocol revision 1, or that we refuse.

    ``reason``/``advice`` say what to put in an error packet when the client should be told
    through the protocol; ``status`` is the HTTP status when the answer is an HTTP error.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: ErrorReason | None = None,
        advice: ErrorAdvice | None = None,
        status: HTTPStatus = HTTPStatus.BAD_REQUEST,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.advice = advice
        self.status = status


class InvalidStateError(GeventSIOError):
    """A session transition that its state machine does not allow."""

    def __init__(self, current: object, wanted: object) -> None:
        super().__init__(f"cannot go from {current!s} to {wanted!s}")
        self.current = current
        self.wanted = wanted


class ConfigurationError(GeventSIOError, ValueError):
    """The server, a namespace class or an option was set up wrongly."""


class AckTimeout(GeventSIOError):
    """A client did not acknowledge a packet within its timeout.

    Never raised: it is the argument of the ``on_timeout`` function given to ``emit`` or
    ``send``, after the callback has been dropped.
    """

    def __init__(self, event: str, ack_id: int, timeout: float) -> None:
        super().__init__(f"no ack for {event!r} (ack {ack_id}) within {timeout:g}s")
        self.event = event
        self.ack_id = ack_id
        self.timeout = timeout


class LimitExceeded(GeventSIOError):
    """A per-client limit of the server would be passed; nothing was changed.

    Raised to the application code that asked (``join``, ``set``, ``emit`` with a
    callback). When it escapes an ``on_<event>`` handler, the client gets an ``error``
    event named ``limit_exceeded`` carrying the message. ``limit`` names the server
    option (``max_rooms_per_client``, ...) and ``value`` is its setting.
    """

    def __init__(self, limit: str, value: int, message: str) -> None:
        super().__init__(f"{message} (limit {limit}={value})")
        self.limit = limit
        self.value = value
