"""A cluster behaves as one process: a property test over random clusters.

Hypothesis draws clients spread over 1-4 managers joined by one MemoryBackend, their rooms,
and a sequence of emits (to everyone, to rooms, to one client, with an excluded client,
from any manager). The same clients and emits in one manager are the reference: every
client must get exactly the reference's packets, in the same order, and ``clients(room)``
must give the same members from every manager.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from geventsio.cluster import MemoryBackend, connect
from geventsio.core.config import ServerConfig
from geventsio.core.manager import Manager
from geventsio.emitter import Emitter
from geventsio.namespace import BaseNamespace

ROOMS = ("a", "b", "c")
HANDSHAKE = {"address": {"address": "127.0.0.1", "port": 1}, "query": {}, "headers": {}}

clients = st.lists(st.tuples(st.integers(0, 3), st.sets(st.sampled_from(ROOMS))),
                   min_size=1, max_size=8)
emits = st.lists(st.tuples(
    st.integers(0, 3),                                                  # from which manager
    st.one_of(st.none(), st.frozensets(st.sampled_from(ROOMS), min_size=1),
              st.integers(0, 7)),                                       # all, rooms, one
    st.one_of(st.none(), st.integers(0, 7)),                            # except
), max_size=12)


class World:
    """Managers (one, or several sharing a backend) holding the drawn clients."""

    def __init__(self, managers: int, drawn: list[tuple[int, set[str]]]) -> None:
        backend = MemoryBackend()
        self.managers = []
        for _ in range(managers):
            manager = Manager(ServerConfig.from_options(), default_namespace=BaseNamespace)
            if managers > 1:
                connect(manager, backend).start()  # listening, alive
            self.managers.append(manager)
        self.sessions = []
        for where, rooms in drawn:
            manager = self.managers[where % managers]
            if manager.cluster is None:
                session = manager.create_session(dict(HANDSHAKE))
            else:  # as the handler does: a handshake anywhere, claimed by its first request
                found = manager.cluster.claim(self.managers[0].handshake(dict(HANDSHAKE)))
                assert found is not None
                session = found
            session.open()
            session.outbox.take_all()  # the 1::
            for room in sorted(rooms):
                session.namespaces[""].join(room)
            self.sessions.append(session)

    def emit(self, n: int, source: int, target: Any, excluded: int | None) -> None:
        emitter = Emitter(self.managers[source % len(self.managers)], "")
        if isinstance(target, int):
            emitter = emitter.socket(self.sid(target))
        elif target is not None:
            for room in sorted(target):
                emitter = emitter.to(room)
        if excluded is not None and emitter.is_broadcast:
            emitter = Emitter(emitter.manager, "", {self.sid(excluded)}, rooms=emitter.rooms)
        emitter.emit("n", n)

    def sid(self, index: int) -> str:
        return self.sessions[index % len(self.sessions)].sid

    def received(self) -> list[list[str]]:
        return [session.outbox.take_all() for session in self.sessions]

    def members(self, room: str) -> list[set[int]]:
        index = {session.sid: i for i, session in enumerate(self.sessions)}
        return [{index[sid] for sid in Emitter(m, "").clients(room)} for m in self.managers]

    def close(self) -> None:
        for manager in self.managers:
            manager.close_all()
            if manager.cluster is not None:
                manager.cluster.stop()


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), clients, emits)
def test_a_cluster_delivers_as_one_process(managers: int, drawn: list[Any],
                                           sent: list[Any]) -> None:
    cluster, alone = World(managers, drawn), World(1, drawn)
    try:
        for n, (source, target, excluded) in enumerate(sent):
            cluster.emit(n, source, target, excluded)
            alone.emit(n, 0, target, excluded)
        assert cluster.received() == alone.received()
        for room in ROOMS:
            expected = alone.members(room)[0]
            assert cluster.members(room) == [expected] * managers
    finally:
        cluster.close()
        alone.close()
