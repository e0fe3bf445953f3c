"""Real processes for the many-process tests: server processes, gunicorn, nginx in front.

* :class:`ServerProcesses`: N ``python -m geventsio`` processes serving
  ``tests/e2e_app.py`` on ports the kernel picks (``--port 0``; each one's port is read
  from its "serving on" line), optionally with ``--message-queue``. Each is waited for until
  it answers a handshake; its output is kept (``log``) for the tests to read.
* :class:`GunicornWorkers`: ``gunicorn -k tests.e2e_app.Worker -w N`` on one port.
* :class:`Nginx`: Debian's ``/usr/sbin/nginx`` with a config of its own in a temporary
  directory (``-p`` prefix: pid, logs and temp files there; ``daemon off`` and
  ``master_process off``, so the process we start is the one that serves), listening on a
  free 127.0.0.1 port and spreading requests round-robin over the given ports with no
  affinity; ``affinity=True`` pins each client address to one port instead
  (``hash $remote_addr consistent``). Websockets are proxied (HTTP/1.1 with the Upgrade and
  Connection headers), nothing is buffered (htmlfile and xhr-multipart stream) and the read
  timeouts are long. ``docs/deployment.md`` shows the same config.

Everything is stopped by the PID we started, never by name. A missing ``nginx`` is an
error, never a skip: CI installs Debian's package.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from typing import Any, Iterable

import gevent
from gevent import subprocess

from .redisserver import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
APP = "tests.e2e_app:app"
CHAT = "/chat=tests.e2e_app:Chat"
#: Short timers: a vanished client (or a killed worker's client) is noticed in seconds.
TIMERS = {"heartbeat_interval": 1, "heartbeat_timeout": 4, "close_timeout": 3,
          "polling_duration": 2}


def http_get(url: str, timeout: float = 10.0, source: str | None = None) -> bytes:
    """The body of a GET (from the local address ``source``, if given); raises on non-2xx."""
    if source is None:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    import http.client
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = conn.getresponse()
        body = response.read()
        if response.status >= 300:
            raise OSError(f"GET {url}: HTTP {response.status}")
        return body
    finally:
        conn.close()


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    """Call ``predicate`` until it returns something truthy (exceptions count as no)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 - a process starting refuses connections
            value, last = None, exc
        if value:
            return value
        gevent.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last!r})")


class ProcessOutput:
    """Lines a child writes to one pipe, read by a greenlet and kept for tests."""

    def __init__(self, pipe: Any, limit: int = 20000) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=limit)
        self._reader = gevent.spawn(self._read, pipe)

    def _read(self, pipe: Any) -> None:
        for raw in pipe:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()

    def text(self) -> str:
        return "\n".join(self.lines)

    def count(self, pattern: str) -> int:
        """How many lines match the regular expression ``pattern``."""
        found = re.compile(pattern)
        return sum(1 for line in list(self.lines) if found.search(line))

    def join(self, timeout: float = 5.0) -> None:
        self._reader.join(timeout)


def stop_process(proc: Any, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Signal a process we started (by its PID), then kill it if it does not end."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


class Nginx:
    """Debian's nginx in front of ``ports``: round-robin, or pinned by client address."""

    def __init__(self, ports: Iterable[int], affinity: bool = False) -> None:
        if not os.path.exists(NGINX):
            raise RuntimeError(f"{NGINX} is missing (Debian package nginx)")
        self.upstreams = list(ports)
        self.affinity = affinity
        self.dir = tempfile.mkdtemp(prefix="geventsio-nginx-")
        self.proc: Any = None
        self.port = 0
        for _ in range(5):  # a free port may be taken before nginx binds it: try another
            if self._start(free_port()):
                return
        self.stop()
        raise RuntimeError(f"nginx did not start:\n{self.error_log()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def _start(self, port: int) -> bool:
        self.port = port
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as fh:
            fh.write(nginx_config(port, self.upstreams, self.affinity, self.dir))
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.dir + "/", "-c", conf, "-e", os.path.join(self.dir, "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: self.proc.poll() is not None or _accepts(port), 15,
                     f"nginx on port {port}")
        except AssertionError:
            stop_process(self.proc)
            return False
        return self.proc.poll() is None

    def error_log(self) -> str:
        try:
            with open(os.path.join(self.dir, "error.log")) as fh:
                return fh.read()
        except OSError:
            return ""

    def access_log(self) -> list[dict[str, str]]:
        """Every logged request: method, uri, status, upstream (``host:port``)."""
        try:
            with open(os.path.join(self.dir, "access.log")) as fh:
                lines = fh.read().splitlines()
        except OSError:
            return []
        keys = ("method", "uri", "status", "upstream", "client")
        return [dict(zip(keys, line.split(" "))) for line in lines]

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Nginx":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _accepts(port: int) -> bool:
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def nginx_config(port: int, upstreams: list[int], affinity: bool, prefix: str) -> str:
    """The whole nginx.conf: one foreground process, everything under ``prefix``, and
    :func:`proxy_config` inside ``http``."""
    temp = "\n".join(f"    {kind}_temp_path {prefix}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    proxy = "".join(f"    {line}\n" if line else "\n"
                    for line in proxy_config(port, upstreams, affinity).splitlines())
    return f"""daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 8192;
}}
http {{
    log_format cluster '$request_method $uri $status $upstream_addr $remote_addr';
    access_log {prefix}/access.log cluster;
{temp}
{proxy}}}
"""


def proxy_config(port: int, upstreams: list[int], affinity: bool = False,
                 host: str = "127.0.0.1") -> str:
    """What goes in nginx's ``http`` context to serve geventsio processes on ``upstreams``
    (docs/deployment.md shows it, for ports 8001-8003, and a test holds it to this)."""
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    balance = "    hash $remote_addr consistent;  # affinity: one client address, one process\n"
    return f"""map $http_upgrade $connection_upgrade {{
    default upgrade;
    ''      close;
}}

upstream geventsio {{
{balance if affinity else ""}{servers}
}}

server {{
    listen {host}:{port};
    location / {{
        proxy_pass http://geventsio;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
    }}
}}
"""


def redis_keys(redis_server: Any) -> list[str]:
    """Every key in the test's Redis now (SCAN, with the ``redis`` package)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=5)
    try:
        return sorted(key.decode() for key in client.scan_iter(count=1000))
    finally:
        client.close()
