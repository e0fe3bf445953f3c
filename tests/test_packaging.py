"""Packaging: `pip install .` builds through pyproject.toml and leaves the checkout clean.

The build runs on a copy of the checkout (the files git tracks or would track), so a
regression cannot dirty the real one; pip builds in its isolated environment, as for a
user, which fetches setuptools from the package index the machine is set up with.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile

from .conftest import ROOT


def _checkout_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [name for name in out.splitlines() if os.path.isfile(os.path.join(ROOT, name))]


def _tree(root: str) -> set[str]:
    return {os.path.relpath(os.path.join(where, name), root)
            for where, _dirs, names in os.walk(root) for name in names}


def test_pip_builds_a_wheel_and_leaves_the_checkout_clean(tmp_path):
    copy = tmp_path / "checkout"
    for name in _checkout_files():
        os.makedirs(copy / os.path.dirname(name), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), copy / name)
    before = _tree(str(copy))
    scratch, wheels = tmp_path / "tmp", tmp_path / "wheels"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(wheels), "."], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=170)
    assert done.returncode == 0, done.stdout + done.stderr

    assert _tree(str(copy)) == before, "the build wrote into the checkout"
    assert [p for p in os.listdir(scratch) if p.startswith("geventsio-build-")] == []
    (wheel,) = os.listdir(wheels)
    with zipfile.ZipFile(wheels / wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"geventsio", wheel.split("-")[0] + "-" + wheel.split("-")[1]
                    + ".dist-info"}


def test_pyproject_names_the_build_system_and_pytest_reads_only_it():
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as fh:
        text = fh.read()
    assert '[build-system]' in text and 'build-backend = "setuptools.build_meta"' in text
    assert "[tool.pytest.ini_options]" in text
    tox = configparser.ConfigParser()
    tox.read(os.path.join(ROOT, "tox.ini"))
    # pytest would silently prefer pyproject.toml: a second settings block would be ignored.
    assert not tox.has_section("pytest")
    assert not os.path.exists(os.path.join(ROOT, "pytest.ini"))
    assert not os.path.exists(os.path.join(ROOT, "setup.cfg"))
