"""Run a real gunicorn for a test: N workers of a given class on a free 127.0.0.1 port."""

from __future__ import annotations

import collections
import contextlib
import re
import signal
import subprocess
import sys
from typing import Iterator

import gevent

from .conftest import ROOT


@contextlib.contextmanager
def gunicorn(worker: str, app: str, workers: int = 1,
             env: dict[str, str] | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """(port, master process) of ``gunicorn -k worker -w workers app``, once its workers
    have booted; SIGTERM (then a kill, if it hangs) at the end. Its output keeps being
    read (into ``proc.output_lines``) so that a chatty worker never blocks on the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", worker, "-w", str(workers),
         "--bind", "127.0.0.1:0", "--graceful-timeout", "2", app],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env=env)
    lines: collections.deque[str] = collections.deque(maxlen=20000)
    proc.output_lines = lines  # type: ignore[attr-defined]
    reader = None
    try:
        port = None
        with gevent.Timeout(30, AssertionError(f"gunicorn did not start: {list(lines)}")):
            while port is None or sum("Booting worker" in line for line in lines) < workers:
                line = proc.stderr.readline()
                if not line:
                    raise AssertionError(f"gunicorn exited: {list(lines)}")
                lines.append(line)
                found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
                port = int(found.group(1)) if found else port
        reader = gevent.spawn(lambda: lines.extend(proc.stderr))
        yield port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if reader is not None:
            reader.join(5)
        proc.stderr.close()
