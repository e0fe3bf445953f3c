"""The documentation site builds with warnings as errors, and its pictures are what
docs/images/figures.py draws."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

DOCS = os.path.join(ROOT, "docs")


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        message = f"needs {module}: pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_sphinx_build_passes_with_warnings_as_errors(tmp_path):
    _require("sphinx")
    _require("myst_parser")
    out = tmp_path / "html"
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
                           "-b", "html", DOCS, str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for page in ("index", "how-it-works", "client", "testing-apps", "reference",
                 "integrations/flask", "integrations/pyramid", "integrations/django",
                 "integrations/relay-bot", "integrations/command-line", "quickstart"):
        assert (out / f"{page}.html").is_file(), page
    reference = (out / "reference.html").read_text(encoding="utf-8")
    for name in ("geventsio.client.client.Client", "geventsio.testing.AppServer",
                 "geventsio.server.SocketIOServer", "geventsio.protocol.codec.decode_packet"):
        assert f'id="{name}"' in reference, name  # generated from the docstrings
    assert (out / "_images" / "packet-flow.svg").is_file()


def test_the_committed_figures_are_what_the_script_draws(tmp_path):
    script = tmp_path / "figures.py"
    shutil.copy(os.path.join(DOCS, "images", "figures.py"), script)
    subprocess.run([sys.executable, str(script)], check=True, timeout=60)
    drawn = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert drawn == ["layers.svg", "packet-flow.svg", "reconnect-backoff.svg",
                     "transports-timeline.svg"]
    for name in drawn:
        with open(os.path.join(DOCS, "images", name), encoding="utf-8") as fh:
            assert (tmp_path / name).read_text(encoding="utf-8") == fh.read(), name
