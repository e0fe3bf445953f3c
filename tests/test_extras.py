"""Each extra of setup.py, installed into a clean virtualenv, gives what it promises.

The test suite's own environment has everything (pytest alone brings ``packaging``, which
hid that ``geventsio[gunicorn]`` once gave a worker that did not import), so this test
builds the package once as a wheel and installs it, extra by extra, into one new venv
with no site packages. It needs the package index to be reachable (pip's cache keeps the
repeat runs fast); a failure says which extra and shows pip's or Python's output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv

import pytest

from .conftest import ROOT

#: extra -> a program that must run once it is installed.
PROMISES = {
    "": "import geventsio; import geventsio.virtsocket, geventsio.packet, "
        "geventsio.policyserver, geventsio.defaultjson",
    "gunicorn": "import geventsio.gunicorn, geventsio.sgunicorn",
    "fast": "from geventsio.protocol.codec import JSON_BACKEND; "
            "assert JSON_BACKEND == 'orjson', JSON_BACKEND",
    "redis": "from gevent import monkey; monkey.patch_all(); "
             "from geventsio.cluster import open_backend; "
             "open_backend('redis://127.0.0.1:1/0').close()",
}


def _run(args: list[str], what: str, timeout: float = 300) -> str:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        pytest.fail(f"{what} failed (exit {done.returncode}); this test needs the package "
                    f"index reachable.\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def clean_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(python of a new venv without site packages, the geventsio wheel)."""
    where = tmp_path_factory.mktemp("extras")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(where / "venv")
    python = str(where / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python")
    # Built from a copy of the sources, so no build/ directory is left in the checkout
    # (and none left over from an earlier build can add stale modules to the wheel).
    source = where / "source"
    shutil.copytree(os.path.join(ROOT, "geventsio"), source / "geventsio",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("setup.py", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    wheels = where / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
          str(source)], "building the geventsio wheel")
    (wheel,) = wheels.glob("geventsio-*.whl")
    return python, wheel.as_uri()


def test_each_extra_imports_what_it_promises(clean_env: tuple[str, str]) -> None:
    python, wheel = clean_env
    probe = [python, "-c", "import gunicorn.workers.ggevent"]
    for extra, program in PROMISES.items():
        spec = f"geventsio[{extra}] @ {wheel}" if extra else f"geventsio @ {wheel}"
        _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", spec],
             f"pip install {spec!r}")
        done = subprocess.run([python, "-c", program], capture_output=True, text=True)
        assert done.returncode == 0, (
            f"after installing geventsio[{extra}] in a clean venv, {program!r} "
            f"failed:\n{done.stderr[-3000:]}")
        if not extra:  # the base install must not drag gunicorn in by accident
            assert subprocess.run(probe, capture_output=True).returncode != 0
