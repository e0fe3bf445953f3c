"""HubTimer on the real gevent loop: a restart counts the whole delay again.

Only lower bounds on elapsed time are asserted (a loaded machine can delay a timer, never
make it early), plus the order of events; waits for a firing have generous deadlines.
"""

from __future__ import annotations

import time

import gevent
import pytest
from gevent.event import Event

from geventsio.core.timers import HubTimer

DELAY = 0.3


class Fired:
    """Records when the timer's callback ran, and with what."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.args: list[tuple] = []
        self.event = Event()

    def __call__(self, *args: object) -> None:
        self.times.append(time.monotonic())
        self.args.append(args)
        self.event.set()

    def wait(self, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.times) < count:
            assert time.monotonic() < deadline, f"fired {len(self.times)} times, wanted {count}"
            self.event.clear()
            self.event.wait(0.05)


def test_fires_once_after_its_delay_with_its_arguments():
    fired = Fired()
    started = time.monotonic()
    timer = HubTimer.started(DELAY, fired, "a", 2)
    fired.wait()
    assert fired.times[0] - started >= DELAY
    assert fired.args == [("a", 2)]
    assert not timer.active
    gevent.sleep(DELAY * 1.5)
    assert len(fired.times) == 1  # one-shot: nothing more
    timer.close()


def test_restart_after_stop_counts_the_whole_delay_again():
    # The libev watcher alone resumes the time left: stopped after 2/3 of the delay and
    # started again, it fired 1/3 of the delay later. HubTimer must wait the whole delay.
    fired = Fired()
    timer = HubTimer.started(DELAY, fired)
    for _ in range(3):
        gevent.sleep(DELAY * 2 / 3)
        timer.stop()
        gevent.sleep(DELAY / 3)
    restarted = time.monotonic()
    timer.restart()
    fired.wait()
    assert fired.times[0] - restarted >= DELAY
    assert len(fired.times) == 1
    timer.close()


def test_restart_while_running_counts_from_the_restart():
    fired = Fired()
    timer = HubTimer.started(DELAY, fired)
    gevent.sleep(DELAY * 2 / 3)
    restarted = time.monotonic()
    timer.restart()
    fired.wait()
    assert fired.times[0] - restarted >= DELAY
    assert len(fired.times) == 1
    timer.close()


def test_restart_after_firing_fires_again_a_whole_delay_later():
    fired = Fired()
    timer = HubTimer.started(DELAY, fired)
    fired.wait()
    restarted = time.monotonic()
    timer.restart()
    fired.wait(2)
    assert fired.times[1] - restarted >= DELAY
    timer.close()


def test_stopped_timer_never_fires():
    fired = Fired()
    timer = HubTimer.started(DELAY, fired)
    timer.stop()
    assert not timer.active
    control = Fired()
    HubTimer.started(DELAY * 2, control)
    control.wait()  # twice the delay has passed
    assert fired.times == []
    timer.close()


def test_repeating_timer_fires_every_period_until_stopped():
    fired = Fired()
    started = time.monotonic()
    timer = HubTimer.started(DELAY / 3, fired, repeat=True)
    fired.wait(3)
    timer.stop()
    count = len(fired.times)
    assert fired.times[2] - started >= DELAY  # three whole periods
    control = Fired()
    HubTimer.started(DELAY, control)
    control.wait()
    assert len(fired.times) == count  # nothing after stop
    timer.close()


def test_close_is_idempotent_and_final():
    fired = Fired()
    timer = HubTimer.started(DELAY, fired)
    timer.close()
    timer.close()
    timer.stop()
    assert not timer.active
    with pytest.raises(RuntimeError):
        timer.restart()
    control = Fired()
    HubTimer.started(DELAY * 2, control)
    control.wait()
    assert fired.times == []


def test_closing_releases_the_watcher():
    loop = gevent.get_hub().loop
    before = loop.activecnt
    timers = [HubTimer.started(60, lambda: None) for _ in range(50)]
    assert loop.activecnt >= before + 50
    for timer in timers:
        timer.close()
    assert loop.activecnt == before
