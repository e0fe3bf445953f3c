"""Micro-benchmarks of geventsio's per-packet and per-session paths, without sockets.

    python -m benchmarks.micro

Times, in microseconds per call, what one echo costs between the bytes arriving and the
reply being queued (decode, dispatch, handler, encode, queue), what a broadcast costs per
receiving session, and what one session costs to create and holds in memory. Sockets and
the network are left out on purpose: these are the parts session.py, namespace.py,
manager.py, emitter.py and the codec decide. One line adds the websocket transport's
part: an echo through real transports over local socket pairs, client included.
benchmarks/FINDINGS.md quotes them.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import sys  # noqa: E402
import timeit  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any, Callable  # noqa: E402

from geventsio.core.config import ServerConfig  # noqa: E402
from geventsio.core.manager import Manager  # noqa: E402
from geventsio.protocol import (  # noqa: E402
    EventPacket,
    codec,  # noqa: E402
    decode_packet,
    encode_packet,
)

from .servers.geventsio_app import Bench  # noqa: E402

ECHO = '5:::{"name":"echo","args":[12345678.123456]}'
HANDSHAKE = {"headers": {}, "query": {}, "address": {"address": "127.0.0.1", "port": 1}}


class NullTransport:
    """Stands in for a websocket: attached, streaming, writes nothing."""

    name = "null"
    streaming = False

    def replaced(self) -> None:
        pass

    def session_closed(self) -> None:
        pass


def per_call(fn: Callable[[], Any], number: int = 20000) -> float:
    """Best of 5 timings of ``fn``, microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def connected_sessions(manager: Manager, count: int) -> list[Any]:
    """``count`` sessions connected to the bench namespace through a null transport."""
    sessions = []
    for _ in range(count):
        session = manager.create_session(HANDSHAKE)
        session.environ = {"socketio": session}
        session.attach(NullTransport())
        session.outbox.take_all()
        sessions.append(session)
    return sessions


def main() -> None:
    """Print the timings and sizes."""
    manager = Manager(ServerConfig(), {"": Bench})
    session = connected_sessions(manager, 1)[0]
    packet = decode_packet(ECHO)
    reply = EventPacket("echo", packet.args)
    outbox = session.outbox

    def receive() -> None:
        session.receive(ECHO)
        outbox.take_all()

    print(f"JSON backend: {codec.JSON_BACKEND}")
    print("per echo (us):")
    print(f"  whole path, Session.receive -> reply queued   {per_call(receive):6.2f}")
    print(f"  decode_packet                                 {per_call(lambda: decode_packet(ECHO)):6.2f}")
    print(f"  encode_packet                                 {per_call(lambda: encode_packet(reply)):6.2f}")
    print(f"  EventPacket(...) construction                 "
          f"{per_call(lambda: EventPacket('echo', (1.5,))):6.2f}")
    namespace = session.namespaces[""]
    print(f"  namespace._handle (dispatch + handler + emit) "
          f"{per_call(lambda: (namespace.session_packet(packet), outbox.take_all())):6.2f}")
    print(f"  namespace.emit (encode + queue)               "
          f"{per_call(lambda: (namespace.emit('echo', 1.5), outbox.take_all())):6.2f}")

    many = connected_sessions(manager, 999)
    everyone = many + [session]

    def broadcast() -> None:
        namespace.io.emit("bcast", 12345678.123456)
        for s in everyone:
            s.outbox.take_all()

    cost = per_call(broadcast, number=200)
    print(f"broadcast to 1000 (io.emit): {cost:.0f} us, {cost / 1000:.2f} us per delivery "
          f"(queueing only; incl. draining the outboxes)")

    def new_session() -> None:
        s = manager.create_session(HANDSHAKE)
        s.environ = {"socketio": s}
        s.attach(NullTransport())
        s.close(notify=False)

    print(f"new session (create + attach + connect '' + close): {per_call(new_session, 2000):.1f} us")
    websocket_echo(manager)
    greenlet_costs()
    held_memory(manager)


def websocket_echo(manager: Manager, width: int = 100, rounds: int = 400) -> None:
    """Process CPU per echoed message through real websocket transports (read watcher,
    worker, frame parser, session, flush and send) over ``width`` socket pairs, the
    client end included (in this process: a constant share, so before/after compare)."""
    import socket
    import time

    import gevent.socket

    from geventsio.protocol.frames import Opcode, encode_frame
    from geventsio.transports.websocket import WebSocketTransport

    frame = encode_frame(Opcode.TEXT, ECHO.encode(), b"mask")
    already = len(manager.sessions)
    clients = []
    for _ in range(width):
        ours, theirs = socket.socketpair()
        served = gevent.socket.socket(fileno=ours.detach())
        session = manager.create_session(HANDSHAKE)
        session.environ = {"socketio": session}
        transport = WebSocketTransport(session, None, served)
        transport.open()
        transport.watch(served, b"")
        client = gevent.socket.socket(fileno=theirs.detach())
        client.recv(65536)  # 1::
        clients.append(client)
    reply = len(ECHO) + 2

    def echo_all() -> None:
        for client in clients:
            client.send(frame)
        for client in clients:
            got = 0
            while got < reply:
                got += len(client.recv(65536))

    timings = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(rounds // 5):
            echo_all()
        timings.append((time.process_time() - started) / (rounds // 5 * width) * 1e6)
    print(f"websocket echo, {width} socket pairs, client included: {min(timings):.2f} us "
          f"per message (process CPU, best of 5)")
    for client in clients:
        client.close()  # the transports read EOF and end their sessions
    for _ in range(1000):
        if len(manager.sessions) <= already:
            break
        gevent.sleep(0.01)


def greenlet_costs(rounds: int = 2000, width: int = 100) -> None:
    """What a websocket wake-up would cost in a new greenlet against a parked one
    (geventsio/core/workers.py reuses parked workers for this reason)."""
    import time

    import gevent

    hub = gevent.get_hub()

    def nothing() -> None:
        pass

    started = time.perf_counter()
    for _ in range(rounds):
        for _ in range(width):
            gevent.spawn(nothing)
        gevent.sleep(0)
    spawned = (time.perf_counter() - started) / (rounds * width) * 1e6

    def parked() -> None:
        while True:
            hub.switch()

    sleepers = [gevent.spawn(parked) for _ in range(width)]
    gevent.sleep(0)
    started = time.perf_counter()
    for _ in range(rounds):
        for sleeper in sleepers:
            hub.loop.run_callback(sleeper.switch)
        gevent.sleep(0)
    resumed = (time.perf_counter() - started) / (rounds * width) * 1e6
    gevent.killall(sleepers)
    print("greenlets (us):")
    print(f"  spawn a new one and run it to its end          {spawned:6.2f}")
    print(f"  resume a parked one from a hub callback        {resumed:6.2f}")


def held_memory(manager: Manager) -> None:
    """Bytes per held session (tracemalloc) and the biggest parts of one session."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    held = connected_sessions(manager, 1000)
    after = tracemalloc.take_snapshot()
    stats = after.compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"memory per connected session without its socket/handler: {total / 1000:.0f} B")
    for stat in stats[:12]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 1000:6.0f} B  {frame.filename.rsplit('/', 2)[-2:]}:{frame.lineno}")
    tracemalloc.stop()
    one = held[0]
    ns = one.namespaces[""]
    print("sizes (sys.getsizeof, shallow):")
    print(f"  Session {sys.getsizeof(one)} B ({len(type(one).__slots__)} slots); "
          f"namespace.__dict__ {sys.getsizeof(ns.__dict__)} B ({len(ns.__dict__)} attrs)")


if __name__ == "__main__":
    main()
