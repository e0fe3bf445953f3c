"""What the browser tests serve: the test page and the namespace the page talks to.

``page_app`` serves ``tests/browser/page.html`` and ``harness.js`` (any other path: 404);
it is the WSGI app of the server under test, and of the plain page server of the
cross-origin tests. ``make_browser_namespaces`` builds the namespace class, reporting what
it sees to a :class:`tests.apps.Recorder`.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from geventsio import BaseNamespace

from .apps import Recorder

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")
_FILES = {
    "/page.html": ("page.html", "text/html; charset=utf-8"),
    "/harness.js": ("harness.js", "application/javascript; charset=utf-8"),
}


def page_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """WSGI: the test page and its helper script."""
    found = _FILES.get(environ["PATH_INFO"])
    if found is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    with open(os.path.join(HERE, found[0]), "rb") as fh:
        body = fh.read()
    start_response("200 OK", [("Content-Type", found[1]), ("Content-Length", str(len(body))),
                              ("Cache-Control", "no-store")])
    return [body]


def make_browser_namespaces(recorder: Recorder) -> dict[str, type]:
    """``''`` and ``/chat``: one class reporting to ``recorder``."""

    class Browser(BaseNamespace):
        def recv_connect(self) -> None:
            recorder.add("connect", sid=self.socket.sid, ns=self.ns_name,
                         transport=getattr(self.socket.transport, "name", None),
                         xdomain=self.handshake["xdomain"])
            self.emit("welcome", self.socket.sid)

        def recv_disconnect(self) -> None:
            recorder.add("disconnect", sid=self.socket.sid, ns=self.ns_name,
                         reason=self.socket.close_reason)

        def on_echo(self, *args: Any) -> None:
            recorder.add("echo", sid=self.socket.sid, args=list(args))
            self.emit("echo", *args)

        def on_ack_me(self, *args: Any) -> tuple[Any, ...]:
            """The return value is the ack data: several values -> several ack args."""
            recorder.add("ack_me", sid=self.socket.sid, args=list(args))
            return ("acked",) + args

        def on_ask_me(self, token: Any) -> None:
            """Ask the client something; its ack goes to the recorder and back as 'answer'."""
            def answered(*answer: Any) -> None:
                recorder.add("answer", sid=self.socket.sid, args=list(answer))
                self.emit("answer", *answer)
            self.emit("ask", token, callback=answered)

        def recv_message(self, data: str) -> None:
            recorder.add("message", sid=self.socket.sid, data=data)
            self.send(data)

        def on_payload(self, *args: Any) -> tuple[Any, ...]:
            recorder.add("payload", sid=self.socket.sid, args=list(args))
            self.emit("payload", *args)
            return args

        def on_kick_me(self) -> None:
            self.disconnect()

        def on_vanish(self) -> None:
            """End the session without telling the client, as a crashed server would."""
            self.disconnect(silent=True)

        def on_shout(self, *args: Any) -> None:
            self.broadcast.emit("shout", *args)

        def on_join(self, room: str) -> list[str]:
            self.join(room)
            recorder.add("join", sid=self.socket.sid, room=room)
            return sorted(self.rooms)

        def on_leave(self, room: str) -> list[str]:
            self.leave(room)
            recorder.add("leave", sid=self.socket.sid, room=room)
            return sorted(self.rooms)

        def on_to_room(self, room: str, *args: Any) -> None:
            """Everyone in ``room``, the sender too if it is a member."""
            self.io.in_(room).emit("room", room, *args)

        def on_to_room_not_me(self, room: str, *args: Any) -> None:
            self.broadcast.to(room).emit("room", room, *args)

    return {"": Browser, "/chat": Browser}
