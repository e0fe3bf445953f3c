"""The protocol package imports no I/O: only an allow-list of stdlib modules and itself."""

import ast
from pathlib import Path

import pytest

import geventsio

PACKAGE = Path(geventsio.__file__).parent
PROTOCOL = PACKAGE / "protocol"
PROTOCOL_MODULES = frozenset(path.stem for path in PROTOCOL.glob("*.py"))

ALLOWED_STDLIB = frozenset(
    [
        "__future__",
        "base64",
        "collections.abc",
        "dataclasses",
        "enum",
        "functools",
        "http",
        "json",
        "math",
        "orjson",  # the optional fast JSON codec: pure, no I/O
        "re",
        "secrets",
        "typing",
        "urllib.parse",
    ]
)
NEVER = ("gevent", "socket", "select", "selectors", "threading", "wsgiref", "asyncio", "ssl")


def _relative_ok(node: ast.ImportFrom, in_protocol: bool) -> bool:
    """``from .x import`` a sibling protocol module, or ``from ..exceptions import``."""
    if not in_protocol:
        return False  # exceptions.py is the root: it imports nothing of the package
    targets = [node.module] if node.module else [alias.name for alias in node.names]
    if node.level == 1:
        return all(target in PROTOCOL_MODULES for target in targets)
    return node.level == 2 and targets == ["exceptions"]


def forbidden_imports(source: str, in_protocol: bool = True) -> list[str]:
    """Return a description of every import in ``source`` that the pure package may not make."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            bad += [alias.name for alias in node.names if alias.name not in ALLOWED_STDLIB]
        elif isinstance(node, ast.ImportFrom) and node.level:
            if not _relative_ok(node, in_protocol):
                bad.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.ImportFrom) and node.module not in ALLOWED_STDLIB:
            bad.append(str(node.module))
    return bad


CHECKED_FILES = sorted(PROTOCOL.glob("*.py")) + [PACKAGE / "exceptions.py"]


def test_protocol_package_has_the_expected_modules():
    assert {"packets", "codec", "payload", "handshake", "__init__"} <= PROTOCOL_MODULES


@pytest.mark.parametrize("path", CHECKED_FILES, ids=lambda path: path.name)
def test_module_imports_only_allowed_modules(path):
    source = path.read_text(encoding="utf-8")
    assert forbidden_imports(source, in_protocol=path.parent == PROTOCOL) == []
    for name in NEVER:
        assert f"import {name}" not in source


@pytest.mark.parametrize(
    "source",
    [
        "import gevent",
        "import gevent.monkey",
        "from gevent import monkey",
        "import socket",
        "import json, socket",
        "from select import select",
        "import threading",
        "from wsgiref import util",
        "import http.client",
        "from urllib import request",
        "from ..transports import websocket",
        "from .. import session",
        "from ...x import y",
        "from .nonexistent import thing",
        "def f():\n    import gevent\n",
        "try:\n    import requests\nexcept ImportError:\n    pass\n",
    ],
)
def test_checker_catches_forbidden_imports(source):
    assert forbidden_imports(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "import json",
        "import urllib.parse",
        "from urllib.parse import unquote_to_bytes",
        "from http import HTTPStatus",
        "from collections.abc import Sequence",
        "from __future__ import annotations",
        "from .codec import json_dumps",
        "from . import packets",
        "from ..exceptions import ProtocolError",
        "from .. import exceptions",
    ],
)
def test_checker_allows_pure_imports(source):
    assert forbidden_imports(source) == []


def test_exceptions_module_may_not_import_the_package():
    assert forbidden_imports("from .protocol import codec", in_protocol=False) != []
    assert forbidden_imports("from . import session", in_protocol=False) != []
    assert forbidden_imports("import enum\nfrom http import HTTPStatus", in_protocol=False) == []
