"""Workers: greenlets lent to watched connections (geventsio/core/workers.py)."""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import gevent
import pytest
from gevent.event import Event
from gevent.pool import Pool

from geventsio import SocketIOServer
from geventsio.core.workers import Workers

from .conftest import greenlets_since, greenlets_snapshot, wait_until
from .rawclient import handshake, request


def test_jobs_run_in_order_in_one_reused_worker() -> None:
    workers = Workers()
    done: list[int] = []
    for i in range(5):
        workers.submit(lambda i=i: done.append(i))
    wait_until(lambda: len(done) == 5, timeout=5)
    assert done == [0, 1, 2, 3, 4]
    for i in range(5, 10):  # later jobs find the parked worker
        workers.submit(lambda i=i: done.append(i))
    wait_until(lambda: len(done) == 10, timeout=5)
    assert done == list(range(10))
    assert workers.started == 1
    workers.close()


def test_a_blocked_job_does_not_hold_up_the_others() -> None:
    workers = Workers()
    release = Event()
    done: list[str] = []
    workers.submit(lambda: (release.wait(10), done.append("blocked")))
    workers.submit(lambda: done.append("second"))
    workers.submit(lambda: done.append("third"))
    wait_until(lambda: done == ["second", "third"], timeout=5,
               describe=lambda: repr(done))
    assert workers.started == 2  # one more worker took over while the first waited
    release.set()
    wait_until(lambda: len(done) == 3, timeout=5)
    workers.close()


def test_a_job_submitted_while_a_worker_is_blocked_gets_another() -> None:
    workers = Workers()
    release = Event()
    done: list[str] = []
    workers.submit(lambda: release.wait(10))
    gevent.sleep(0.01)  # the first worker is now blocked inside its job
    workers.submit(lambda: done.append("later"))
    wait_until(lambda: done == ["later"], timeout=5)
    release.set()
    workers.close()


def test_a_failing_job_is_logged_and_the_rest_run(caplog: pytest.LogCaptureFixture) -> None:
    workers = Workers()
    done: list[str] = []

    def boom() -> None:
        raise RuntimeError("job failed on purpose")

    with caplog.at_level(logging.ERROR, logger="geventsio.core.workers"):
        workers.submit(boom)
        workers.submit(lambda: done.append("after"))
        wait_until(lambda: done == ["after"], timeout=5)
    assert "job failed on purpose" in caplog.text
    workers.close()


def test_parked_workers_end_after_idle_seconds() -> None:
    before = greenlets_snapshot()
    workers = Workers(idle_seconds=0.2)
    done: list[int] = []
    workers.submit(lambda: done.append(1))
    wait_until(lambda: done == [1] and workers.idle == 1, timeout=5)
    wait_until(lambda: not greenlets_since(before) and workers.idle == 0, timeout=5)
    workers.submit(lambda: done.append(2))  # and a new one comes when needed
    wait_until(lambda: done == [1, 2], timeout=5)
    assert workers.started == 2
    workers.close()
    wait_until(lambda: not greenlets_since(before), timeout=5)


def test_at_most_max_idle_workers_stay_parked() -> None:
    workers = Workers(max_idle=2)
    release = Event()
    for _ in range(5):
        workers.submit(lambda: release.wait(10))
        gevent.sleep(0.01)  # each blocks, so each takes a worker of its own
    assert workers.started == 5
    release.set()
    wait_until(lambda: workers.idle == 2, timeout=5)
    gevent.sleep(0.05)
    assert workers.idle == 2
    workers.close()
    assert workers.idle == 0


def test_a_worker_killed_while_parked_is_not_lent_again() -> None:
    workers = Workers()
    done: list[int] = []
    workers.submit(lambda: done.append(1))
    wait_until(lambda: workers.idle == 1, timeout=5)
    parked = list(workers._idle)
    assert len(parked) == 1 and not parked[0].dead
    parked[0].kill()
    assert workers.idle == 0
    workers.submit(lambda: done.append(2))
    wait_until(lambda: done == [1, 2], timeout=5)
    workers.close()



# -- connections: the server's workers serve them ------------------------------------------
_SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="fresh")


def _context_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers what the context variable held, then sets it (as an app's request-scoped
    state would be set)."""
    before = _SEEN.get()
    _SEEN.set(environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [before.encode()]


def test_connections_are_served_by_reused_workers_in_fresh_contexts(make_server) -> None:
    """A parked worker serves the next connection (no greenlet per connection), and each
    connection starts with empty context variables, as a new greenlet would: what the
    application set while serving one connection is not seen by the next."""
    live = make_server(app=_context_app)
    workers = live.manager.workers
    answers = []
    for i in range(20):  # one request per connection, one connection after the other
        answers.append(request(live.port, "GET", f"/app/{i}").text)
        sid = handshake(live.port)  # and Socket.IO requests, on connections of their own
        assert sid in live.manager.sessions
    assert answers == ["fresh"] * 20
    assert workers.started < 20  # parked workers were lent again
    assert _SEEN.get() == "fresh"  # the test's own context is untouched


def test_a_pool_or_default_spawn_given_to_the_server_is_kept() -> None:
    pool = Pool(10)
    pooled = SocketIOServer(("127.0.0.1", 0), None, spawn=pool, log=None)
    assert pooled.pool is pool
    default = SocketIOServer(("127.0.0.1", 0), None, spawn="default", log=None)
    assert default.pool is None and default._spawn != default._serve_connection
    ours = SocketIOServer(("127.0.0.1", 0), None, log=None)
    assert ours._spawn == ours._serve_connection
