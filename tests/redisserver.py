"""A real ``redis-server`` (Debian's package) started by the tests on a free 127.0.0.1 port.

Nothing is persisted: the server runs with no RDB snapshots and no append-only file, in a
temporary directory removed when it stops. It is stopped by the PID we started, never by name.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_binary() -> str | None:
    """The path of ``redis-server``, or None when it is not installed."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


class RedisServer:
    """One redis-server process on its own port; ``url`` is what ``message_queue=`` takes."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="geventsio-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self._dir, "--protected-mode", "yes",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                err = self._process.stderr.read() if self._process.stderr else b""
                raise RuntimeError(f"redis-server exited: {err.decode(errors='replace')}")
            if self.ping():
                return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not answer in {timeout}s")

    def ping(self) -> bool:
        """True when the server answers PING now."""
        return self.command(b"PING") == b"+PONG\r\n"

    def command(self, *parts: bytes) -> bytes:
        """Send one RESP command over a fresh connection; the raw first reply chunk.

        For tests that want to look inside Redis (leftover keys) without the client package.
        """
        body = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
                conn.sendall(body)
                return conn.recv(1 << 20)
        except OSError:
            return b""

    @property
    def pid(self) -> int | None:
        """The PID of the process we started (None before start)."""
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        """SIGKILL the server (fault tests) and reap it; the port may be reused by restart."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)

    def restart(self, timeout: float = 15.0) -> None:
        """Kill (if running) and start again on the same port, with an empty dataset."""
        self.kill()
        self.start(timeout)

    def stop(self) -> None:
        """Stop the server we started and remove its directory."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)
