"""What is measured and against which servers: the scenarios, the servers, the targets.

A :class:`Scenario` is one job for the load generator (``benchmarks/loadgen.js``) with its
parameters; a :class:`ServerSpec` is how to start one server. The runner
(:mod:`benchmarks.run`) runs every scenario against every server that can serve it.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any

from . import peers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@dataclass(frozen=True)
class Scenario:
    """One measurement: a load-generator job and how to read its result."""

    name: str
    title: str
    job: str  # loadgen scenario: echo | bcast | idle | connect | polling
    params: dict[str, Any] = field(default_factory=dict)
    #: The number the table shows: "rate" (per second) or "kb_per_session" (memory).
    metric: str = "rate"
    unit: str = "msg/s"
    lower_is_better: bool = False
    websocket: bool = True  # False: only servers with xhr-polling take part
    #: The servers that take part (None: every server that can serve the job).
    servers: frozenset[str] | None = None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("echo1", "echo, 1 ws client, 100 in flight", "echo",
             {"clients": 1, "inflight": 100}),
    Scenario("echo100", "echo, 100 ws clients, 1 in flight each", "echo",
             {"clients": 100, "inflight": 1}),
    Scenario("bcast1000", "broadcast to 1000 in a room", "bcast",
             {"clients": 1000, "inflight": 8, "concurrency": 100}, unit="deliveries/s"),
    Scenario("idle1k", "idle memory per ws session, 1k sessions", "idle",
             {"clients": 1000, "concurrency": 100}, metric="kb_per_session", unit="KB",
             lower_is_better=True),
    Scenario("idle10k", "idle memory per ws session, 10k sessions", "idle",
             {"clients": 10000, "concurrency": 200}, metric="kb_per_session", unit="KB",
             lower_is_better=True),
    Scenario("connect", "new sessions/s (handshake + ws + connect)", "connect",
             {"concurrency": 20}, unit="sessions/s"),
    Scenario("poll1", "xhr-polling round trips/s, 1 client", "polling",
             {"clients": 1}, unit="round trips/s", websocket=False),
    Scenario("poll50", "xhr-polling round trips/s, 50 clients", "polling",
             {"clients": 50}, unit="round trips/s", websocket=False),
    # Many processes (docs/scaling.md): a Redis queue, nginx in front, next to one process.
    Scenario("xbcast200", "broadcast to 200 in a room, across processes", "bcast",
             {"clients": 200, "inflight": 8, "concurrency": 50}, unit="deliveries/s",
             servers=frozenset({"geventsio", "nginx1", "cluster1", "cluster2", "cluster4"})),
    Scenario("xpoll50", "xhr-polling round trips/s, 50 clients from 10 addresses", "polling",
             {"clients": 50, "sources": 10}, unit="round trips/s", websocket=False,
             servers=frozenset({"geventsio", "nginx1", "cluster2", "cluster2-affinity"})),
)

#: --quick: fewer sessions and shorter runs, same code paths.
QUICK_OVERRIDES: dict[str, dict[str, Any]] = {
    "bcast1000": {"clients": 1000},
    "xbcast200": {"clients": 100},
    "idle10k": {"clients": 3000},
}


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: ``argv`` gets the port appended; ``proto`` is its wire."""

    name: str
    label: str
    argv: tuple[str, ...]
    proto: str  # sio1 | eio4 | raw (what the load generator speaks to it)
    polling: bool = True
    broadcast: bool = True
    env: dict[str, str] = field(default_factory=dict)
    #: Scenarios this server runs; None = every one it can serve.
    only: frozenset[str] | None = None

    def serves(self, scenario: Scenario) -> bool:
        """Whether this server takes part in ``scenario``."""
        if self.only is not None and scenario.name not in self.only:
            return False
        if scenario.servers is not None and self.name not in scenario.servers:
            return False
        return self.polling or scenario.websocket


def _server(name: str) -> str:
    return os.path.join(HERE, "servers", name)


def python_for_servers() -> str:
    """The interpreter for the Python servers: the peers venv (one gevent for all) if it
    exists, else this one (the smoke test)."""
    return peers.VENV_PYTHON if os.path.isfile(peers.VENV_PYTHON) else sys.executable


