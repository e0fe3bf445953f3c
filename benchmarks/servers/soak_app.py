"""The soak server: a chat app, and one line of vital signs a second on stdout.

Run as ``python benchmarks/servers/soak_app.py PORT [SAMPLE_SECONDS]``; serves on
127.0.0.1 until killed. Events on the default namespace: ``join`` (a room name: leave the
room you were in, join that one), ``chat`` (sent to everyone in your room, yourself
included), ``ping`` (answered through the ack with its own arguments).

Every ``SAMPLE_SECONDS`` (default 1) it prints a JSON object: ``t`` (seconds since start),
``rss`` (bytes, from /proc), ``greenlets`` (live gevent greenlets: one per open
connection, plus any writer a slow peer needs), ``sessions``, ``fds`` (open file
descriptors), ``objects`` (tracked by the garbage collector), ``count_ms`` (what counting
them cost) and ``cpu_s`` (the server's CPU time so far). They are read here, in the
soak app: the library exposes none of them.
"""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

from geventsio import BaseNamespace, SocketIOServer  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Chat(BaseNamespace):
    """One room per client at a time; chat goes to the room."""

    room: str | None = None

    def on_join(self, room: str) -> None:
        if self.room is not None:
            self.leave(self.room)
        self.room = str(room)[:64]
        self.join(self.room)

    def on_chat(self, text: Any) -> None:
        if self.room is not None:
            self.io.in_(self.room).emit("chat", text)

    def on_ping(self, *args: Any) -> tuple[Any, ...]:
        return args


def rss_bytes() -> int:
    """Resident set size of this process now (not the peak)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * PAGE_SIZE


def live_greenlets() -> tuple[int, int]:
    """Gevent greenlets that have started and not finished (the hub's own left out), and
    how many objects the garbage collector tracks (a leak of Python objects shows there
    even while the allocator keeps RSS where it was)."""
    objects = gc.get_objects()
    return sum(1 for obj in objects
               if isinstance(obj, gevent.Greenlet) and obj and not obj.dead), len(objects)


def sample(server: SocketIOServer, started: float) -> dict[str, Any]:
    """One line of vital signs."""
    manager = server.manager
    began = time.perf_counter()
    greenlets, objects = live_greenlets()
    return {
        "t": round(time.monotonic() - started, 3),
        "rss": rss_bytes(),
        "greenlets": greenlets,
        "sessions": len(manager.sessions),
        "fds": len(os.listdir("/proc/self/fd")),
        "objects": objects,
        "count_ms": round((time.perf_counter() - began) * 1000, 1),  # the gc walk's cost
        "cpu_s": round(sum(os.times()[:2]), 2),  # CPU used by the server so far
    }


def report_forever(server: SocketIOServer, every: float) -> None:
    """Print :func:`sample` every ``every`` seconds, flushed, until the process ends."""
    started = time.monotonic()
    while True:
        sys.stdout.write(json.dumps(sample(server, started)) + "\n")
        sys.stdout.flush()
        gevent.sleep(every)


def main(port: int, every: float) -> None:
    """Serve the chat namespace on 127.0.0.1:``port`` and report every ``every`` s."""
    server = SocketIOServer(("127.0.0.1", port), None, namespaces={"": Chat},
                            log=None, backlog=4096)
    server.start()
    gevent.spawn(report_forever, server, every)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
