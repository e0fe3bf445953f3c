"""Security findings at the session and websocket level, each over real sockets.

One client flooding, a slow reader, a handler's unencodable answer, an overflow burst,
pongs during a large write, per-client caps, a polling request for a websocket session,
and the log a client can cause. See docs/security.md for the limits these hold.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import time
from typing import Any

import gevent
import pytest

from geventsio import BaseNamespace, LimitExceeded
from geventsio.core.loglimit import BURST
from geventsio.protocol import encode_payload

from .conftest import ROOT, wait_until
from .rawclient import RawWebSocket, XhrClient, handshake, open_websocket, request


class Counter:
    ticks = 0


def make_app(counter: type[Counter]) -> dict[str, type]:
    class App(BaseNamespace):
        def on_tick(self) -> None:
            counter.ticks += 1

        def on_echo(self, *args: Any) -> None:
            self.emit("echo", *args)

        def on_ack_me(self, *args: Any) -> Any:
            return args

        def on_unencodable(self) -> Any:
            return object()

        def on_boom(self) -> None:
            raise RuntimeError("boom from the handler")

        def on_join(self, room: str) -> int:
            self.join(room)
            return len(self.rooms)

        def on_store(self, key: str, value: Any) -> bool:
            self.set(key, value)
            return True

        def on_ask_many(self, count: int) -> Any:
            sent = 0
            try:
                for _ in range(count):
                    self.emit("question", callback=lambda *a: None)
                    sent += 1
            except LimitExceeded as exc:
                return sent, exc.limit
            return sent, None

        def on_big(self, size: int) -> None:
            self.emit("big", "x" * size)

    return {"": App}


@pytest.fixture
def counter() -> type[Counter]:
    class Mine(Counter):
        pass
    return Mine


@pytest.fixture
def server(make_server, counter):
    return make_server(namespaces=make_app(counter), heartbeat_interval=1,
                       heartbeat_timeout=10, close_timeout=10, polling_duration=1)


# -- 1. one client must not starve the others ---------------------------------------------


def _start_flooder(port: int, sid: str, mode: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.flooder", str(port), sid, mode,
                             str(seconds)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    with gevent.Timeout(30):  # subprocess is gevent's here: the read is cooperative
        line = proc.stdout.readline()
    assert line.strip() == "flooding", line
    return proc


def _handshake_times(port: int, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.monotonic()
        response = request(port, "GET", "/socket.io/1/?t=1", timeout=5)
        assert response.status == 200, response
        times.append(time.monotonic() - started)
    return times


@pytest.mark.parametrize("mode", ["frames", "pings", "posts"])
def test_a_flooding_client_does_not_starve_another_clients_handshake(server, counter, mode):
    sid = handshake(server.port)
    session = server.manager.sessions[sid]
    proc = _start_flooder(server.port, sid, mode, seconds=60)
    try:
        if mode == "pings":
            wait_until(lambda: session.transport is not None, timeout=15)
        else:
            wait_until(lambda: counter.ticks > 0, timeout=15)
        before = counter.ticks
        times = _handshake_times(server.port, 15)
        # Without turns a handshake waited for the flood to end (seconds, here a minute);
        # with them it waits a few turns of the flooding reader. The bound is generous
        # for a loaded machine, far below what starvation costs.
        assert statistics.median(times) < 0.5, times
        assert proc.poll() is None, "the flood stopped before the measurement ended"
        if mode != "pings":
            assert counter.ticks - before > 1000, "the flood was not being served meanwhile"
    finally:
        proc.kill()
        proc.wait(timeout=10)


# -- 3. outbound bytes per client are bounded --------------------------------------------


def test_a_stalled_reader_is_disconnected_at_the_byte_bound_and_readers_get_everything(
        make_server, counter):
    bound = 1 << 20
    live = make_server(namespaces=make_app(counter), max_buffer_bytes=bound)
    stalled_sid, stalled = open_websocket(live.port)
    readers = [open_websocket(live.port) for _ in range(2)]
    for sid, _ in [(stalled_sid, None), *readers]:
        live.manager.sessions[sid].namespaces[""].join("room")
    stalled_session = live.manager.sessions[stalled_sid]
    got: dict[str, int] = {sid: 0 for sid, _ in readers}

    def read(sid: str, ws: RawWebSocket) -> None:
        while got[sid] < 200:
            if ws.recv_text().startswith('5:::{"name":"news"'):
                got[sid] += 1

    reading = [gevent.spawn(read, sid, ws) for sid, ws in readers]
    most_queued = 0
    try:
        chunk = "y" * 32_000
        for i in range(200):  # 6.4 MB to each member; the stalled one reads nothing
            # the readers keep up (they share this process); the stalled one never reads
            wait_until(lambda: min(got.values()) >= i - 10, timeout=30)
            live.server.of("").to("room").emit("news", i, chunk)
            most_queued = max(most_queued, stalled_session.outbox.size)
        gevent.joinall(reading, timeout=60, raise_error=True)
        assert got == {sid: 200 for sid, _ in readers}
        wait_until(lambda: stalled_session.close_reason is not None)
        assert stalled_session.close_reason == "outbox full"
        assert most_queued <= bound
        assert stalled_session.outbox.size == 0  # what waited for it is let go at once
    finally:
        for _, ws in [(stalled_sid, stalled), *readers]:
            ws.close()
    live.wait_sessions(0)


def test_a_packet_larger_than_the_byte_bound_disconnects(make_server, counter, caplog):
    live = make_server(namespaces=make_app(counter), max_buffer_bytes=10_000)
    sid, ws = open_websocket(live.port)
    try:
        ws.send_text('5:::{"name":"big","args":[20000]}')
        assert ws.recv_close_code() == 1000
        assert live.manager.sessions.get(sid) is None
        assert "disconnecting slow client" in caplog.text
    finally:
        ws.close()


# -- 6. a handler's answer JSON cannot encode -------------------------------------------


def test_unencodable_answer_on_websocket_is_an_error_event_and_the_session_goes_on(server):
    sid, ws = open_websocket(server.port)
    try:
        ws.send_text('5:1+::{"name":"unencodable"}')
        error = json.loads(ws.recv_until(lambda t: '"error"' in t).split(":::", 1)[1])
        assert error == {"name": "error",
                         "args": ["handler_error", "the server could not encode its answer"]}
        ws.send_text('5:2+::{"name":"ack_me","args":[1]}')
        assert ws.recv_until(lambda t: t.startswith("6:::")) == "6:::2+[1]"
        assert server.manager.sessions[sid].connected
    finally:
        ws.close()


def test_unencodable_answer_on_polling_loses_nothing_of_the_payload(server):
    client = XhrClient(server.port)
    client.poll()
    payload = encode_payload(['5:1+::{"name":"unencodable"}', '5:::{"name":"echo","args":[7]}'])
    assert client.post(payload).status == 200
    packets = client.poll()
    assert packets == ['5:::{"name":"error","args":["handler_error",'
                       '"the server could not encode its answer"]}',
                       '5:::{"name":"echo","args":[7]}']


# -- 7. an overflow closes once -----------------------------------------------------------


def test_a_burst_past_the_queue_closes_the_session_once(make_server, counter, caplog,
                                                        monkeypatch):
    from geventsio.core.session import Session

    live = make_server(namespaces=make_app(counter), max_queue=100)
    client = XhrClient(live.port)
    client.poll()
    session = live.manager.sessions[client.sid]
    closes = []
    real_close = Session.close
    monkeypatch.setattr(Session, "close",
                        lambda self, *a: (closes.append(a), real_close(self, *a))[1])
    # 500 acked events, no poll to take the answers: the queue overflows at the 101st
    payload = encode_payload([f'5:{i}+::{{"name":"ack_me","args":[{i}]}}' for i in range(1, 501)])
    client.post(payload)
    wait_until(lambda: not session.connected)
    warnings = [r for r in caplog.records if "disconnecting slow client" in r.getMessage()]
    assert len(warnings) == 1
    assert closes == [("outbox full", False)]
    wait_until(lambda: not live.manager.greenlets)


# -- 8. pongs never land inside a data frame --------------------------------------------


def test_pong_during_a_large_write_goes_between_frames(make_server, counter):
    size = 8_000_000
    live = make_server(namespaces=make_app(counter), max_buffer_bytes=64 << 20,
                       max_body_size=100)
    sid, ws = open_websocket(live.port)
    try:
        transport = live.manager.sessions[sid].transport
        ws.send_text(f'5:::{{"name":"big","args":[{size}]}}')
        # The client reads nothing yet: the server's writer blocks in the middle of the
        # big frame. Pings arrive meanwhile.
        wait_until(lambda: transport._writer is not None, timeout=15)
        for n in range(3):
            ws.send_frame(b"ping%d" % n, opcode=0x9)
        frames = []
        while not any(op == 0xA for op, _ in frames) or not any(
                op == 1 and p.startswith(b'5:::{"name":"big"') for op, p in frames):
            frames.append(ws.recv_frame())
        big = [p for op, p in frames if op == 1 and p.startswith(b'5:::{"name":"big"')]
        assert big == [b'5:::{"name":"big","args":["' + b"x" * size + b'"]}']
        pongs = [p for op, p in frames if op == 0xA]
        assert pongs and set(pongs) <= {b"ping0", b"ping1", b"ping2"}
        # the stream is still in step: an echo round trip (later pongs may come first)
        ws.send_text('5:::{"name":"echo","args":["after"]}')
        while True:
            opcode, payload = ws.recv_frame()
            if opcode == 0xA:
                assert payload in {b"ping0", b"ping1", b"ping2"}
                continue
            if opcode == 1 and b"after" in payload:
                break
        assert payload == b'5:::{"name":"echo","args":["after"]}'
    finally:
        ws.close()


def test_a_client_close_frame_is_echoed_after_pending_frames(server):
    _, ws = open_websocket(server.port)
    try:
        ws.send_frame((4001).to_bytes(2, "big") + b"bye", opcode=0x8)
        assert ws.recv_close_code() == 4001
    finally:
        ws.close()
    server.wait_sessions(0)


# -- 9. per-client caps -------------------------------------------------------------------


def _ask(ws: RawWebSocket, ack_id: int, name: str, *args: Any) -> str:
    ws.send_text(f"5:{ack_id}+::" + json.dumps({"name": name, "args": list(args)}))
    return ws.recv_until(lambda t: t.startswith(f"6:::{ack_id}+") or '"error"' in t)


def _limit_error(text: str) -> str:
    event = json.loads(text.split(":::", 1)[1])
    assert event["name"] == "error" and event["args"][0] == "limit_exceeded", text
    return event["args"][1]


@pytest.fixture
def capped(make_server, counter):
    return make_server(namespaces=make_app(counter), max_rooms_per_client=3,
                       max_room_name_length=10, max_store_keys=3, max_store_bytes=100,
                       max_pending_acks=4)


def test_rooms_per_client_and_room_name_length_are_capped(capped):
    sid, ws = open_websocket(capped.port)
    try:
        for n, room in enumerate(["a", "b", "c"], start=1):
            assert _ask(ws, n, "join", room) == f"6:::{n}+[{n}]"
        assert "max_rooms_per_client=3" in _limit_error(_ask(ws, 4, "join", "d"))
        assert _ask(ws, 5, "join", "a") == "6:::5+[3]"  # a room it is in already: fine
        assert "max_room_name_length=10" in _limit_error(_ask(ws, 6, "join", "r" * 11))
        assert capped.manager.index.rooms_of("", sid) == frozenset("abc")
    finally:
        ws.close()
    capped.wait_sessions(0)
    assert capped.manager.index.counts()["rooms"] == 0


def test_stored_values_are_capped_in_count_and_bytes(capped):
    sid, ws = open_websocket(capped.port)
    try:
        for n, key in enumerate(["k1", "k2", "k3"], start=1):
            assert _ask(ws, n, "store", key, n) == f"6:::{n}+[true]"
        assert "max_store_keys=3" in _limit_error(_ask(ws, 4, "store", "k4", 1))
        assert _ask(ws, 5, "store", "k1", "replaced") == "6:::5+[true]"
        assert "max_store_bytes=100" in _limit_error(_ask(ws, 6, "store", "k2", "v" * 200))
        store = capped.manager.store
        assert (store.get(sid, "k1"), store.get(sid, "k2")) == ("replaced", 2)
    finally:
        ws.close()
    capped.wait_sessions(0)
    assert len(capped.manager.store) == 0


def test_pending_acks_are_capped(capped):
    _, ws = open_websocket(capped.port)
    try:
        assert _ask(ws, 1, "ask_many", 10) == '6:::1+[4,"max_pending_acks"]'
    finally:
        ws.close()


# -- 10. a websocket session cannot be polled ---------------------------------------------


def test_polling_requests_for_a_websocket_session_are_refused(server, caplog):
    sid, ws = open_websocket(server.port)
    try:
        for method, body in (("GET", b""), ("POST", b'5:::{"name":"echo","args":["x"]}')):
            answer = request(server.port, method, f"/socket.io/1/xhr-polling/{sid}", body)
            assert (answer.status, answer.text) == (200, "7:::1+0")
        answer = request(server.port, "GET", f"/socket.io/1/jsonp-polling/{sid}?i=0")
        assert "7:::1+0" in answer.text
        assert "which a websocket holds" in caplog.text
        # the websocket still gets its own packets, and the POST did nothing
        ws.send_text('5:::{"name":"echo","args":["mine"]}')
        assert ws.recv_until(lambda t: "echo" in t) == '5:::{"name":"echo","args":["mine"]}'
    finally:
        ws.close()


# -- 11. what a client can make the server log --------------------------------------------


def test_repeated_bad_input_logs_a_few_lines_and_one_traceback(server, caplog):
    caplog.set_level(logging.DEBUG, logger="geventsio")
    sid, ws = open_websocket(server.port)
    try:
        for _ in range(50):
            ws.send_text("1::/bad")
            ws.send_text('5:::{"name":"boom"}')
        ws.send_text('5:1+::{"name":"ack_me","args":["done"]}')
        ws.recv_until(lambda t: t.startswith("6:::1+"), limit=500)
    finally:
        ws.close()
    mine = [r for r in caplog.records if sid in r.getMessage()]
    unknown = [r for r in mine if "unknown namespace" in r.getMessage()]
    raised = [r for r in mine if "handler on_boom raised" in r.getMessage()]
    assert len(unknown) == BURST and len(raised) == BURST
    assert sum(1 for r in raised if r.exc_info) <= 1  # the traceback once per process
    assert all(len(r.getMessage()) < 300 for r in unknown + raised)
    assert "RuntimeError: boom from the handler" in raised[0].getMessage()


def test_a_cause_logs_again_after_its_window_with_a_count(monkeypatch):
    from geventsio.core import loglimit

    clock = [1000.0]
    monkeypatch.setattr(loglimit.time, "monotonic", lambda: clock[0])
    limiter = loglimit.LogLimiter()
    assert [limiter.check("x") for _ in range(BURST)] == [""] * BURST
    assert limiter.check("x") is None and limiter.check("x") is None
    assert limiter.check("y") == ""  # causes are counted apart
    clock[0] += loglimit.WINDOW
    assert limiter.check("x") == " (2 more like it left out of the log)"


# -- 9. handshakes: a session cap and an optional rate per address ------------------------


def test_handshakes_past_max_sessions_get_503_and_sessions_that_leave_make_room(make_server):
    live = make_server(max_sessions=3, close_timeout=10, polling_duration=1)
    sids = [handshake(live.port) for _ in range(3)]
    refused = request(live.port, "GET", "/socket.io/1/?t=1")
    assert refused.status == 503 and b"max_sessions" in refused.body
    assert len(live.manager.sessions) == 3
    request(live.port, "GET", f"/socket.io/1/xhr-polling/{sids[0]}?disconnect=1")
    live.wait_sessions(2)
    assert request(live.port, "GET", "/socket.io/1/?t=1").status == 200


def test_handshakes_per_address_are_limited_when_asked(make_server):
    live = make_server(max_handshakes_per_address=2)
    answers = [request(live.port, "GET", "/socket.io/1/?t=1").status for _ in range(4)]
    assert answers[:2] == [200, 200] and 429 in answers[2:]
    assert len(live.manager.sessions) == answers.count(200)


def test_the_handshake_rate_refills_with_time(monkeypatch):
    from geventsio.core import admission
    from geventsio.exceptions import ProtocolError

    clock = [50.0]
    monkeypatch.setattr(admission.time, "monotonic", lambda: clock[0])
    gate = admission.Admission(max_sessions=100, rate=2)
    gate.admit(0, "a")
    gate.admit(0, "a")
    with pytest.raises(ProtocolError) as refused:
        gate.admit(0, "a")
    assert refused.value.status == 429
    gate.admit(0, "b")  # another address has its own allowance
    clock[0] += 0.5  # one more handshake's worth
    gate.admit(0, "a")
    with pytest.raises(ProtocolError):
        gate.admit(0, "a")


def test_the_total_of_all_queues_is_bounded_and_the_slowest_reader_goes(make_server, counter,
                                                                        caplog):
    per_client, total = 2 << 20, 3 << 20
    live = make_server(namespaces=make_app(counter), max_buffer_bytes=per_client,
                       max_total_buffer_bytes=total)
    stalled = [open_websocket(live.port) for _ in range(2)]
    reader_sid, reader = open_websocket(live.port)
    sessions = {sid: live.manager.sessions[sid] for sid, _ in stalled}
    for sid in [*sessions, reader_sid]:
        live.manager.sessions[sid].namespaces[""].join("room")
    got = [0]

    def read() -> None:
        while got[0] < 400:
            if reader.recv_text().startswith('5:::{"name":"news"'):
                got[0] += 1

    reading = gevent.spawn(read)
    most = 0
    try:
        for i in range(400):  # 12.8 MB to each member: more than socket buffers hold
            # the reader keeps up (it shares this process); the stalled ones never read
            wait_until(lambda: got[0] >= i - 10, timeout=30)
            live.server.of("").to("room").emit("news", i, "z" * 32_000)
            most = max(most, live.manager.budget.used)
        reading.get(timeout=60)
        assert got[0] == 400
        assert most <= total
        wait_until(lambda: all(s.close_reason for s in sessions.values()), timeout=30)
        assert {s.close_reason for s in sessions.values()} == {"outbox full"}
        assert "max_total_buffer_bytes is reached" in caplog.text
    finally:
        for _, ws in [*stalled, (reader_sid, reader)]:
            ws.close()
    live.wait_sessions(0)
    assert live.manager.budget.used == 0  # every queue gave its bytes back
