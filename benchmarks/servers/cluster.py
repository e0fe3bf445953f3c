"""A many-process geventsio for the benchmarks: Redis, N bench workers, nginx in front.

Run as ``python benchmarks/servers/cluster.py PORT``; ``BENCH_WORKERS`` (default 2)
processes of ``geventsio_app.py`` share a ``redis-server`` of their own as message queue,
and nginx listens on 127.0.0.1:``PORT`` in front of them: round-robin with no affinity, or
with ``BENCH_AFFINITY=1`` pinned by client address (``hash $remote_addr consistent``). The
nginx config is the one the end-to-end tests prove (``tests/nginxproxy.py``, shown in
docs/deployment.md). ``BENCH_QUEUE=0``: the workers get no queue and no Redis runs (one
worker behind nginx: what the proxy alone costs). The one-process column next to them is
``geventsio_app.py`` alone.

Everything runs in this process's group; SIGTERM stops it all and removes the temporary
directories. (The runner stops servers with SIGTERM, then SIGKILL.)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from tests.nginxproxy import NGINX, nginx_config  # noqa: E402
from tests.redisserver import RedisServer, free_port  # noqa: E402

APP = os.path.join(HERE, "geventsio_app.py")


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {port} in {timeout}s")


def worker(port: int, queue: str) -> subprocess.Popen:
    env = dict(os.environ, BENCH_MESSAGE_QUEUE=queue)
    proc = subprocess.Popen([sys.executable, APP, str(port)], env=env)
    wait_listening(port, proc)
    return proc


def main(port: int) -> None:
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    affinity = os.environ.get("BENCH_AFFINITY") == "1"
    children: list[subprocess.Popen] = []
    redis = RedisServer() if os.environ.get("BENCH_QUEUE", "1") != "0" else None
    prefix = tempfile.mkdtemp(prefix="geventsio-bench-nginx-")

    def stop(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis is not None:
            redis.stop()
        shutil.rmtree(prefix, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        if redis is not None:
            redis.start()
        ports = [free_port() for _ in range(workers)]
        children.extend(worker(p, redis.url if redis else "") for p in ports)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as fh:
            fh.write(nginx_config(port, ports, affinity, prefix))
        children.append(subprocess.Popen(
            [NGINX, "-p", prefix + "/", "-c", conf, "-e", os.path.join(prefix, "error.log")]))
        wait_listening(port, children[-1])
        while True:
            signal.pause()
    finally:
        stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
