"""The sessions of this process, and the one function that targets packets at them.

The manager creates sessions at handshake, finds them by ``sid`` for every later request,
forgets them when they close, and owns the short housekeeping greenlets (closing a session
from a timer). :meth:`Manager.deliver` is the only way a packet reaches a session other than
the one whose handler is running, and :meth:`Manager.disconnect` the only way to end another
client's namespace: a later many-process backend replaces what is behind both.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import gevent
from gevent.pool import Group

from ..exceptions import GeventSIOError, ProtocolError
from ..protocol import new_sid
from .admission import Admission
from .config import ServerConfig
from .hosting import NamespaceFactory
from .metrics import Counters
from .outbox import Budget
from .rooms import RoomIndex
from .session import Session
from .storage import ClientStore, MemoryStore
from .timers import HubTimer
from .workers import Workers

if TYPE_CHECKING:
    from ..cluster.dispatcher import Dispatcher

__all__ = ["Manager"]


class Manager:
    """Sessions by sid, who is in which namespace and room, per-client storage, and
    packet delivery."""

    def __init__(self, config: ServerConfig,
                 namespaces: Mapping[str, type] | None = None,
                 store: ClientStore | None = None,
                 default_namespace: NamespaceFactory | None = None) -> None:
        self.config = config
        self.namespaces: dict[str, type] | None = dict(namespaces) if namespaces else None
        #: The class serving ``''`` for a client when no namespaces name one (the server
        #: passes BaseNamespace); None: such a client gets no default namespace.
        self.default_namespace = default_namespace
        self.sessions: dict[str, Session] = {}
        #: Members of each namespace and room; kept current by sessions and namespaces.
        self.index = RoomIndex()
        #: The values behind ``set/get/has/delete`` of namespaces, by sid.
        #: Bytes queued for all clients together (max_total_buffer_bytes).
        self.budget = Budget(config.max_total_buffer_bytes)
        #: Running totals for the metrics page (see geventsio.core.metrics).
        self.counters = Counters()
        self.admission = Admission(config.max_sessions, config.max_handshakes_per_address)
        #: Greenlets lent to watched connections (websockets) while they have work.
        self.workers = Workers()
        self.store: ClientStore = store if store is not None else MemoryStore(
            config.max_store_keys, config.max_store_bytes)
        self.greenlets = Group()
        #: Last words for polling clients kicked between two polls: sid -> (payload, timer).
        self.farewells: dict[str, tuple[str, HubTimer]] = {}
        #: The server these sessions belong to (``session.server``), set by the server.
        self.server: Any = None
        #: The link to the other processes (``message_queue=``; set by
        #: :func:`geventsio.cluster.join`, which also replaces the index and the store);
        #: None in one process.
        self.cluster: Dispatcher | None = None

    def __len__(self) -> int:
        return len(self.sessions)

    def clients(self, endpoint: str, rooms: Iterable[str] | None = None) -> set[str]:
        """The sids in ``endpoint`` (in any of ``rooms``): of every process in a cluster."""
        chosen = None if rooms is None else frozenset(rooms)
        if self.cluster is not None:
            return self.cluster.clients(endpoint, chosen)
        return set(self.index.targets(endpoint, chosen))

    def create_session(self, handshake: dict[str, Any]) -> Session:
        """A new session with a fresh unguessable sid (from ``secrets``).

        Raises ProtocolError (503, 429) when the server holds ``max_sessions`` or the
        handshake's address passed ``max_handshakes_per_address``.
        """
        self._admit(handshake)
        sid = new_sid()
        while sid in self.sessions:  # 120 random bits: practically never loops
            sid = new_sid()
        return self.adopt(sid, handshake)

    def adopt(self, sid: str, handshake: dict[str, Any]) -> Session:
        """The session ``sid`` of this process, made from its handshake data."""
        session = Session(sid, self, handshake)
        session.namespace_classes = self.namespaces
        self.sessions[sid] = session
        return session

    def handshake(self, handshake: dict[str, Any]) -> str:
        """A new sid for a client that handshook: its session in one process; in a
        cluster its handshake data, kept for the process its first transport request
        reaches (see docs/scaling.md). Raises ProtocolError as :meth:`create_session`."""
        cluster = self.cluster
        if cluster is None:
            return self.create_session(handshake).sid
        self._admit(handshake)
        sid = new_sid()
        cluster.record_handshake(handshake, sid)
        return sid

    def _admit(self, handshake: dict[str, Any]) -> None:
        try:
            self.admission.admit(len(self.sessions), handshake["address"]["address"])
        except ProtocolError:
            self.counters.handshakes_refused += 1
            raise

    def get(self, sid: str) -> Session | None:
        """The live session with this sid, or None."""
        return self.sessions.get(sid)

    def remove(self, session: Session) -> None:
        """Forget a session (called by the session as it closes)."""
        if self.sessions.get(session.sid) is session:
            del self.sessions[session.sid]
            self._drop_store(session.sid)
            if self.cluster is not None:
                self.cluster.forget(session.sid)

    def _drop_store(self, sid: str) -> None:
        try:
            self.store.drop(sid)
        except GeventSIOError:  # the queue is unreachable: its keys expire on their own
            pass

    def keep_farewell(self, sid: str, payload: str) -> None:
        """Hold what a closed session could not deliver (its ``0::``) for its next poll.

        A polling client kicked while no poll was open would otherwise learn of it only
        as ``7:::1+0`` ("not handshaken") and reconnect; it is kept ``close_timeout``.
        """
        self.drop_farewell(sid)
        timer = HubTimer.started(self.config.close_timeout, self.drop_farewell, sid)
        self.farewells[sid] = (payload, timer)
        if self.cluster is not None:
            self.cluster.farewell_kept(sid)

    def take_farewell(self, sid: str) -> str | None:
        """The payload kept for a closed session's next poll (once), or None."""
        found = self.farewells.get(sid)
        if found is None:
            return None
        self.drop_farewell(sid)
        return found[0]

    def drop_farewell(self, sid: str) -> None:
        """Forget a kept farewell and stop its timer."""
        found = self.farewells.pop(sid, None)
        if found is not None:
            found[1].close()

    def spawn(self, fn: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Run short housekeeping work in a greenlet owned by the manager."""
        return self.greenlets.spawn(fn, *args)

    def deliver(self, text: str, endpoint: str, *, sid: str | None = None,
                rooms: Iterable[str] | None = None, exclude: Iterable[str] = (),
                volatile: bool = False) -> int:
        """Queue one encoded packet for every target; returns how many got it.

        As :meth:`deliver_local`, for the clients of every process in a cluster: a
        packet for one client held elsewhere goes to its owner (counted 1 if it has a
        live one); any other is delivered here and published once for the other
        processes (only this process's deliveries are counted).
        """
        cluster = self.cluster
        if cluster is None:
            return self.deliver_local(text, endpoint, sid=sid, rooms=rooms,
                                      exclude=exclude, volatile=volatile)
        if rooms is not None:
            rooms = tuple(rooms)
            if not rooms:
                return 0
        skip = exclude if isinstance(exclude, (frozenset, set)) else frozenset(exclude)
        if sid is not None:
            if sid in self.sessions or sid in skip:
                return self.deliver_local(text, endpoint, sid=sid, volatile=volatile)
            return 1 if cluster.to_client(text, endpoint, sid, volatile) else 0
        count = self.deliver_local(text, endpoint, rooms=rooms, exclude=skip,
                                   volatile=volatile)
        cluster.broadcast(text, endpoint, rooms, skip, volatile)
        return count

    def deliver_local(self, text: str, endpoint: str, *, sid: str | None = None,
                      rooms: Iterable[str] | None = None, exclude: Iterable[str] = (),
                      volatile: bool = False) -> int:
        """Queue one encoded packet for every target of this process; returns how many
        got it.

        Targets: the client ``sid`` alone, if it is connected to ``endpoint``; else the
        clients in any of ``rooms`` of ``endpoint``; else every client joined to
        ``endpoint``; never a sid in ``exclude``. The packet is encoded by the caller,
        once, whatever the number of targets. A ``volatile`` packet is written only to
        clients whose transport can take it now, and dropped (not counted) for the others.
        """
        skip = exclude if isinstance(exclude, (frozenset, set)) else frozenset(exclude)
        if sid is not None:
            session = self.sessions.get(sid)
            if session is None or sid in skip or sid not in self.index.members(endpoint):
                return 0
            return 1 if self._put(session, text, volatile) else 0
        sessions = self.sessions
        count = 0
        # No copy of the target set: queueing never changes membership (a client whose
        # queue overflows is closed later, in another greenlet).
        for target in self.index.targets(endpoint, rooms):
            if target in skip:
                continue
            session = sessions.get(target)
            if session is not None and self._put(session, text, volatile):
                count += 1
        return count

    def relieve_budget(self) -> bool:
        """The server-wide queue budget is spent: disconnect the client with the most
        bytes waiting (it is the slowest reader), freeing them. False if no client has
        anything waiting."""
        largest = max(self.sessions.values(), key=lambda s: s.outbox.size, default=None)
        if largest is None or not largest.outbox.size:
            return False
        largest.overflowed("the server-wide max_total_buffer_bytes is reached")
        return True

    @staticmethod
    def _put(session: Session, text: str, volatile: bool) -> bool:
        return session.put_volatile(text) if volatile else session.put(text)

    def disconnect(self, sid: str, endpoint: str, notify: bool = True) -> bool:
        """End client ``sid``'s namespace ``endpoint`` (``''``: its whole session), as the
        namespace's own ``disconnect()`` would; False if it is not connected there.

        Like :meth:`deliver`, this is how code outside the client's handlers reaches it;
        in a cluster, a client held by another process is disconnected there (True if
        it has a live owner).
        """
        if self.cluster is not None and sid not in self.sessions:
            return self.cluster.disconnect(sid, endpoint, notify)
        return self.disconnect_local(sid, endpoint, notify)

    def disconnect_local(self, sid: str, endpoint: str, notify: bool = True) -> bool:
        """:meth:`disconnect` for a client of this process."""
        session = self.sessions.get(sid)
        if session is None or sid not in self.index.members(endpoint):
            return False
        namespace = session.namespaces.get(endpoint)
        if namespace is None:
            return False
        namespace.disconnect(silent=not notify)
        return True

    def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for every queued packet to be taken by a
        transport (the server is stopping; nothing new is accepted meanwhile)."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while any(len(s.outbox) for s in self.sessions.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            gevent.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)

    def close_all(self, reason: str = "server shutdown", notify: bool = False) -> None:
        """Close every session (the server is stopping); ``notify`` sends each ``0::``."""
        for session in list(self.sessions.values()):
            session.close(reason, notify=notify)
        if not notify:  # told nothing: no farewell to keep (kept ones expire on their own)
            for sid in list(self.farewells):
                self.drop_farewell(sid)
