"""examples/django_app in headless Chromium with the 0.9.16 browser client: a Django URL
route to socketio_manage, and Django's auth deciding at handshake who may connect."""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

from geventsio.client import Client, ConnectFailed
from geventsio.testing import AppServer

from .browser import Chromium, require_chromium
from .conftest import ROOT

STATUS = "() => document.getElementById('status').textContent"
HAS_LINE = "(text) => Array.from(document.querySelectorAll('#lines p')).some((p) => p.textContent === text)"
LOG_IN = """([user, password]) => {
  document.getElementById('username').value = user;
  document.getElementById('password').value = password;
  document.querySelector('#login button').click();
}"""


@pytest.fixture(scope="module")
def django_app(tmp_path_factory):
    os.environ["DJANGO_APP_DB"] = str(tmp_path_factory.mktemp("django") / "db.sqlite3")
    sys.path.insert(0, os.path.join(ROOT, "examples", "django_app"))
    import django_app  # the example module itself; configures Django once per process

    return django_app


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as chromium:
        yield chromium


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_django_example_in_chromium(browser, django_app, transport):
    server = django_app.make_server("127.0.0.1", 0, log=None, close_timeout=2,
                                    polling_duration=1)
    with AppServer(server=server) as served:
        url = f"{served.url}/?transport={transport}"
        with pytest.raises(ConnectFailed):  # no Django session: refused at handshake
            Client(served.url).connect(timeout=5)
        intruder = browser.open(url)
        intruder.eval(LOG_IN, ["alice", "guess"])
        assert intruder.wait(f"() => ({STATUS})() !== 'not connected' && ({STATUS})()") \
            == "login failed"
        intruder.eval("() => connect()")  # tries anyway, without a session
        assert intruder.wait(f"() => ({STATUS})().startsWith('refused') && ({STATUS})()") \
            == "refused: handshake unauthorized"
        intruder.close()

        alice, bob = browser.open(url), browser.open(url)
        for page, (user, password) in ((alice, ("alice", "wonderland")),
                                       (bob, ("bob", "builder"))):
            page.eval(LOG_IN, [user, password])
            assert page.wait(f"() => ({STATUS})().includes(' as ') && ({STATUS})()") \
                == f"connected via {transport} as {user}"
        text = f"hello from django over {transport} <i>x</i>"
        alice.eval("(text) => { document.getElementById('text').value = text;"
                   " document.querySelector('#say button').click(); }", text)
        bob.wait(HAS_LINE, f"alice: {text}")
        alice.wait(HAS_LINE, f"alice: {text}")
        assert alice.close() == [] and bob.close() == []
