"""Faults across processes: Redis killed and restarted mid-run, a worker SIGKILLed mid-run.

Three ``python -m geventsio`` processes with a Redis message queue; two websocket clients
(node ``socket.io-client@0.9.16``) connected to each process directly, so that which
process owns which client is known, all in one room.

- Redis killed: clients of the same process keep talking (local delivery continues), no
  process crashes, each logs "unreachable" once however many messages were sent; Redis
  restarted (empty): cross-process delivery resumes and a whole round arrives exactly once.
- A process killed: the others end its clients' sessions (``user disconnected`` told to
  everyone else, once per client), ``clients(room)`` forgets them everywhere, Redis keeps
  nothing of them, and the others keep chatting.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import pytest

from .cluster import ServerProcesses, redis_keys, wait_for
from .clusterchat import TIMEOUT, NodeMember, chat_round

ROOM = "lobby"
UNREACHABLE = r"message queue unreachable"
BACK = r"message queue is back"


@pytest.fixture
def cluster(redis_server: Any) -> Iterator[ServerProcesses]:
    with ServerProcesses(3, message_queue=redis_server.url) as processes:
        try:
            yield processes
        except BaseException:
            print(processes.logs()[-20000:])
            raise


def connect_two_each(node: Any, cluster: ServerProcesses) -> dict[int, list[NodeMember]]:
    """pid -> its two clients, all in ROOM and named."""
    by_pid = {}
    for index, process in enumerate(cluster.processes):
        members = [NodeMember(node, f"p{index}c{n}", process.url, "websocket")
                   for n in range(2)]
        for member in members:
            assert member.call("nick", member.name) == [process.pid]
            assert member.call("join", ROOM) == [process.pid, [ROOM]]
        by_pid[process.pid] = members
    return by_pid


def everyone(by_pid: dict[int, list[NodeMember]]) -> list[NodeMember]:
    return [member for members in by_pid.values() for member in members]


def numbers_from(receiver: NodeMember, sender: NodeMember) -> list[int]:
    return [number for sid, _seq, number, _text, _pid in receiver.received("said")
            if sid == sender.sid]


def test_redis_killed_and_restarted_mid_run(node, cluster, redis_server):
    by_pid = connect_two_each(node, cluster)
    members = everyone(by_pid)
    rooms = {m.sid: ROOM for m in members}
    chat_round(members, rooms, count=3)                       # 1..3 reach everyone

    redis_server.kill()
    for number in range(4, 9):                                # 4..8 during the outage
        for member in members:
            member.emit("say", ROOM, number, "while Redis is down")
    for first, second in by_pid.values():                     # local delivery continues
        for sender, receiver in ((first, second), (second, first)):
            wait_for(lambda s=sender, r=receiver: numbers_from(r, s)[-5:] == [4, 5, 6, 7, 8],
                     TIMEOUT, f"{receiver.name} hears {sender.name} during the outage")
    wait_for(lambda: all(p.log.count(UNREACHABLE) >= 1 for p in cluster.processes), TIMEOUT,
             "every process noticing the outage")

    redis_server.start()                                      # same port, empty dataset
    probe_until_delivered(members[0], members[-1])            # cross-process delivery is back
    chat_round(members, rooms, count=3, first=9, since=9)     # 9..11 reach everyone, once
    for process in cluster.processes:
        assert process.alive(), process.log.text()
        assert process.log.count(UNREACHABLE) == 1, process.log.text()
        assert process.log.count(BACK) == 1, process.log.text()
        assert process.log.count("Traceback") == 0, process.log.text()


def probe_until_delivered(sender: NodeMember, receiver: NodeMember) -> None:
    """Probe the room from ``sender`` until a probe reaches ``receiver`` (another process):
    a probe published before the queue's subscriber is back is lost, the next one is not."""
    tokens = itertools.count()

    def delivered() -> bool:
        token = next(tokens)
        sender.emit("probe", ROOM, token)
        try:
            wait_for(lambda: any(args[1] == token for args in receiver.received("probe")),
                     1.0, "one probe")
        except AssertionError:
            return False
        return True
    wait_for(delivered, TIMEOUT, f"a probe from {sender.name} reaching {receiver.name}")


def test_a_worker_killed_mid_run(node, cluster, redis_server):
    by_pid = connect_two_each(node, cluster)
    members = everyone(by_pid)
    rooms = {m.sid: ROOM for m in members}
    chat_round(members, rooms, count=3)

    victim = cluster.processes[2]
    gone = by_pid[victim.pid]
    staying = [m for m in members if m not in gone]
    victim.kill()
    for member in staying:                                    # told by a survivor
        for lost in gone:
            wait_for(lambda m=member, s=lost.sid: [s] in m.received("user disconnected"),
                     TIMEOUT, f"{member.name} told that {lost.name} left")
    expected = sorted(m.sid for m in staying)
    wait_for(lambda: all(s["clients"] == expected for s in cluster.states(ROOM)), TIMEOUT,
             "clients(room) without the dead process's clients")
    keys = redis_keys(redis_server)
    assert not [key for key in keys for lost in gone if lost.sid in key], keys

    chat_round(staying, rooms, count=3, first=4, since=4)     # the others keep going
    for member in staying:
        for lost in gone:
            assert member.received("user disconnected").count([lost.sid]) == 1
    for process in cluster.processes[:2]:
        assert process.alive(), process.log.text()
        assert process.log.count("Traceback") == 0, process.log.text()
