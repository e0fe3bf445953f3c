"""fuzz/atheris_protocol.py is run by hand (docs/fuzzing.md), so the suite keeps it
importable and runs each of its targets on a few inputs, with atheris stood in for."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import types

import pytest

from geventsio.protocol.frames import Opcode, encode_frame

from .conftest import ROOT


@pytest.fixture
def script(monkeypatch):
    stand_in = types.SimpleNamespace(
        instrument_imports=lambda include: contextlib.nullcontext(),
        Setup=lambda argv, fn: None, Fuzz=lambda: None)
    monkeypatch.setitem(sys.modules, "atheris", stand_in)
    path = os.path.join(ROOT, "fuzz", "atheris_protocol.py")
    spec = importlib.util.spec_from_file_location("atheris_protocol", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_target_runs_on_good_and_bad_input(script):
    frames = encode_frame(Opcode.TEXT, "5:::{}".encode(), mask=b"abcd") * 2
    inputs = [b"3:::1", "\ufffd3\ufffd2::".encode(), b"/socket.io/1/?t=1&i=2",
              b"\x00d=%22x%22", b"Host: a\r\nX: y\r\n\r\n", b"\x03\x02" + frames]
    for index, body in enumerate(inputs):
        script.test_one_input(bytes([index]) + body)
        script.test_one_input(bytes([index]) + os.urandom(64))
    assert len(script.TARGETS) == len(inputs)


def test_the_frame_target_holds_the_message_limit(script, monkeypatch):
    big = encode_frame(Opcode.TEXT, b"x" * 200, mask=b"abcd")
    script.test_one_input(bytes([5, 4, 7]) + big)  # limit 1000: accepted
    monkeypatch.setattr(script, "FrameParser", lambda limit: _Unlimited())
    with pytest.raises(AssertionError, match="passed a limit"):
        script.test_one_input(bytes([5, 0, 255]) + big)  # limit 1, parser that ignores it


class _Unlimited:
    def feed(self, data: bytes) -> list:
        from geventsio.protocol.frames import Message
        return [Message("y" * 50)] if data else []
