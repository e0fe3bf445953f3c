"""gevent-socketio's ``socketio.policyserver``: the Flash socket policy listener.

``FlashPolicyServer(listener=None, backlog=None)`` answers ``<policy-file-request/>`` on
``listener`` (default ``('0.0.0.0', 10843)``, as there) with a policy that allows every
origin. Servers usually do not need it directly: ``SocketIOServer(policy_server=True)``
or ``policy_listener=(host, port)`` start one with the policy built from ``origins``.
See :mod:`geventsio.http.flashpolicy` for the listener itself.
"""

from __future__ import annotations

from typing import Any

from .core.origins import OriginAllowList
from .http.flashpolicy import PolicyServer, policy_document

__all__ = ["FlashPolicyServer"]


class FlashPolicyServer(PolicyServer):
    """A policy listener allowing every origin (``domain="*" to-ports="*"``)."""

    policy = policy_document(OriginAllowList("*:*"))

    def __init__(self, listener: Any = None, backlog: int | None = None) -> None:
        super().__init__(listener or ("0.0.0.0", 10843), self.policy, backlog=backlog)
