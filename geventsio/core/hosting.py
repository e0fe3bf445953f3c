"""What a session asks of the namespace instances it hosts (a ``typing.Protocol``).

A session creates one namespace instance per endpoint its client joins and talks to it
only through these seven calls, each named ``session_*`` for the side that makes it.
:class:`geventsio.BaseNamespace` implements them; applications override ``recv_*`` and
``on_<event>`` methods instead, never these.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

__all__ = ["HostedNamespace", "NamespaceFactory"]


class HostedNamespace(Protocol):
    """One client's instance of one namespace, as its session sees it."""

    def session_admits(self, handshake: dict[str, Any]) -> bool:
        """Whether the client may join (the app's ``authorize``); False if it raised."""
        ...

    def session_joined(self) -> None:
        """The client has joined: run the app's ``recv_connect``."""
        ...

    def session_refused(self) -> None:
        """The client was not admitted: release what the instance started."""
        ...

    def session_packet(self, packet: Any) -> Any:
        """Handle one message, json or event packet; its handler's result, or
        :data:`~geventsio.core.acks.NO_ACK` when there is nothing to answer."""
        ...

    def session_ack(self, ack_id: int, args: tuple[Any, ...]) -> None:
        """The client answered server-to-client ack ``ack_id`` with ``args``."""
        ...

    def session_error(self, packet: Any) -> None:
        """The client reported an error packet on this endpoint."""
        ...

    def session_ended(self, reason: str) -> None:
        """The namespace is over for this client: ``recv_disconnect``, then release
        everything (idempotent)."""
        ...


#: How a session makes an instance: ``cls(environ, endpoint, request=request)``.
NamespaceFactory = Callable[..., HostedNamespace]
