"""The handler remembers parsed transport paths; what it answers must not change."""

from __future__ import annotations

import pytest

from geventsio.http import handler
from geventsio.protocol import parse_target

PATHS = ["/socket.io/1/xhr-polling/abc", "/socket.io/1/xhr-polling/abc/",
         "/socket.io/1//abc", "/socket.io/1/", "/socket.io/", "/socket.io/socket.io.js",
         "/socket.io/2/xhr-polling/abc", "/socket.io/1/x/y/z", "/elsewhere", "/"]


@pytest.mark.parametrize("resource", ["socket.io", "api/socket.io"])
def test_remembered_targets_are_what_parse_target_says(resource):
    for _ in range(2):  # the second time from the cache
        for path in PATHS:
            assert handler._target_of(path, resource) == parse_target(path, resource), path


def test_only_transport_paths_are_kept_and_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(handler, "_TARGETS", {})
    handler._target_of("/elsewhere", "socket.io")
    handler._target_of("/socket.io/1/", "socket.io")
    assert handler._TARGETS == {}
    for i in range(handler._TARGETS_KEPT * 3):
        handler._target_of(f"/socket.io/1/xhr-polling/s{i}", "socket.io")
        assert len(handler._TARGETS) <= handler._TARGETS_KEPT
    assert ("/socket.io/1/xhr-polling/s0", "socket.io") not in handler._TARGETS
