"""HeldTransport, the base of the transports that hold their connection, as a unit.

A real socket pair stands for the connection; the session is a placeholder (the base only
keeps it for its subclasses). Each test checks one promise of the base: the grace timer
cuts a connection whose writer cannot finish, the writer greenlet never outlives its
transport, a failed write marks the transport closing, a replaced transport lets go at once.
"""

from __future__ import annotations

import socket

import gevent
import pytest
from gevent.socket import socketpair

from geventsio.transports import held
from geventsio.transports.held import HeldTransport

from .conftest import wait_until


class Probe(HeldTransport):
    """The base with a writer that only counts how often it was woken."""

    __slots__ = ("wakes",)

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(session=object(), sock=sock)  # type: ignore[arg-type]
        self.wakes = 0

    def _wake_writer(self) -> None:
        self.wakes += 1


@pytest.fixture
def pair():
    ours, peer = socketpair()
    peer.settimeout(10)
    yield ours, peer
    ours.close()
    peer.close()


def test_session_closed_wakes_the_writer_and_cuts_the_connection_after_the_grace(
        pair, monkeypatch):
    monkeypatch.setattr(held, "FLUSH_GRACE", 0.2)
    ours, peer = pair
    transport = Probe(ours)
    transport.session_closed()
    timer = transport._grace_timer
    transport.session_closed()  # a second call re-arms nothing
    assert transport._grace_timer is timer and timer.active
    assert transport.wakes == 2 and transport._closing
    assert peer.recv(1) == b""  # shut down by the grace timer: the peer sees EOF
    transport._release()
    assert not timer.active


def test_release_kills_a_writer_that_does_not_finish(pair, monkeypatch):
    monkeypatch.setattr(held, "WRITER_EXIT_TIMEOUT", 0.1)
    ours, peer = pair
    transport = Probe(ours)
    transport._spawn_writer(gevent.sleep, 60)
    writer = transport._writer
    gevent.sleep(0)
    transport._release()
    assert writer.dead
    assert peer.recv(1) == b""


def test_release_lets_a_writer_finish_its_write(pair):
    ours, peer = pair
    transport = Probe(ours)
    transport._spawn_writer(transport._send, b"last words")
    writer = transport._writer
    transport._release()
    assert writer.dead and writer.value is True
    received = b""
    while chunk := peer.recv(64):
        received += chunk
    assert received == b"last words"


def test_a_failed_write_marks_the_transport_closing(pair):
    ours, peer = pair
    transport = Probe(ours)
    peer.close()
    wait_until(lambda: not transport._send(b"x" * 65536))
    assert transport._closing


def test_replaced_cuts_the_connection_at_once(pair):
    ours, peer = pair
    transport = Probe(ours)
    transport.replaced()
    assert transport._closing and transport.wakes == 0
    assert peer.recv(1) == b""


def test_the_connection_is_shut_down_once(pair):
    """Every way to end (replaced, the grace timer, the release) shuts the connection
    down, and only the first costs a system call: the peer sees EOF after the first."""
    ours, peer = pair
    calls: list[int] = []

    class Counting:
        def shutdown(self, how: int) -> None:
            calls.append(how)
            ours.shutdown(how)

    transport = Probe(Counting())  # type: ignore[arg-type]
    transport.replaced()
    assert peer.recv(1) == b""
    transport._shutdown()
    transport._release()
    assert calls == [socket.SHUT_RDWR]
