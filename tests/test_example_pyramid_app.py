"""examples/pyramid_app started by ``pserve`` from its ini (``use = egg:geventsio``), in
headless Chromium with the 0.9.16 browser client: socketio_manage called from a view."""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

from .browser import Chromium, require_chromium
from .conftest import ROOT
from .served import ServedProcess

HAS_LINE = "(text) => Array.from(document.querySelectorAll('#lines p')).some((p) => p.textContent === text)"
STATUS = "() => document.getElementById('status').textContent"


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    require_chromium()
    with Chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def pserve() -> Iterator[ServedProcess]:
    command = os.path.join(os.path.dirname(sys.executable), "pserve")
    ini = os.path.join(ROOT, "examples", "pyramid_app", "development.ini")
    env = {"PYTHONPATH": os.path.join(ROOT, "examples", "pyramid_app")}
    with ServedProcess([command, ini, "http_port=0"], env=env) as served:
        yield served
        assert served.terminate() == 0


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_pyramid_example_in_chromium(browser, pserve, transport):
    url = f"{pserve.url}/?transport={transport}"
    ann, ben = browser.open(url), browser.open(url)
    for page in (ann, ben):
        page.wait(f"() => ({STATUS})() === 'connected via {transport}'")
        page.wait(HAS_LINE, "server: Hello from Pyramid")  # the ini's greeting, via request
    text = f"over {transport}: </script> \u00e9"
    ann.eval("""(text) => {
      document.getElementById('name').value = 'ann';
      document.getElementById('text').value = text;
      document.getElementById('say').click();
    }""", text)
    ben.wait(HAS_LINE, f"ann: {text}")
    ann.wait(HAS_LINE, f"ann: {text}")
    assert ann.close() == [] and ben.close() == []
