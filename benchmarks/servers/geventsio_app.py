"""The geventsio bench app: echo and broadcast on the default namespace.

Run as ``python benchmarks/servers/geventsio_app.py PORT``; serves on 127.0.0.1 until
killed. ``BENCH_JSON=json`` in the environment hides orjson, so the codec uses the stdlib
(the "geventsio (stdlib json)" column); ``BENCH_LEAN_HEADERS=1`` tries the header parser
of benchmarks/lean_headers.py. Events: ``echo`` (sent back to the sender, same arguments), ``bcast`` (sent to
every client in the ``bench`` room).
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
        # TODO(lead, rooms): once rooms land (API.md), join the room here:
        #     self.join(ROOM)
        pass

    def on_echo(self, *args: object) -> None:
        self.emit("echo", *args)

    def on_bcast(self, *args: object) -> None:
        # TODO(lead, rooms): replace with the room emit once rooms land:
        #     self.io.in_(ROOM).emit("bcast", *args)
        # Until then the whole namespace is the room: every bench client joins it.
        self.io.emit("bcast", *args)


def main(port: int) -> None:
    """Serve the bench namespace on 127.0.0.1:``port`` until killed.

    ``BENCH_LEAN_HEADERS=1``: parse request headers with the prototype of
    benchmarks/lean_headers.py instead of gevent's email-package parser.
    """
    options = {}
    if os.environ.get("BENCH_LEAN_HEADERS") == "1":
        from benchmarks.lean_headers import LeanHeadersHandler

        options["handler_class"] = LeanHeadersHandler
    server = SocketIOServer(("127.0.0.1", port), None, namespaces={"": Bench},
                            log=None, backlog=4096, **options)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
