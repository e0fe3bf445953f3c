"""A polling session lives as long as its client keeps polling, however long that is.

The close timeout counts ``close_timeout`` seconds from the *last* detach. These tests
poll with gaps shorter than ``close_timeout`` for at least four times ``close_timeout``:
a timer that resumed instead of restarting (the bug these guard against) closed such
sessions once the gaps added up to ``close_timeout``, after a few polls. The gaps are the
clients' behaviour (a slow network, a busy page), not waits for a condition.
"""

from __future__ import annotations

import time

import gevent
import pytest

from .conftest import wait_until
from .nodeclient import NodeSocket
from .rawclient import JsonpClient, XhrClient

CLOSE_TIMEOUT = 2.0
POLLING_DURATION = 0.4
#: Time between the end of one poll and the start of the next: 40% of close_timeout.
GAP = 0.8
TIMERS = dict(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=CLOSE_TIMEOUT,
              polling_duration=POLLING_DURATION)


CLIENTS = {"xhr-polling": XhrClient, "jsonp-polling": JsonpClient}


def _poll_with_gaps(clients: list, rounds: int) -> float:
    """Poll every client in turn, one at a time, ``rounds`` times, sleeping GAP after
    each round; returns the monotonic time the last poll ended."""
    ended = time.monotonic()
    for _ in range(rounds):
        for client in clients:
            packets = client.poll()
            assert "7:::1+0" not in packets and "0::" not in packets, (client.sid, packets)
            ended = time.monotonic()
        gevent.sleep(GAP)
    return ended


def _rounds_for(duration: float) -> int:
    """Rounds of polling (each at least GAP long) that span ``duration`` seconds."""
    return int(duration / GAP) + 1


@pytest.mark.parametrize("transport", ["xhr-polling", "jsonp-polling"])
def test_raw_polling_client_with_gaps_outlives_four_close_timeouts(make_server, transport):
    live = make_server(**TIMERS)
    client = CLIENTS[transport](live.port)
    started = time.monotonic()
    _poll_with_gaps([client], _rounds_for(4 * CLOSE_TIMEOUT))
    assert time.monotonic() - started >= 4 * CLOSE_TIMEOUT
    session = live.manager.sessions.get(client.sid)
    assert session is not None and session.connected, live.manager.sessions
    assert not live.recorder.find("disconnect", sid=client.sid)
    # still a working session: an event round trip over the same transport
    assert client.post('5:::{"name":"echo","args":["still here"]}').status == 200
    assert client.poll() == ['5:::{"name":"echo","args":["still here"]}']


def test_several_sessions_polling_in_turn_all_survive(make_server):
    # One thread polling three sessions one after the other, as a single-threaded client
    # library does: each session waits for the other two polls (held polling_duration
    # each) and the gap before it is polled again.
    live = make_server(**TIMERS)
    clients = [XhrClient(live.port) for _ in range(3)]
    started = time.monotonic()
    _poll_with_gaps(clients, _rounds_for(4 * CLOSE_TIMEOUT))
    assert time.monotonic() - started >= 4 * CLOSE_TIMEOUT
    assert sorted(live.manager.sessions) == sorted(c.sid for c in clients)
    assert not live.recorder.find("disconnect")


def test_client_that_stops_polling_is_reaped_close_timeout_after_its_last_poll(make_server):
    live = make_server(**TIMERS)
    client = XhrClient(live.port)
    sid = client.sid
    # A few polls with gaps first: a timer that resumed would now have little time left
    # and close the session well before close_timeout after the last poll.
    last_poll_ended = _poll_with_gaps([client], 3)
    live.wait_sessions(0, timeout=CLOSE_TIMEOUT + 10)
    gone_after = time.monotonic() - last_poll_ended
    # The session may go a little after close_timeout (a loaded machine), never before;
    # the margin covers the time between the server's detach and our reading the answer.
    assert gone_after >= CLOSE_TIMEOUT - 0.25, gone_after
    assert live.manager.sessions.get(sid) is None
    live.recorder.wait_for("disconnect", sid=sid, ns="")


def test_node_client_polling_with_gaps_outlives_four_close_timeouts(make_server, node):
    live = make_server(**TIMERS)
    client = NodeSocket(node, "gappy", live.url, "xhr-polling",
                        options={"poll gap": int(GAP * 1000)})
    sid = client.connect()["sid"]
    started = time.monotonic()
    # Wait the time out with the clock: the session must simply still be there.
    wait_until(lambda: time.monotonic() - started >= 4 * CLOSE_TIMEOUT
               or sid not in live.manager.sessions, timeout=4 * CLOSE_TIMEOUT + 10)
    assert sid in live.manager.sessions, "the polling session was closed"
    assert not live.recorder.find("disconnect", sid=sid)
    state = client.state()
    assert state["connected"] and state["sid"] == sid, state
    client.emit("echo", "after the gaps")
    assert client.wait_event("echo") == ["after the gaps"]
    client.disconnect()
    live.wait_sessions(0)
