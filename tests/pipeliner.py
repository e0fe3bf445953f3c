"""A client that pipelines requests on one kept-alive connection as fast as it can.

Run as ``python -m tests.pipeliner PORT PATH`` (plain threads, no gevent): one thread writes
batches of ``GET PATH`` requests, another reads the answers. It prints ``flooding`` once
the first answer is back, and, when its standard input closes (or after ``LIMIT``
seconds), the number of answers it read; then it exits.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

LIMIT = 40.0
BATCH = 500


def main(port: int, path: str) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.1\r\nHost: flood\r\n\r\n".encode()
    stop = threading.Event()
    answers = [0]
    started = threading.Event()

    def write() -> None:
        batch = request * BATCH
        try:
            while not stop.is_set():
                sock.sendall(batch)
        except OSError:
            pass

    def read() -> None:
        tail = b""
        try:
            while not stop.is_set():
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                data = tail + chunk
                answers[0] += data.count(b"HTTP/1.1 ")
                tail = data[-8:]
                answers[0] -= tail.count(b"HTTP/1.1 ")
                if answers[0] and not started.is_set():
                    started.set()
                    print("flooding", flush=True)
        except OSError:
            pass

    threads = [threading.Thread(target=write, daemon=True),
               threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LIMIT
    waiter = threading.Thread(target=sys.stdin.read, daemon=True)
    waiter.start()
    waiter.join(max(0.0, deadline - time.monotonic()))
    stop.set()
    sock.close()
    print(answers[0], flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
