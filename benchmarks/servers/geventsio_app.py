"""The geventsio bench app: echo and broadcast on the default namespace.

Run as ``python benchmarks/servers/geventsio_app.py PORT``; serves on 127.0.0.1 until
killed. ``BENCH_JSON=json`` in the environment hides orjson, so the codec uses the stdlib
(the "geventsio (stdlib json)" column); ``BENCH_MESSAGE_QUEUE`` gives ``message_queue``
(one worker of ``benchmarks/servers/cluster.py``). Events: ``echo`` (sent back to the
sender, same arguments), ``bcast`` (sent to every client in the ``bench`` room).
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

if os.environ.get("BENCH_JSON") == "json":
    sys.modules["orjson"] = None  # type: ignore[assignment]  # import orjson now fails

from geventsio import BaseNamespace, SocketIOServer  # noqa: E402

ROOM = "bench"


class Bench(BaseNamespace):
    """Echo one client's events back; broadcast ``bcast`` to the room."""

    def recv_connect(self) -> None:
        self.join(ROOM)

    def on_echo(self, *args: object) -> None:
        self.emit("echo", *args)

    def on_bcast(self, *args: object) -> None:
        self.io.in_(ROOM).emit("bcast", *args)


def main(port: int) -> None:
    """Serve the bench namespace on 127.0.0.1:``port`` until killed."""
    server = SocketIOServer(("127.0.0.1", port), None, namespaces={"": Bench},
                            log=None, backlog=4096,
                            message_queue=os.environ.get("BENCH_MESSAGE_QUEUE") or None)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
