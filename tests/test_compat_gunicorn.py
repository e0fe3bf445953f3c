"""``gunicorn -k geventsio.sgunicorn.GeventSocketIOWorker`` (gevent-socketio's worker
name) serves the Pyramid app of tests/compat, which routes ``/socket.io`` itself."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import gevent

from .conftest import ROOT
from .nodeclient import NodeSocket
from .rawclient import request


def test_sgunicorn_worker_serves_a_socketio_manage_app(node):
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "geventsio.sgunicorn.GeventSocketIOWorker",
         "-w", "1", "--bind", "127.0.0.1:0", "--graceful-timeout", "2",
         "tests.compat.pyramid_chat:application"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        port = None
        with gevent.Timeout(30, AssertionError(f"gunicorn did not start: {lines}")):
            while port is None or not any("Booting worker" in line for line in lines):
                line = proc.stderr.readline()
                if not line:
                    raise AssertionError(f"gunicorn exited: {lines}")
                lines.append(line)
                found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
                port = int(found.group(1)) if found else port
        assert request(port, "GET", "/").text == "pyramid index"
        sock = NodeSocket(node, "sgu1", f"http://127.0.0.1:{port}", "websocket")
        sock.connect()
        sock.of("/echo")
        assert sock.wait_ack(sock.emit("hello", "gu", ns="/echo", ack=True)) == ["Request"]
        assert sock.wait_event("hello", ns="/echo") == ["bonjour, gu"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
