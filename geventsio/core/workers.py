"""Greenlets lent to connections while they have something to do.

A websocket that waits for its client's next message needs no greenlet: a hub read
watcher notices when bytes arrive. Handling them does need one, since an application's
handler may block. Starting a new greenlet for every wake-up is expensive on Python 3.11
(each one allocates a fresh frame stack: ~12 us, against ~0.6 us to resume a parked one),
so :class:`Workers` keeps a few greenlets and lends them out.

The rules:

- jobs run in the order they were submitted, each to its end in one worker greenlet;
- a job that blocks (an application handler waiting on I/O) does not hold up the others:
  when the hub gets control while jobs are still queued and no worker is on its way, one
  more worker is woken or started;
- a worker with nothing to do parks, at most ``max_idle`` of them; every ``idle_seconds``
  while any are parked, the parked ones end, so a quiet server holds no worker greenlets
  (a busy one starts a new worker that often at most).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Callable

import gevent

from .timers import HubTimer

__all__ = ["Workers"]

log = logging.getLogger("geventsio.core.workers")

#: What a parked worker is switched to when it is to end instead of taking jobs.
_END = object()


class Workers:
    """Runs submitted jobs in reused greenlets (see the module docstring). One per manager;
    it owns every worker greenlet it starts."""

    __slots__ = ("max_idle", "_queue", "_idle", "_coming", "_check_scheduled",
                 "_reaper", "_loop", "_hub", "_closed", "started")

    def __init__(self, max_idle: int = 32, idle_seconds: float = 2.0) -> None:
        self.max_idle = max_idle
        self._queue: deque[Callable[[], None]] = deque()
        self._idle: list[gevent.Greenlet] = []  # parked workers, the latest last
        self._coming = 0  # workers woken or started that have not begun taking jobs yet
        self._check_scheduled = False
        self._reaper = HubTimer(idle_seconds, self._end_idle)
        self._hub = gevent.get_hub()
        self._loop = self._hub.loop
        self._closed = False
        #: Worker greenlets started so far (tests read it).
        self.started = 0

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job()`` in a worker greenlet soon (from the hub or any greenlet).
        An exception it raises is logged and ends only that job."""
        self._queue.append(job)
        if not self._coming:
            self._send_worker()

    @property
    def idle(self) -> int:
        """Workers parked now."""
        return len(self._idle)

    def close(self) -> None:
        """End the parked workers and keep none from now on; jobs submitted later still
        run (a connection ending after its server stopped), in a worker that then ends."""
        self._closed = True
        self._reaper.close()
        self._end_idle()

    # -- inside -----------------------------------------------------------------------
    def _send_worker(self) -> None:
        """Have one more worker take the queue: a parked one if any, else a new one."""
        self._coming += 1
        if self._idle:
            self._loop.run_callback(self._idle.pop().switch, None)
        else:
            self.started += 1
            gevent.spawn(self._work)

    def _work(self) -> None:
        """A worker: take jobs until none are left, park, repeat; end when told to."""
        queue = self._queue
        while True:
            self._coming -= 1
            while queue:
                job = queue.popleft()
                if queue and not self._check_scheduled:
                    # Should this job block, the hub gets control: the rest of the queue
                    # then needs another worker.
                    self._check_scheduled = True
                    self._loop.run_callback(self._check)
                try:
                    job()
                except Exception:  # noqa: BLE001 (one job's failure is logged, not fatal)
                    log.exception("a connection's job failed")
            if self._closed or len(self._idle) >= self.max_idle:
                return
            if not self._reaper.active:
                self._reaper.restart()
            if not self._park():
                return

    def _park(self) -> bool:
        """Wait among the idle workers; True when woken for jobs, False when to end."""
        current = gevent.getcurrent()
        self._idle.append(current)
        try:
            return self._hub.switch() is not _END
        except BaseException:  # killed while parked: not idle any more
            if current in self._idle:
                self._idle.remove(current)
            raise

    def _check(self) -> None:
        """Hub callback: jobs are waiting and every worker is busy or blocked."""
        self._check_scheduled = False
        if self._queue and not self._coming:
            self._send_worker()

    def _end_idle(self) -> None:
        """End every parked worker (they have had nothing to do for a while)."""
        idle, self._idle = self._idle, []
        for worker in idle:
            self._loop.run_callback(worker.switch, _END)
