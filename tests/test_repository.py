"""The repository keeps its promises: README commands, CI, nothing downloaded committed."""

from __future__ import annotations

import re
import subprocess

from .conftest import ROOT


def _readme_commands() -> list[str]:
    with open(f"{ROOT}/README.md", encoding="utf-8") as fh:
        text = fh.read()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block and text.index(block.group(0)) < 30, "README must open with the commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("examples/chat/chat.py")
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    with open(f"{ROOT}/.ci/run", encoding="utf-8") as fh:
        ci_lines = [line.strip() for line in fh]
    assert _readme_commands()[1] in ci_lines


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.split()


def test_no_lock_file_vendored_client_or_registry_address_is_committed():
    files = _tracked_files()
    assert not [f for f in files if f.endswith(("package-lock.json", "socket.io.js", ".swf"))]
    assert not [f for f in files if f.startswith("node_modules/")]
    registries = ["registry." + "npmjs.org", "pypi." + "org/simple", "files." + "pythonhosted"]
    for name in files:
        try:
            with open(f"{ROOT}/{name}", encoding="utf-8") as fh:
                text = fh.read()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for address in registries:
            assert address not in text, f"{name} names a package registry"
