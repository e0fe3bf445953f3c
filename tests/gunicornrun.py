"""Run a real gunicorn for a test: one worker of a given class on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
from typing import Iterator

import gevent

from .conftest import ROOT


@contextlib.contextmanager
def gunicorn(worker: str, app: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """(port, master process) of ``gunicorn -k worker -w 1 app``, once its worker has
    booted; SIGTERM (then a kill, if it hangs) at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", worker, "-w", "1", "--bind", "127.0.0.1:0",
         "--graceful-timeout", "2", app], cwd=ROOT, stderr=subprocess.PIPE, text=True)
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
        yield port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
