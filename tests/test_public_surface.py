"""The names users import, old and new, and the type hints the package ships."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

import geventsio

from .conftest import ROOT


def test_everything_in_all_is_importable_from_the_package():
    for name in geventsio.__all__:
        assert getattr(geventsio, name) is not None, name
    for name in ("Emitter", "RoomsMixin", "BroadcastMixin", "ClientStore", "MemoryStore"):
        assert name in geventsio.__all__


@pytest.mark.parametrize("module, name", [
    ("geventsio.namespace", "BaseNamespace"),
    ("geventsio.mixins", "RoomsMixin"),
    ("geventsio.mixins", "BroadcastMixin"),
    ("geventsio.gunicorn", "GeventSocketIOWorker"),
    ("geventsio.server", "SocketIOServer"),
    ("geventsio.emitter", "Emitter"),
])
def test_the_import_paths_users_had_still_work(module, name):
    found = getattr(importlib.import_module(module), name)
    assert isinstance(found, type)
    if name in geventsio.__all__:
        assert found is getattr(geventsio, name)


def test_a_build_of_the_package_carries_py_typed(tmp_path):
    """PEP 561: the marker goes into what pip installs, next to the modules."""
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib",
                    str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    built = tmp_path / "geventsio"
    assert (built / "py.typed").is_file()
    for layer in ("protocol", "http", "transports", "core"):
        assert (built / layer / "__init__.py").is_file(), layer
    assert not os.path.exists(os.path.join(ROOT, "build"))
