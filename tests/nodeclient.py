"""Drive the real ``socket.io-client@0.9.16`` (node) from pytest.

``tests/js/driver.js`` runs in one node process and manages any number of
client sockets, keyed by a client id.  It reads JSON commands on stdin and
writes JSON reports on stdout, one per line.  This module is the Python side:

* :class:`NodeDriver` starts ``node tests/js/driver.js``, keeps every report in
  a history list (a reader greenlet fills it) and lets tests wait for reports.
* :class:`NodeSocket` is a thin per-client wrapper.

Requirements: ``node`` on PATH and ``npm install`` run in the repository root
(``package.json`` pins ``socket.io-client`` 0.9.16; ``node_modules/`` is
git-ignored).  The test process is expected to be gevent monkey-patched
(``from gevent import monkey; monkey.patch_all()`` first thing in conftest);
this module uses gevent APIs directly, so it never blocks the hub: a gevent
server running in the same process keeps serving while a test waits.

Usage::

    from nodeclient import NodeDriver, NodeSocket

    with NodeDriver() as node:
        url = 'http://127.0.0.1:%d' % port
        a = NodeSocket(node, 'a', url, 'websocket')
        info = a.connect()                  # {'ev': 'connect', 'sid': ..., 'transport': 'websocket', ...}
        a.emit('echo', 'héllo 😀')
        assert a.wait_event('echo') == ['héllo 😀']
        token = a.emit('ack_me', 1, ack=True)
        assert a.wait_ack(token) == [1]
        a.reply('ask', 'yes')                # answer the server's acked 'ask' events
        a.of('/chat')                       # join a namespace on the same connection
        a.disconnect()

Waiting: ``wait_for(**match)`` scans the history *from the start* (or from
``since=``, an index obtained with ``mark()`` before the action) for the first
report whose fields equal ``match`` (a missing field counts as ``None``) and
for which ``predicate(report)`` is true; it raises ``AssertionError`` with the
last reports and the driver's stderr tail after ``timeout`` seconds.  To wait
for something caused by an action, take ``since = node.mark()`` *before* the
action.  ``NodeSocket.emit/send/json/of/connect/state/...`` do that for you.

Command vocabulary (``op``; ``ns`` defaults to ``''``):

* ``connect`` {client, url, transport ('websocket'|'xhr-polling'), reconnect
  (false), options ({} extra ``io.connect`` options), query (string),
  packets (true: report raw packets)}.  Test-only option ``'poll gap'`` (ms,
  in ``options``): the xhr-polling client waits that long before each new poll.  Reusing a client id is allowed once
  the old socket is disconnected or dropped.
* ``of`` {client, ns, rejoin}: ``socket.of(ns)``.  0.9.16 keeps the
  namespace object after a namespace disconnect, so a second ``of`` sends
  nothing; ``rejoin: true`` sends the connect packet again.
* ``emit`` {client, ns, name, args, ack}: ``ack`` is a token; the ack arrives
  as report ``{ev: 'ack', ack: token, args}``.  The namespace must have been
  joined with ``of`` (otherwise ``fatal``).
* ``send`` {client, ns, data (string), ack} / ``json`` {client, ns, data, ack}.
  Note: 0.9.16 sends messages with a *plain* ack (``3:1::x``), so the ack's
  args are always ``[]``.
* ``reply`` {client, ns, name, args}: from now on answer server events
  ``name`` that ask for a data ack with ``args`` (``args: null`` forgets).
  Without a reply the ack function is never called.
* ``disconnect`` {client, ns}: ``''`` = ``socket.disconnect()`` (and stops any
  reconnection); other ns = ``socket.of(ns).disconnect()`` (``0::/ns``).
* ``drop`` {client, reset}: vanish; no close frame, no ``0::`` packet, no
  more timers, requests or reports for that client.  ``reset: true`` uses a TCP
  RST on websocket (``socket.resetAndDestroy``).  Report ``dropped``.
* ``state`` {client} -> ``{ev: 'state', exists, connected, connecting,
  reconnecting, open, sid, transport, namespaces, dropped}``.
* ``ping`` {token} -> ``{ev: 'pong', token}`` (commands are handled in order,
  so a pong means every earlier command was executed).

Reports (``ev``; all carry ``client`` and, where it applies, ``ns``):

* ``connect`` {sid, transport} when a namespace fires 'connect'.
* ``event`` {name, args, wants_ack, type ('event'|'message'|'json')} for every
  event the server sends (send/json arrive as name ``'message'``).
* ``disconnect`` {reason} (``'booted'`` for ``0::`` and for our own
  disconnect, ``None`` when the transport closed), ``error`` {reason},
  ``connecting`` {transport}, ``connect_failed`` {reason}, ``reconnect`` {sid,
  transport, attempts}, ``reconnecting`` {delay, attempts},
  ``reconnect_failed``.  Lifecycle reports carry ``args`` too, and come once
  per joined namespace (the library publishes them to every namespace).
* ``packet`` {ns, transport, packet}: every packet the transport decoded,
  heartbeats (``packet['type'] == 'heartbeat'``) and errors included; it comes
  *before* the report the packet causes.
* ``ack`` {ack, args}, ``dropped``, ``state``, ``pong``, ``fatal`` {message}.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import shutil
import signal
import time
from typing import Any, Callable, Optional

import gevent
import gevent.event
import gevent.lock
from gevent import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER_JS = os.path.join('tests', 'js', 'driver.js')

_MISSING = object()


class NodeDriverError(RuntimeError):
    pass


class NodeDriver:
    """One ``node tests/js/driver.js`` process and its report history."""

    def __init__(self, cwd: str = REPO_ROOT, node: Optional[str] = None,
                 env: Optional[dict] = None):
        self.cwd = cwd
        node = node or shutil.which('node')
        if not node:
            raise NodeDriverError('node is not installed (needed for the socket.io-client tests)')
        if not os.path.isdir(os.path.join(cwd, 'node_modules', 'socket.io-client')):
            raise NodeDriverError(
                'socket.io-client is not installed: run `npm install` in %s' % cwd)
        self.history: list[dict] = []
        self.stderr_lines: collections.deque = collections.deque(maxlen=2000)
        self.protocol_errors: list[str] = []   # stdout lines that were not JSON
        self._changed = gevent.event.Event()
        self._write_lock = gevent.lock.Semaphore()
        self._tokens = itertools.count(1)
        self._eof = False
        self.proc = subprocess.Popen(
            [node, DRIVER_JS], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [gevent.spawn(self._read_stdout), gevent.spawn(self._read_stderr)]

    # ------------------------------------------------------------ plumbing

    def _notify(self) -> None:
        old, self._changed = self._changed, gevent.event.Event()
        old.set()

    def _read_stdout(self) -> None:
        try:
            for raw in self.proc.stdout:
                line = raw.decode('utf-8', 'surrogateescape').strip()
                if not line:
                    continue
                try:
                    report = json.loads(line)
                except ValueError:
                    self.protocol_errors.append(line)
                    self.stderr_lines.append('[driver stdout, not JSON] ' + line)
                    continue
                self.history.append(report)
                self._notify()
        except Exception as exc:  # pragma: no cover - diagnostics only
            self.stderr_lines.append('[reader failed] %r' % (exc,))
        finally:
            self._eof = True
            self._notify()

    def _read_stderr(self) -> None:
        try:
            for raw in self.proc.stderr:
                self.stderr_lines.append(raw.decode('utf-8', 'replace').rstrip('\n'))
        except Exception:  # pragma: no cover
            pass

    # ---------------------------------------------------------- commands

    def command(self, **op: Any) -> None:
        """Send one command (``op='emit', client=..., ...``)."""
        if 'op' not in op:
            raise ValueError('command needs op=')
        line = (json.dumps(op, ensure_ascii=False) + '\n').encode('utf-8', 'surrogatepass')
        with self._write_lock:
            if self.proc.poll() is not None or self.proc.stdin.closed:
                raise NodeDriverError('node driver is not running (exit code %r)\n%s'
                                      % (self.proc.returncode, self.stderr_tail()))
            self.proc.stdin.write(line)
            self.proc.stdin.flush()

    def next_token(self, prefix: str = 't') -> str:
        return '%s%d' % (prefix, next(self._tokens))

    def ping(self, timeout: float = 15.0) -> dict:
        """Round trip: every command sent before was executed by the driver."""
        token = self.next_token('ping')
        since = self.mark()
        self.command(op='ping', token=token)
        return self.wait_for(ev='pong', token=token, since=since, timeout=timeout)

    # ------------------------------------------------------------ reports

    def mark(self) -> int:
        """Current history length; pass it as ``since=`` to wait for later reports."""
        return len(self.history)

    @staticmethod
    def _matches(report: dict, match: dict, predicate: Optional[Callable[[dict], bool]]) -> bool:
        for key, value in match.items():
            if report.get(key) != value:
                return False
        return predicate is None or bool(predicate(report))

    def reports(self, predicate: Optional[Callable[[dict], bool]] = None,
                since: int = 0, **match: Any) -> list:
        return [r for r in self.history[since:] if self._matches(r, match, predicate)]

    def wait_for(self, predicate: Optional[Callable[[dict], bool]] = None,
                 timeout: float = 15.0, since: int = 0, **match: Any) -> dict:
        """First report (from index ``since``) matching ``match`` and ``predicate``."""
        index = since
        deadline = time.monotonic() + timeout
        while True:
            history = self.history
            while index < len(history):
                report = history[index]
                index += 1
                if self._matches(report, match, predicate):
                    return report
            if self._eof:
                self._fail('node driver exited (code %r) while waiting for %r'
                           % (self.proc.poll(), match), since)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail('timed out after %.1fs waiting for %r%s'
                           % (timeout, match, ' with predicate' if predicate else ''), since)
            # No yield between the scan above and taking the event: no lost wakeup.
            self._changed.wait(remaining)

    def _fail(self, message: str, since: int) -> None:
        recent = self.history[max(since, len(self.history) - 40):]
        lines = [message, '--- last %d reports (since index %d) ---' % (len(recent), since)]
        lines += [json.dumps(r, ensure_ascii=False)[:500] for r in recent]
        fatals = [r for r in self.history if r.get('ev') == 'fatal']
        if fatals:
            lines.append('--- fatal reports ---')
            lines += [json.dumps(r, ensure_ascii=False)[:500] for r in fatals[-10:]]
        lines.append('--- driver stderr tail ---')
        lines.append(self.stderr_tail())
        raise AssertionError('\n'.join(lines))

    def stderr_tail(self, n: int = 30) -> str:
        return '\n'.join(list(self.stderr_lines)[-n:])

    def fatals(self) -> list:
        return self.reports(ev='fatal')

    # ---------------------------------------------------------- lifetime

    def kill(self) -> None:
        """SIGKILL node: every TCP connection it had vanishes at once."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait()
        gevent.joinall(self._readers, timeout=5)
        self._close_pipes()

    def close(self, timeout: float = 10.0) -> Optional[int]:
        """Close stdin (the driver disconnects its clients and exits); kill after timeout."""
        if self.proc.poll() is None:
            with self._write_lock:
                try:
                    self.proc.stdin.close()
                except (OSError, ValueError):
                    pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        gevent.joinall(self._readers, timeout=5)
        self._close_pipes()
        return self.proc.returncode

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if pipe is not None and not pipe.closed:
                    pipe.close()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> 'NodeDriver':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class NodeSocket:
    """One socket.io client inside the node driver."""

    def __init__(self, driver: NodeDriver, client_id: str, url: str, transport: str,
                 reconnect: bool = False, query: Optional[str] = None,
                 options: Optional[dict] = None, packets: bool = True):
        self.driver = driver
        self.client_id = client_id
        self.url = url
        self.transport = transport
        self.reconnect = reconnect
        self.query = query
        self.options = dict(options or {})
        self.packets = packets
        self.sid: Optional[str] = None

    def _cmd(self, op: str, **fields: Any) -> None:
        self.driver.command(op=op, client=self.client_id, **fields)

    def wait_report(self, ev: str, timeout: float = 15.0, since: int = 0,
                    predicate: Optional[Callable[[dict], bool]] = None, **match: Any) -> dict:
        """First report ``ev`` of this client matching ``match``."""
        return self.driver.wait_for(predicate=predicate, timeout=timeout, since=since,
                                    ev=ev, client=self.client_id, **match)

    def connect(self, timeout: float = 15.0, wait: bool = True) -> Optional[dict]:
        """Connect; returns the ``connect`` report of namespace ''."""
        since = self.driver.mark()
        fields: dict = dict(url=self.url, transport=self.transport, reconnect=self.reconnect,
                            packets=self.packets)
        if self.options:
            fields['options'] = self.options
        if self.query is not None:
            fields['query'] = self.query
        self._cmd('connect', **fields)
        if not wait:
            return None
        report = self.wait_report('connect', ns='', since=since, timeout=timeout)
        self.sid = report.get('sid')
        return report

    def of(self, ns: str, wait: bool = True, rejoin: bool = False,
           timeout: float = 15.0) -> Optional[dict]:
        """Join namespace ``ns``; with ``wait`` returns its ``connect`` report."""
        since = self.driver.mark()
        self._cmd('of', ns=ns, rejoin=rejoin)
        if not wait:
            return None
        return self.wait_report('connect', ns=ns, since=since, timeout=timeout)

    def emit(self, name: str, *args: Any, ns: str = '', ack: bool = False) -> Optional[str]:
        token = self.driver.next_token('%s-ack' % self.client_id) if ack else None
        fields: dict = dict(ns=ns, name=name, args=list(args))
        if token:
            fields['ack'] = token
        self._cmd('emit', **fields)
        return token

    def send(self, data: str, ns: str = '', ack: bool = False) -> Optional[str]:
        token = self.driver.next_token('%s-ack' % self.client_id) if ack else None
        self._cmd('send', ns=ns, data=data, **({'ack': token} if token else {}))
        return token

    def json(self, data: Any, ns: str = '', ack: bool = False) -> Optional[str]:
        token = self.driver.next_token('%s-ack' % self.client_id) if ack else None
        self._cmd('json', ns=ns, data=data, **({'ack': token} if token else {}))
        return token

    def wait_ack(self, token: str, timeout: float = 15.0) -> list:
        return self.wait_report('ack', ack=token, timeout=timeout)['args']

    def reply(self, name: str, *args: Any, ns: str = '') -> None:
        self._cmd('reply', ns=ns, name=name, args=list(args))

    def disconnect(self, ns: str = '') -> None:
        self._cmd('disconnect', ns=ns)

    def drop(self, reset: bool = False, timeout: float = 15.0) -> dict:
        since = self.driver.mark()
        self._cmd('drop', reset=reset)
        return self.wait_report('dropped', since=since, timeout=timeout)

    def state(self, timeout: float = 15.0) -> dict:
        since = self.driver.mark()
        self._cmd('state')
        return self.wait_report('state', since=since, timeout=timeout)

    def wait_event(self, name: str, ns: str = '', timeout: float = 15.0,
                   since: Optional[int] = None,
                   predicate: Optional[Callable[[dict], bool]] = None) -> list:
        """Args of the first event ``name`` on ``ns`` (from ``since``, default: the start)."""
        return self.wait_report('event', name=name, ns=ns, timeout=timeout,
                                since=since or 0, predicate=predicate)['args']

    def events(self, name: Optional[str] = None, ns: str = '') -> list:
        """Args of every event received so far (optionally only ``name``)."""
        match: dict = dict(ev='event', client=self.client_id, ns=ns)
        if name is not None:
            match['name'] = name
        return [r['args'] for r in self.driver.reports(**match)]

    def packets_seen(self, type: Optional[str] = None) -> list:
        """Raw packets received so far (optionally only of ``type``)."""
        return [r['packet'] for r in self.driver.reports(ev='packet', client=self.client_id)
                if type is None or r['packet'].get('type') == type]
