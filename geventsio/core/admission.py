"""Whether a new session may be made: the server's session cap and an optional
per-address handshake rate.

Every handshake makes a session that lives ``close_timeout`` seconds even if no transport
ever comes, so handshakes are what a client must not be able to make without bound. Past
``max_sessions`` a handshake is answered 503; past ``max_handshakes_per_address`` per
second (off by default: clients behind one NAT share an address) it is answered 429.
"""

from __future__ import annotations

import time
from http import HTTPStatus

from ..exceptions import ProtocolError

__all__ = ["Admission"]

#: Addresses remembered by the rate check; the oldest are forgotten past this.
_ADDRESSES_LIMIT = 100_000


class Admission:
    """Admits or refuses one handshake at a time (one per server)."""

    __slots__ = ("max_sessions", "rate", "_buckets")

    def __init__(self, max_sessions: int, rate: float | None) -> None:
        self.max_sessions = max_sessions
        self.rate = rate
        #: address -> [tokens left, monotonic time they were counted] (a token bucket
        #: holding one second's worth of handshakes)
        self._buckets: dict[str, list[float]] = {}

    def admit(self, sessions: int, address: str) -> None:
        """Raise ProtocolError (503 or 429) unless a handshake from ``address`` may make
        a session now, ``sessions`` being how many exist."""
        if sessions >= self.max_sessions:
            raise ProtocolError(f"server full: {sessions} sessions (max_sessions)",
                                status=HTTPStatus.SERVICE_UNAVAILABLE)
        if self.rate is not None and not self._take(address, self.rate):
            raise ProtocolError(
                f"more than {self.rate:g} handshakes per second from {address}",
                status=HTTPStatus.TOO_MANY_REQUESTS)

    def _take(self, address: str, rate: float) -> bool:
        now = time.monotonic()
        bucket = self._buckets.pop(address, None)  # re-inserted last: dicts keep order
        if bucket is None:
            bucket = [rate, now]
        else:
            bucket[0] = min(rate, bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
        self._buckets[address] = bucket
        if len(self._buckets) > _ADDRESSES_LIMIT:
            del self._buckets[next(iter(self._buckets))]
        if bucket[0] < 1:
            return False
        bucket[0] -= 1
        return True
