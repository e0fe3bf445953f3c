"""The room index, the per-client store and emitter flags, as units."""

from __future__ import annotations

import pytest

from geventsio.core.config import ServerConfig
from geventsio.core.manager import Manager
from geventsio.core.rooms import RoomIndex
from geventsio.core.storage import MemoryStore
from geventsio.emitter import Emitter


def test_index_tracks_members_and_rooms():
    index = RoomIndex()
    index.add_member("", "a")
    index.add_member("", "b")
    index.add_member("/chat", "a")
    assert index.join("", "lobby", "a") is True
    assert index.join("", "lobby", "a") is False
    index.join("", "lobby", "b")
    index.join("/chat", "lobby", "a")
    assert set(index.members("")) == {"a", "b"}
    assert set(index.room_members("", "lobby")) == {"a", "b"}
    assert set(index.room_members("/chat", "lobby")) == {"a"}
    assert index.rooms_of("", "a") == {"lobby"}
    assert set(index.targets("", ["lobby", "none"])) == {"a", "b"}
    assert set(index.targets("", None)) == {"a", "b"}
    assert set(index.targets("", [])) == set()


def test_empty_rooms_vanish_and_members_leave_all_their_rooms():
    index = RoomIndex()
    index.add_member("", "a")
    index.join("", "r1", "a")
    index.join("", "r2", "a")
    assert index.leave("", "r1", "a") is True
    assert index.leave("", "r1", "a") is False
    assert index.rooms("") == ["r2"]
    index.remove_member("", "a")
    assert index.counts() == {"endpoints": 0, "rooms": 0, "joined": 0}
    assert index.rooms_of("", "a") == frozenset()
    index.remove_member("", "never there")  # harmless


def test_memory_store():
    store = MemoryStore()
    assert store.get("s1", "k") is None and store.get("s1", "k", 5) == 5
    assert not store.has("s1", "k")
    store.set("s1", "k", {"v": 1})
    store.set("s2", "k", "other")
    assert store.get("s1", "k") == {"v": 1} and store.has("s1", "k")
    assert store.delete("s1", "k") is True and store.delete("s1", "k") is False
    assert len(store) == 1
    store.drop("s2")
    assert len(store) == 0


class _FakeSession:
    """A session collaborator that records what the manager queues for it."""

    def __init__(self, sid: str, ready: bool = True) -> None:
        self.sid = sid
        self.ready = ready
        self.got: list[tuple[str, bool]] = []

    def put(self, text: str) -> bool:
        self.got.append((text, False))
        return True

    def put_volatile(self, text: str) -> bool:
        if self.ready:
            self.got.append((text, True))
        return self.ready


@pytest.fixture
def manager():
    manager = Manager(ServerConfig())
    for sid in ("a", "b", "c"):
        manager.sessions[sid] = _FakeSession(sid, ready=sid != "c")  # type: ignore[assignment]
        manager.index.add_member("", sid)
    manager.index.join("", "r", "a")
    manager.index.join("", "r", "b")
    return manager


def _received(manager) -> dict[str, list[tuple[str, bool]]]:
    return {sid: session.got for sid, session in manager.sessions.items()}


def test_deliver_targets_rooms_minus_excluded(manager):
    assert manager.deliver("p", "", rooms=["r"], exclude=["a"]) == 1
    assert _received(manager) == {"a": [], "b": [("p", False)], "c": []}


def test_deliver_volatile_counts_only_clients_that_took_it(manager):
    assert manager.deliver("v", "", volatile=True) == 2
    assert _received(manager)["c"] == []


def test_emitter_flags_chain_in_any_order(manager):
    mine = Emitter(manager, "", sid="a", volatile=True)
    assert not mine.is_broadcast
    assert mine.emit("x") == 1
    assert manager.sessions["a"].got == [('5:::{"name":"x"}', True)]
    chained = mine.to("r")
    assert chained.is_broadcast and chained.is_volatile and chained.rooms == {"r"}
    assert chained == Emitter(manager, "", sid="a").broadcast.to("r").volatile
    assert chained.clients() == ["b"]
    assert chained.emit("y") == 1
    assert sorted(Emitter(manager, "").in_("r").to("nobody").clients()) == ["a", "b"]
    assert sorted(Emitter(manager, "").in_("r").clients()) == ["a", "b"]
    assert sorted(Emitter(manager, "").clients(room="r")) == ["a", "b"]
    with pytest.raises(TypeError):
        Emitter(manager, "").to(5)  # type: ignore[arg-type]


def test_a_broadcast_is_encoded_once(manager, monkeypatch):
    import geventsio.emitter as emitter_module

    calls = []
    real = emitter_module.encode_event
    monkeypatch.setattr(emitter_module, "encode_event",
                        lambda *event: calls.append(event) or real(*event))
    assert Emitter(manager, "").emit("big", list(range(100))) == 3
    assert len(calls) == 1
    texts = [session.got[0][0] for session in manager.sessions.values()]
    assert texts[0] is texts[1] is texts[2]  # the very same string object for everyone
