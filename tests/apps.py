"""Namespaces the tests serve, and a recorder of what the server side saw."""

from __future__ import annotations

from typing import Any

import gevent
from gevent.event import Event

from geventsio import BaseNamespace


class Recorder:
    """What handlers saw, in order, with a wait that uses no fixed sleeps."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._changed = Event()

    def add(self, kind: str, **data: Any) -> None:
        self.items.append({"kind": kind, **data})
        self._changed.set()

    def find(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [item for item in self.items if item["kind"] == kind
                and all(item.get(k) == v for k, v in match.items())]

    def wait_for(self, kind: str, timeout: float = 15.0, count: int = 1,
                 **match: Any) -> list[dict[str, Any]]:
        with gevent.Timeout(timeout, AssertionError(
                f"no {count} x {kind} {match} in {self.items[-20:]}")):
            while True:
                found = self.find(kind, **match)
                if len(found) >= count:
                    return found
                self._changed.clear()
                self._changed.wait()


def make_namespaces(recorder: Recorder) -> dict[str, type]:
    """The endpoint -> class map served by most tests, reporting to ``recorder``."""

    class Main(BaseNamespace):
        def recv_connect(self) -> None:
            recorder.add("connect", sid=self.socket.sid, ns=self.ns_name)
            self.emit("welcome", {"id": self.socket.sid, "nsp": self.ns_name})

        def recv_disconnect(self) -> None:
            recorder.add("disconnect", sid=self.socket.sid, ns=self.ns_name)

        def on_echo(self, *args: Any) -> None:
            recorder.add("echo", sid=self.socket.sid, ns=self.ns_name, args=list(args))
            self.emit("echo", *args)

        def on_ack_me(self, *args: Any) -> tuple[Any, ...]:
            return args

        def on_with_space(self, value: Any) -> None:
            self.emit("spaced", value)

        def recv_message(self, data: str) -> str:
            recorder.add("message", sid=self.socket.sid, data=data)
            self.send(data)
            return data

        def recv_json(self, data: Any) -> Any:
            recorder.add("json", sid=self.socket.sid, data=data)
            self.send(data, json=True)
            return data

        def on_kick_me(self) -> None:
            self.disconnect()

        def on_boom(self) -> None:
            raise RuntimeError("boom from a handler")

        def on_ask_me(self, token: Any) -> None:
            self.emit("ask", token, callback=lambda *answer: self.emit("answer", *answer))

        def on_ask_plain(self) -> None:
            self.send("plain?", callback=lambda: self.emit("plain_acked"))

        def on_two_args(self, first: Any, second: Any) -> None:
            self.emit("two", first, second)

        def on_spawn_forever(self) -> None:
            self.spawn(self._forever)

        def _forever(self) -> None:
            while True:
                gevent.sleep(60)

        def on_set_session(self, key: str, value: Any) -> None:
            self.session[key] = value

        def on_get_session(self, key: str) -> Any:
            return self.session.get(key)

        # -- rooms and broadcast --------------------------------------------------
        def on_join(self, room: str) -> list[str]:
            self.join(room)
            return sorted(self.rooms)

        def on_leave(self, room: str) -> list[str]:
            self.leave(room)
            return sorted(self.rooms)

        def on_to_room(self, room: str, *args: Any) -> int:
            """Room members but me."""
            return self.broadcast.to(room).emit("room", room, *args)

        def on_in_room(self, room: str, *args: Any) -> int:
            """Room members, me included."""
            return self.io.in_(room).emit("room", room, *args)

        def on_shout(self, *args: Any) -> int:
            return self.broadcast.emit("shout", *args)

        def on_to_all(self, *args: Any) -> int:
            return self.io.emit("all", *args)

        def on_clients(self, room: Any = None) -> list[str]:
            return sorted(self.io.clients(room))

        # -- per-client storage -----------------------------------------------------
        def on_store_set(self, key: str, value: Any) -> None:
            self.set(key, value)

        def on_store_get(self, key: str) -> list[Any]:
            return [self.get(key), self.has(key)]

        def on_store_delete(self, key: str) -> bool:
            return self.delete(key)

        # -- acks with a timeout ----------------------------------------------------
        def on_ask_with_timeout(self, seconds: float) -> None:
            def answered(*answer: Any) -> None:
                recorder.add("answered", sid=self.socket.sid, args=list(answer))
                self.emit("answered", *answer)

            def timed_out(error: Exception) -> None:
                recorder.add("ack_timeout", sid=self.socket.sid, error=str(error))
                self.emit("ack_timed_out", str(error))

            self.emit("slow", seconds, callback=answered, timeout=seconds,
                      on_timeout=timed_out)

        # -- volatile -----------------------------------------------------------------
        def on_volatile_burst(self, count: int) -> int:
            """``count`` volatile packets then one normal one; returns how many went."""
            sent = sum(self.volatile.emit("v", i) for i in range(count))
            self.emit("burst_done", sent)
            return sent

    class Chat(Main):
        pass

    class Private(Main):
        def authorize(self, handshake: dict[str, Any]) -> bool:
            return handshake["query"].get("token") == "yes"

    return {"": Main, "/chat": Chat, "/private": Private}
