"""Log lines caused by one client, limited so that a client cannot flood the log.

A client decides how often the server meets a malformed packet, an unknown namespace or a
handler that raises: without a limit, a 7-byte packet sent in a loop writes hundreds of
bytes of log each time. Each session keeps a :class:`LogLimiter`; every log line a client
can cause asks it first, by cause. The first ``burst`` lines of a cause in a ``window``
are written; the rest are counted, and the next line written says how many were left out.

Handler tracebacks are a second case: the first time a given handler raises a given
exception from a given place, the traceback is logged; later the same failure is one line
(:func:`first_traceback`). The set of places seen is bounded.
"""

from __future__ import annotations

import time
import traceback

__all__ = ["LogLimiter", "first_traceback", "BURST", "WINDOW"]

#: Lines of one cause a session may log per window, and the window in seconds.
BURST = 5
WINDOW = 60.0
#: Failure places remembered by :func:`first_traceback` (client input cannot grow it
#: without bound: past this, every failure is logged as one line).
_PLACES_LIMIT = 1000
_places_seen: set[tuple[str, ...]] = set()


class LogLimiter:
    """How many lines of each cause one session may still log in the current window."""

    __slots__ = ("_causes",)

    def __init__(self) -> None:
        #: cause -> [window start, lines asked for in this window]
        self._causes: dict[str, list[float]] = {}

    def check(self, cause: str) -> str | None:
        """None when a line of ``cause`` must not be logged now; otherwise a suffix for
        the line: empty, or how many lines of this cause were left out before it."""
        now = time.monotonic()
        entry = self._causes.get(cause)
        suffix = ""
        if entry is None or now - entry[0] >= WINDOW:
            if entry is not None and entry[1] > BURST:
                suffix = f" ({int(entry[1] - BURST)} more like it left out of the log)"
            entry = self._causes[cause] = [now, 0]
        entry[1] += 1
        return suffix if entry[1] <= BURST else None


def first_traceback(exc: BaseException) -> bool:
    """True the first time an exception of this type is raised from this place (the
    innermost frame of its traceback): log the traceback then, one line afterwards."""
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    place = (type(exc).__qualname__, last.filename if last else "",
             str(last.lineno) if last else "")
    if place in _places_seen:
        return False
    if len(_places_seen) < _PLACES_LIMIT:
        _places_seen.add(place)
    return True
