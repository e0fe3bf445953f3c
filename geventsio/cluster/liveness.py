"""Each process says it is alive; survivors end the sessions of a process that died.

A :class:`Liveness` greenlet refreshes this process's key every ``interval`` seconds (it
expires after three intervals) and looks at the other processes' keys. For a process whose
key expired, one survivor (the first to take a lock) ends its sessions: it rebuilds each
session's namespace instances from what the queue holds and ends them, so that every
``recv_disconnect`` runs (an app's "user disconnected" broadcast still goes out), then the
client's rooms, stored values and ownership are removed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

from ..core.session import Session, SessionState
from ..protocol import json_loads
from .backend import QueueUnavailable

if TYPE_CHECKING:
    from .dispatcher import Dispatcher

__all__ = ["Liveness", "end_orphan"]

log = logging.getLogger("geventsio.cluster")

#: How long the lock of a survivor cleaning up after a dead process is held.
REAP_LOCK_SECONDS = 300


class Liveness:
    """This process's liveness key, and the cleanup after processes that died."""

    def __init__(self, cluster: "Dispatcher", interval: float) -> None:
        self.cluster = cluster
        self.interval = interval
        self.ttl = 3 * interval
        self._stopped = Event()
        self._failures_seen = 0
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        try:
            self.beat()
        except QueueUnavailable:
            pass  # logged by the backend; the greenlet tries again
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        """Stop refreshing, and say at once that this process is gone."""
        self._stopped.set()
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        keys, backend = self.cluster.keys, self.cluster.backend
        try:
            backend.delete(keys.node_alive(self.cluster.node))
            if not backend.set_members(keys.node_sids(self.cluster.node)):
                backend.set_remove(keys.nodes, self.cluster.node)
        except QueueUnavailable:
            pass

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.beat()
                self.reap_dead()
            except QueueUnavailable:
                continue  # logged once by the backend; try again next time
            except Exception:
                log.exception("cluster housekeeping failed")

    def beat(self) -> None:
        """Refresh this process's liveness key. A key that had gone (Redis restarted
        empty, or this process was too busy to refresh it), or a backend that failed
        since the last beat, means the queue may have lost what it knew of this
        process's sessions or missed some of their changes: it is written again."""
        keys, node, backend = self.cluster.keys, self.cluster.node, self.cluster.backend
        failures = _failures(backend)
        if backend.set(keys.node_alive(node), b"1", ttl=self.ttl, only_new=True):
            backend.set_add(keys.nodes, node)
            self.cluster.republish()
        else:
            backend.expire(keys.node_alive(node), self.ttl)
            if failures != self._failures_seen:  # writes may have been lost meanwhile
                self.cluster.republish()
        self._failures_seen = failures

    def reap_dead(self) -> None:
        """Clean up after every process whose liveness key has expired."""
        keys, backend, me = self.cluster.keys, self.cluster.backend, self.cluster.node
        for node in backend.set_members(keys.nodes):
            if node == me or backend.get(keys.node_alive(node)) is not None:
                continue
            if backend.set(keys.reaping(node), me.encode("ascii"), ttl=REAP_LOCK_SECONDS,
                           only_new=True):
                self.reap(node)

    def reap(self, node: str) -> None:
        """End every session process ``node`` owned; then forget ``node``."""
        keys, backend = self.cluster.keys, self.cluster.backend
        sids = backend.set_members(keys.node_sids(node))
        if sids:
            log.warning("process %s is gone: ending its %d sessions", node, len(sids))
        for sid in sids:
            try:
                end_orphan(self.cluster, sid)
            except QueueUnavailable:
                raise
            except Exception:
                log.exception("ending session %s of dead process %s failed", sid, node)
            backend.set_remove(keys.node_sids(node), sid)
        backend.set_remove(keys.nodes, node)
        backend.delete(keys.reaping(node))


def _failures(backend: Any) -> int:
    """How many times the backend has failed so far (0 for one that cannot fail)."""
    health = getattr(backend, "health", None)
    return int(getattr(health, "failures", 0))


def end_orphan(cluster: "Dispatcher", sid: str) -> None:
    """End a session whose process died: its namespaces are rebuilt here from what the
    queue holds (handshake, namespaces and rooms joined) and ended, then every key of it
    is removed."""
    manager, keys, backend = cluster.manager, cluster.keys, cluster.backend
    if sid in manager.sessions:
        return
    data = backend.get(keys.handshake(sid))
    handshake: dict[str, Any] = json_loads(data.decode("utf-8")) if data else {}
    entries = cluster.joined_entries(sid)
    session = Session(sid, manager, handshake)
    session.namespace_classes = manager.namespaces
    session.state = SessionState.CONNECTED
    manager.sessions[sid] = session
    for endpoint, room in entries:
        if room is None:
            _rebuild_namespace(session, endpoint)
        else:
            manager.index.join(endpoint, room, sid)
    session.close("its process died", notify=False)  # its forget() unlists the rest
    backend.delete(keys.store(sid))  # an app's own store= keeps nothing here


def _rebuild_namespace(session: Session, endpoint: str) -> None:
    classes = session.namespace_classes or {}
    cls = classes.get(endpoint)
    if cls is None and endpoint == "":
        cls = session.manager.default_namespace
    if cls is None:
        return
    try:
        namespace = cls({"socketio": session}, endpoint)
    except Exception:
        log.exception("session %s: rebuilding namespace %r failed", session.sid, endpoint)
        return
    session.namespaces[endpoint] = namespace
    session.manager.index.add_member(endpoint, session.sid)
