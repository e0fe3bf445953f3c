"""examples/flask_app in headless Chromium with the 0.9.16 browser client: the Flask login
read at handshake, namespaces given to the server, and an emit from a normal Flask view."""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

from geventsio.client import Client, ConnectFailed
from geventsio.testing import AppServer

from .browser import Chromium, require_chromium
from .conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples", "flask_app"))

import flask_app  # noqa: E402  (the example module itself)

STATUS = "() => document.getElementById('status').textContent"
LINES = "() => Array.from(document.querySelectorAll('#lines p')).map((p) => p.textContent)"
HAS_LINE = "(text) => Array.from(document.querySelectorAll('#lines p')).some((p) => p.textContent === text)"
SUBMIT = """([form, field, value]) => {
  document.getElementById(field).value = value;
  document.querySelector('#' + form + ' button').click();
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as chromium:
        yield chromium


def _log_in(page, name: str) -> str:
    page.eval(SUBMIT, ["login", "name", name])
    return page.wait(f"() => ({STATUS})().includes(' as ') && ({STATUS})()")


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_flask_example_in_chromium(browser, transport):
    server = flask_app.make_server("127.0.0.1", 0, log=None, close_timeout=2,
                                   polling_duration=1)
    with AppServer(server=server) as served:
        url = f"{served.url}/?transport={transport}"
        stranger = browser.open(url)  # not logged in: authorization refuses the handshake
        stranger.eval("() => connect()")
        assert stranger.wait(f"() => ({STATUS})().startsWith('refused') && ({STATUS})()") \
            == "refused: handshake unauthorized"
        stranger.close()
        with pytest.raises(ConnectFailed):  # the same for any client without the cookie
            Client(served.url).connect(timeout=5)

        alice, bob = browser.open(url), browser.open(url)
        assert _log_in(alice, "alice") == f"connected via {transport} as alice"
        assert _log_in(bob, "bob") == f"connected via {transport} as bob"

        bob.eval(SUBMIT, ["publish", "title", "Views can emit"])  # POST /publish, a view
        for page in (alice, bob):
            page.wait(HAS_LINE, "headline: Views can emit (by bob)")

        text = "<b>not bold</b> \u00e9 \U0001F600"
        alice.eval(SUBMIT, ["comment", "text", text])
        bob.wait(HAS_LINE, f"alice: {text}")
        assert bob.eval("() => document.querySelectorAll('#lines b').length") == 0
        assert bob.eval(LINES) == ["headline: Views can emit (by bob)", f"alice: {text}"]
        assert alice.close() == [] and bob.close() == []
