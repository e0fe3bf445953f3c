"""Test fixtures: a real SocketIOServer on a free 127.0.0.1 port, the node client driver.

The whole test process runs under gevent (monkey-patched first thing), so the server, the
node driver's reader and the tests' waits are all greenlets of one hub.
"""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import weakref  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402

import gevent  # noqa: E402
import pytest  # noqa: E402

from geventsio import SocketIOServer  # noqa: E402

from .apps import Recorder, make_namespaces  # noqa: E402
from .nodeclient import NodeDriver  # noqa: E402
from .redisserver import RedisServer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config: Any) -> None:
    """In CI a missing node client must fail loudly, never skip."""
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "socket.io-client")):
        raise pytest.UsageError(
            "node_modules/socket.io-client is missing: run `npm install` in the project root")
    if shutil.which("node") is None:
        raise pytest.UsageError("node is not installed")


class LiveServer:
    """A started SocketIOServer and the facts tests need about it."""

    def __init__(self, server: SocketIOServer, recorder: Recorder) -> None:
        self.server = server
        self.recorder = recorder
        self.port = server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.manager = server.manager

    def wait_sessions(self, count: int, timeout: float = 15.0) -> None:
        """Wait until the server holds exactly ``count`` sessions."""
        wait_until(lambda: len(self.manager.sessions) == count, timeout,
                   lambda: f"{len(self.manager.sessions)} sessions, wanted {count}")


@contextmanager
def offline_handler() -> Iterator[Any]:
    """A ``SocketIOHandler`` of an unstarted server on one end of a socket pair: for unit
    tests of how it reads requests, nothing served."""
    from geventsio.http.handler import SocketIOHandler

    server = SocketIOServer(("127.0.0.1", 0), None, namespaces={}, log=None)
    server.init_socket()
    ours, theirs = socket.socketpair()
    try:
        yield SocketIOHandler(ours, ("127.0.0.1", 5555), server)
    finally:
        ours.close()
        theirs.close()
        server.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0,
               describe: Callable[[], str] = lambda: "condition") -> None:
    """Poll ``predicate`` (cheaply, yielding to the hub) until true or fail.

    ``describe`` is called when the wait fails, so it reports the state at that moment.
    """
    deadline = gevent.Timeout(timeout)
    deadline.start()
    try:
        delay = 0.005
        while not predicate():
            gevent.sleep(delay)
            delay = min(delay * 2, 0.1)
    except gevent.Timeout as exc:
        if exc is not deadline:
            raise
        raise AssertionError(f"timed out waiting: {describe()}") from None
    finally:
        deadline.close()


def greenlets_snapshot() -> "weakref.WeakSet[gevent.Greenlet]":
    """The live gevent greenlets now, to compare with :func:`greenlets_since`."""
    return weakref.WeakSet(_live_gevent_greenlets())


def greenlets_since(snapshot: "weakref.WeakSet[gevent.Greenlet]") -> list[gevent.Greenlet]:
    """Live gevent greenlets that were not in ``snapshot``: those started since then."""
    return [g for g in _live_gevent_greenlets() if g not in snapshot]


def describe_greenlets(greenlets: list[gevent.Greenlet] | None = None) -> str:
    """What the given (default: all live) gevent greenlets are running, for messages."""
    found = _live_gevent_greenlets() if greenlets is None else greenlets
    return "; ".join(f"{g!r} in {g.gr_frame.f_code.co_name if g.gr_frame else '-'}"
                     for g in found) or "none"


def _live_gevent_greenlets() -> list[gevent.Greenlet]:
    """Gevent greenlets of this thread's hub that have not finished.

    Raw greenlets are left out on purpose: gevent's own threadpool workers (used for DNS
    look-ups) come and go on their own schedule, and the server never starts raw ones.
    """
    gc.collect()
    return [obj for obj in gc.get_objects()
            if isinstance(obj, gevent.Greenlet) and not obj.dead]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_server(recorder: Recorder) -> Iterator[Callable[..., LiveServer]]:
    """Factory: start a server (namespaces of tests.apps by default) on a free port."""
    started: list[SocketIOServer] = []

    def make(app: Any = None, namespaces: Any = "default", **options: Any) -> LiveServer:
        if namespaces == "default":
            namespaces = make_namespaces(recorder)
        options.setdefault("log", None)
        server = SocketIOServer(("127.0.0.1", 0), app, namespaces=namespaces, **options)
        server.start()
        started.append(server)
        return LiveServer(server, recorder)

    yield make
    for server in started:
        server.stop(timeout=2)


@pytest.fixture
def live(make_server: Callable[..., LiveServer]) -> LiveServer:
    """A server with the test namespaces and short timers."""
    return make_server(heartbeat_interval=0.5, heartbeat_timeout=3, close_timeout=3,
                       polling_duration=2)


@pytest.fixture
def node() -> Iterator[NodeDriver]:
    """One node process running the real socket.io-client 0.9.16."""
    driver = NodeDriver(ROOT)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server of its own on a free port, stopped after the test.

    A missing ``redis-server`` is an error, never a skip: CI installs Debian's package.
    """
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="geventsio")
