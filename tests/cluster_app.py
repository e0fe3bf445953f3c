"""A chat served by several ``python -m geventsio --message-queue ...`` processes in
tests/test_cluster.py: rooms, nicknames kept with ``set``, a "user disconnected" broadcast."""

import os
from typing import Any

from geventsio import BaseNamespace


class Chat(BaseNamespace):
    def on_nick(self, nick: str) -> str:
        self.set("nick", nick)
        return str(os.getpid())  # which process holds this client

    def on_join(self, room: str) -> list[str]:
        self.join(room)
        self.broadcast.to(room).emit("joined", self.get("nick"), room)
        return sorted(self.io.clients(room))

    def on_say(self, room: str, text: str) -> None:
        self.broadcast.to(room).emit("said", self.get("nick"), text)

    def on_everyone(self, text: str) -> None:
        self.io.emit("everyone", self.get("nick"), text)

    def on_flash(self, text: str) -> None:
        self.broadcast.volatile.emit("flash", text)

    def on_clients(self, room: Any = None) -> list[str]:
        return sorted(self.io.clients(room))

    def on_kick(self, sid: str) -> bool:
        return self.io.socket(sid).disconnect()

    def on_poke(self, sid: str, text: str) -> int:
        return self.io.socket(sid).emit("poked", self.get("nick"), text)

    def recv_disconnect(self) -> None:
        self.broadcast.emit("user disconnected", self.get("nick"))
