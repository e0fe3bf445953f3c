"""Taking turns: one busy client must not keep the hub from everyone else.

A greenlet only gives the hub back when it would block. A client whose data is always
already buffered (a websocket flooded with frames, a POST carrying a thousand packets)
never makes its reader block, so without an explicit yield every other connection,
new ones included, waits until that client pauses. :class:`TurnTaker` counts the work of
one reader and yields to the hub after a bounded amount of it, or of time.
"""

from __future__ import annotations

import time

import gevent

__all__ = ["TurnTaker", "UNITS_PER_TURN", "SECONDS_PER_TURN"]

#: Work units (frames, packets) one reader may handle before it yields ...
UNITS_PER_TURN = 32
#: ... or seconds, whichever comes first (checked as each unit is counted).
SECONDS_PER_TURN = 0.005


class TurnTaker:
    """Counts the work of one reader and yields to the hub when its turn is over."""

    __slots__ = ("_units", "_started")

    def __init__(self) -> None:
        self._units = 0
        self._started = time.monotonic()

    def tick(self, units: int = 1) -> None:
        """Count ``units`` of work; yield (``gevent.sleep(0)``) if the turn is over."""
        self._units += units
        if self._units >= UNITS_PER_TURN or time.monotonic() - self._started >= SECONDS_PER_TURN:
            gevent.sleep(0)
            self._units = 0
            self._started = time.monotonic()
