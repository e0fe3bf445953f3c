"""One client cannot hold the server (security review, finding 1, the HTTP part).

A client pipelining thousands of kept-alive requests on one connection used to be served
back to back without the server ever yielding: another client's handshake waited until
the flood stopped (7 s in the review). Here the flooder is a separate process; while it
floods, another client's handshake round trips must complete. The bound on their median
is a liveness bound, not a speed test: it is generous for a loaded machine, and far
below the stall the flood caused.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import gevent

from .conftest import ROOT
from .rawclient import request

#: A starved client waited as long as the flood lasted (seconds); a served one, well
#: under this even on a busy 2-core machine.
LIVENESS_BOUND = 1.0


def test_a_pipelining_client_does_not_starve_another(live):
    flooder = subprocess.Popen(
        [sys.executable, "-m", "tests.pipeliner", str(live.port), "/socket.io/"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        with gevent.Timeout(30, AssertionError("the flooder never got an answer")):
            assert flooder.stdout.readline().strip() == "flooding"
        round_trips = []
        for _ in range(7):
            started = time.monotonic()
            with gevent.Timeout(60, AssertionError("the victim's handshake never came back")):
                assert request(live.port, "GET", "/socket.io/1/?t=1").status == 200
            round_trips.append(time.monotonic() - started)
        still_flooding = flooder.poll() is None
    finally:
        flooder.stdin.close()
        try:
            flooder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            flooder.kill()
            flooder.wait()
    served = int(flooder.stdout.read().split()[-1])
    assert still_flooding, "the victim was served only once the flood had ended"
    assert served > 500, served  # it really was a flood, served alongside the victim
    assert statistics.median(round_trips) < LIVENESS_BOUND, round_trips


def test_a_post_of_many_packets_lets_others_run_between_them(make_server):
    """A polling POST's payload is handled a slice of packets at a time: a greenlet
    that counts its own turns sees several of them while one payload's handlers run
    (without the slices, every handler saw the same count)."""
    from geventsio import BaseNamespace
    from geventsio.core.fairness import UNITS_PER_TURN

    from .test_bad_input import PollingClient

    turns = [0]
    seen_turns: list[int] = []

    class Probe(BaseNamespace):
        def on_probe(self, index):
            seen_turns.append(turns[0])

    def ticker():
        while True:
            turns[0] += 1
            gevent.sleep(0)

    live = make_server(namespaces={"": Probe})
    client = PollingClient(live.port)
    count = 1000
    body = "".join(f'\ufffd{len(p)}\ufffd{p}' for p in (
        f'5:::{{"name":"probe","args":[{i}]}}' for i in range(count))).encode()
    counting = gevent.spawn(ticker)
    try:
        assert client.post(body).body == b"1"
    finally:
        counting.kill()
    assert len(seen_turns) == count
    assert len(set(seen_turns)) >= count // UNITS_PER_TURN - 1, sorted(set(seen_turns))