def server_specs(python: str | None = None) -> dict[str, ServerSpec]:
    """Every server the runner knows, by name, in table order."""
    py = python or python_for_servers()
    repo = {"PYTHONPATH": ROOT}
    node = shutil.which("node") or "node"
    return {
        "geventsio": ServerSpec("geventsio", "geventsio", (py, _server("geventsio_app.py")),
                                "sio1", env=repo),
        "geventsio-stdjson": ServerSpec(
            "geventsio-stdjson", "geventsio (stdlib json)", (py, _server("geventsio_app.py")),
            "sio1", env={**repo, "BENCH_JSON": "json"},
            only=frozenset({"echo1", "bcast1000"})),
        "raw": ServerSpec("raw", "raw gevent-websocket", (py, _server("raw_websocket.py")),
                          "raw", polling=False),
        "node09": ServerSpec("node09", "socket.io 0.9.19 (node)",
                             (node, _server("node_sio09.js")), "sio1",
                             env={"NODE_PATH": peers.NODE_MODULES}),
        "pysio5": ServerSpec("pysio5", "python-socketio 5 (gevent)",
                             (py, _server("pysio5_app.py")), "eio4"),
        **cluster_specs(py),
        **_before(py),
    }


#: Servers behind nginx (``servers/cluster.py``): name -> (workers, queue, affinity).
CLUSTERS = {"nginx1": (1, False, False), "cluster1": (1, True, False),
            "cluster2": (2, True, False), "cluster4": (4, True, False),
            "cluster2-affinity": (2, True, True)}


def cluster_specs(py: str) -> dict[str, ServerSpec]:
    """geventsio behind nginx with N workers and a Redis queue (or one worker and no
    queue: the proxy's own cost); they take part only in the scenarios made for them."""
    specs = {}
    for name, (workers, queue, affinity) in CLUSTERS.items():
        label = f"geventsio, {workers} worker{'s' if workers > 1 else ''}"
        label += " + Redis + nginx" if queue else " + nginx, no queue"
        specs[name] = ServerSpec(
            name, label + (" (affinity)" if affinity else ""), (py, _server("cluster.py")),
            "sio1", env={"PYTHONPATH": ROOT, "BENCH_WORKERS": str(workers),
                         "BENCH_QUEUE": "1" if queue else "0",
                         "BENCH_AFFINITY": "1" if affinity else "0"},
            only=frozenset({"xbcast200", "xpoll50"}))
    return specs


def _before(py: str) -> dict[str, ServerSpec]:
    """``geventsio-before``: the same app served by an older checkout of geventsio (the
    directory in ``GEVENTSIO_BEFORE``, e.g. a ``git worktree`` of the previous release),
    to show in one run what a change did; absent when the variable is not set."""
    before = os.environ.get("GEVENTSIO_BEFORE")
    if not before:
        return {}
    return {"geventsio-before": ServerSpec(
        "geventsio-before", "geventsio (before)", (py, _server("geventsio_app.py")), "sio1",
        env={"PYTHONPATH": os.path.abspath(before)})}


@dataclass(frozen=True)
class Target:
    """One goal (of issue 5 or issue 14): ``ours`` against ``baseline`` in ``scenario``."""

    scenario: str
    baseline: str
    ratio: float
    text: str
    #: True: ours/baseline must be >= ratio; False: ours/baseline must be <= ratio.
    at_least: bool = True


TARGETS: tuple[Target, ...] = (
    Target("echo1", "raw", 0.8, "echo 1 client >= 80% of raw gevent-websocket"),
    Target("echo1", "pysio5", 2.5, "echo 1 client >= 2.5x python-socketio"),
    Target("echo100", "raw", 0.8, "echo 100 clients >= 80% of raw gevent-websocket"),
    Target("echo100", "pysio5", 2.5, "echo 100 clients >= 2.5x python-socketio"),
    Target("bcast1000", "node09", 1.0, "broadcast to 1000 >= socket.io 0.9 (node)"),
    Target("idle1k", "raw", 1.5, "idle memory (1k) <= 1.5x raw gevent-websocket",
           at_least=False),
    Target("idle10k", "raw", 1.5, "idle memory (10k) <= 1.5x raw gevent-websocket",
           at_least=False),
    Target("poll1", "pysio5", 2.0, "xhr-polling 1 client >= 2x python-socketio"),
    Target("poll50", "pysio5", 2.0, "xhr-polling 50 clients >= 2x python-socketio"),
    # Issue 14: on par with the reference server, node socket.io 0.9.19.
    Target("echo100", "node09", 1.0, "echo 100 clients >= socket.io 0.9 (node)"),
    Target("poll50", "node09", 1.0, "xhr-polling 50 clients >= socket.io 0.9 (node)"),
    Target("connect", "node09", 1.0, "new sessions/s >= socket.io 0.9 (node)"),
    Target("idle10k", "node09", 1.5, "idle memory (10k) <= 1.5x socket.io 0.9 (node)",
           at_least=False),
    Target("echo1", "node09", 1.0, "echo 1 client >= socket.io 0.9 (node)"),
)
