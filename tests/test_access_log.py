"""The access log: a line per request with a log, no formatting at all without one."""

from __future__ import annotations

import io

from geventsio.http.handler import SocketIOHandler

from .conftest import wait_until
from .rawclient import request


def test_log_none_formats_no_line_and_a_log_gets_one_per_request(make_server, monkeypatch):
    formatted = []
    original = SocketIOHandler.format_request

    def counting(self):
        formatted.append(self.path)
        return original(self)

    monkeypatch.setattr(SocketIOHandler, "format_request", counting)
    quiet = make_server(log=None)
    assert request(quiet.port, "GET", "/socket.io/1/?t=1").status == 200
    assert formatted == []

    log = io.StringIO()
    logged = make_server(log=log)
    assert request(logged.port, "GET", "/socket.io/1/?t=2").status == 200
    wait_until(lambda: '"GET /socket.io/1/?t=2 HTTP/1.1" 200' in log.getvalue(), timeout=10,
               describe=log.getvalue)
    assert formatted == ["/socket.io/1/?t=2"]
