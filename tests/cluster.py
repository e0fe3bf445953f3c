"""Real processes for the many-process tests: server processes, gunicorn, nginx in front.

* :class:`ServerProcesses`: N ``python -m geventsio`` processes serving
  ``tests/e2e_app.py`` on ports the kernel picks (``--port 0``; each one's port is read
  from its "serving on" line), optionally with ``--message-queue``. Each is waited for until
  it answers a handshake; its output is kept (``log``) for the tests to read.
* :class:`GunicornWorkers`: ``gunicorn -k tests.e2e_app.Worker -w N`` on one port.
* :class:`~tests.nginxproxy.Nginx` (in ``tests/nginxproxy.py``, re-exported here): nginx in
  front of them.

Everything is stopped by the PID we started, never by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import tempfile
from typing import Any

from gevent import subprocess

from .nginxproxy import Nginx  # noqa: F401 (re-exported for the tests)
from .proctools import ProcessOutput, http_get, stop_process, wait_for  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = "tests.e2e_app:app"
CHAT = "/chat=tests.e2e_app:Chat"
#: Timers: short polls and heartbeats, but room for a slow poll on a loaded machine (a
#: killed worker's clients are found by the survivors' liveness checks, not these).
TIMERS = {"heartbeat_interval": 1, "heartbeat_timeout": 10, "close_timeout": 10,
          "polling_duration": 2}


class ServerProcess:
    """One ``python -m geventsio`` process serving the cluster app."""

    def __init__(self, message_queue: str | None = None, **options: Any) -> None:
        argv = [sys.executable, "-m", "geventsio", APP, "--namespace", CHAT,
                "--host", "127.0.0.1", "--port", "0", "--no-access-log"]
        for name, value in {**TIMERS, **options}.items():
            argv += ["--" + name.replace("_", "-"), str(value)]
        if message_queue is not None:
            argv += ["--message-queue", message_queue]
        self.argv = argv
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.log = ProcessOutput(self.proc.stderr)
        self.port = 0

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> "ServerProcess":
        """Wait for the "serving on" line, then for an answered handshake."""
        def serving() -> int | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode}):\n"
                                     f"{self.log.text()}")
            found = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", self.log.text())
            return int(found.group(1)) if found else None
        try:
            self.port = wait_for(serving, timeout, "the serving line")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log.text()}") from None
        wait_for(lambda: b":" in http_get(self.url + "/socket.io/1/"), timeout,
                 f"a handshake on port {self.port}")
        return self

    def state(self, room: str | None = None, ns: str = "/chat") -> dict[str, Any]:
        """What the process holds now (``/cluster/state`` of tests/e2e_app.py)."""
        query = f"?ns={ns}" + (f"&room={room}" if room is not None else "")
        return json.loads(http_get(self.url + "/cluster/state" + query))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL (the fault tests): no goodbye to anyone."""
        stop_process(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.join()


class ServerProcesses:
    """N server processes of the cluster app, started together, each on its own port."""

    def __init__(self, count: int, message_queue: str | None = None, **options: Any) -> None:
        self.processes: list[ServerProcess] = []
        try:
            for _ in range(count):
                self.processes.append(ServerProcess(message_queue, **options))
            for process in self.processes:
                process.wait_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def ports(self) -> list[int]:
        return [process.port for process in self.processes]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def states(self, room: str | None = None) -> list[dict[str, Any]]:
        """``state()`` of every live process."""
        return [p.state(room) for p in self.processes if p.alive()]

    def logs(self) -> str:
        return "\n".join(f"--- process {p.pid} (port {p.port}) ---\n{p.log.text()}"
                         for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.alive():
                process.proc.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()

    def __enter__(self) -> "ServerProcesses":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class GunicornWorkers:
    """``gunicorn -k tests.e2e_app.Worker -w N`` on a free 127.0.0.1 port.

    The worker's server options (message queue, timers) are given through the environment
    (see ``tests/e2e_app.py``). All workers share one port, so each also serves
    ``/cluster/...`` on a port of its own, written to a file named by its pid in
    ``state_dir``: ``states()`` asks every worker, ``pids`` are the workers now.
    """

    def __init__(self, workers: int = 4, message_queue: str | None = None) -> None:
        from .gunicornrun import gunicorn

        self.state_dir = tempfile.mkdtemp(prefix="geventsio-gunicorn-")
        env = dict(os.environ, GEVENTSIO_TEST_STATE_DIR=self.state_dir)
        for name, value in TIMERS.items():
            env["GEVENTSIO_TEST_" + name.upper()] = str(value)
        if message_queue is not None:
            env["GEVENTSIO_TEST_MESSAGE_QUEUE"] = message_queue
        self._run = gunicorn("tests.e2e_app.Worker", "tests.e2e_app:app",
                             workers=workers, env=env)
        self.port, self.master = self._run.__enter__()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        try:
            wait_for(lambda: len(self.side_ports()) == workers, 30,
                     f"{workers} workers' state ports")
        except BaseException:
            self.stop()
            raise

    @property
    def ports(self) -> list[int]:
        return [self.port]

    @property
    def pids(self) -> list[int]:
        """The worker processes of the master, now."""
        try:
            with open(f"/proc/{self.master.pid}/task/{self.master.pid}/children") as fh:
                return sorted(int(pid) for pid in fh.read().split())
        except OSError:
            return []

    def side_ports(self) -> dict[int, int]:
        """pid -> the port where that live worker answers ``/cluster/...``."""
        found = {}
        for pid in self.pids:
            try:
                with open(os.path.join(self.state_dir, str(pid))) as fh:
                    found[pid] = int(fh.read())
            except (OSError, ValueError):
                continue
        return found

    def states(self, room: str | None = None) -> list[dict[str, Any]]:
        """``/cluster/state`` of every live worker."""
        query = "?ns=/chat" + (f"&room={room}" if room is not None else "")
        return [json.loads(http_get(f"http://127.0.0.1:{port}/cluster/state{query}"))
                for port in self.side_ports().values()]

    def logs(self) -> str:
        return "".join(getattr(self.master, "output_lines", []))

    def stop(self) -> None:
        self._run.__exit__(None, None, None)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> "GunicornWorkers":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def redis_keys(redis_server: Any) -> list[str]:
    """Every key in the test's Redis now (SCAN, with the ``redis`` package)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
    try:
        return sorted(key.decode() for key in client.scan_iter(count=1000))
    finally:
        client.close()
