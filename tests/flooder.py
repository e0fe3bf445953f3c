"""A client that floods a server as fast as the OS lets it, from its own process.

Run by tests (``python -m tests.flooder PORT SID MODE SECONDS``) so that the flood does
not share the test process's hub: the server under test sees a peer that never pauses.
Modes: ``frames`` (websocket text frames of a ``tick`` event), ``pings`` (websocket pings, reading
and discarding the pongs), ``posts`` (xhr-polling POSTs of 1000 packets each, on one
kept-alive connection). It writes ``flooding`` on stdout once the flood has started and
stops by itself after SECONDS (or when its connection is closed).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

from .rawclient import RawWebSocket, read_response


def _masked_frames(opcode: int, payload: bytes, count: int) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    frame = bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked
    return frame * count


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(1 << 16):
            pass
    except OSError:
        pass


def _flood_websocket(port: int, sid: str, opcode: int, payload: bytes, until: float) -> None:
    ws = RawWebSocket(port, f"/socket.io/1/websocket/{sid}")
    threading.Thread(target=_drain, args=(ws.sock,), daemon=True).start()
    blob = _masked_frames(opcode, payload, 20_000)
    print("flooding", flush=True)
    while time.monotonic() < until:
        ws.sock.sendall(blob)


def _flood_posts(port: int, sid: str, until: float) -> None:
    body = ("".join(f"\ufffd{len(p)}\ufffd{p}" for p in ['5:::{"name":"tick"}'] * 1000)
            ).encode("utf-8")
    head = (f"POST /socket.io/1/xhr-polling/{sid} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    buf = bytearray()
    print("flooding", flush=True)
    while time.monotonic() < until:
        sock.sendall(head + body)
        read_response(sock, buf)


def main() -> None:
    port, sid, mode, seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
    until = time.monotonic() + seconds
    try:
        if mode == "frames":
            _flood_websocket(port, sid, 0x1, b'5:::{"name":"tick"}', until)
        elif mode == "pings":
            _flood_websocket(port, sid, 0x9, b"p", until)
        elif mode == "posts":
            _flood_posts(port, sid, until)
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    except (OSError, ConnectionError):
        pass  # the server closed the connection: the flood is over


if __name__ == "__main__":
    main()
