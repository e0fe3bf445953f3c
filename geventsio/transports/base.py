"""What a session asks of the transport that carries it (a ``typing.Protocol``).

Every transport class (polling, streaming HTTP, websocket) provides these; mypy checks
each one where it attaches itself to a session. The session knows transports only
through this interface.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

__all__ = ["Transport"]


class Transport(Protocol):
    """A connection that moves one session's packets."""

    #: The wire name (``'websocket'``, ``'xhr-polling'``, ...).
    name: ClassVar[str]
    #: True when the connection stays open and the session sends heartbeats over it.
    streaming: ClassVar[bool]

    def ready_for_volatile(self) -> bool:
        """Whether a packet queued now would be written at once (else it is dropped)."""
        ...

    def replaced(self) -> None:
        """Another transport took the session over: let go of the connection."""
        ...

    def session_closed(self) -> None:
        """The session ended: write what is queued (its farewell), then end."""
        ...
