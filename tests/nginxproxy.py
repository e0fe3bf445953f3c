"""Debian's nginx in front of the tests' server processes, with a config of its own.

:class:`Nginx` starts ``/usr/sbin/nginx`` with a config in a temporary directory (``-p``
prefix: pid, logs and temp files there; ``daemon off`` and ``master_process off``, so the
process we start is the one that serves), listening on a free 127.0.0.1 port and spreading
requests round-robin over the given ports with no affinity; ``affinity=True`` pins each
client address to one port instead (``hash $remote_addr consistent``). Websockets are
proxied (HTTP/1.1 with the Upgrade and Connection headers), nothing is buffered (htmlfile
and xhr-multipart stream) and the read timeouts are long: :func:`proxy_config`, which
``docs/deployment.md`` shows. The access log names the upstream of every request.

It is stopped by the PID we started, never by name. A missing ``nginx`` is an error, never
a skip: CI installs Debian's package.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from typing import Any, Iterable

from gevent import subprocess

from .proctools import stop_process, wait_for
from .redisserver import free_port

NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")


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
