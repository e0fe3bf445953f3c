"""The package's layers import downwards only (docs/architecture.md draws them).

protocol (pure) < core < transports < http < the top level (application API, entry
points, the Python client, and ``cluster/``, which the server uses to join many processes
and which the lower layers reach only through ``manager.cluster``). ``geventsio.exceptions`` is shared by all and imports nothing
of the package. Imports under ``if TYPE_CHECKING:`` are type references, not
dependencies, and are not counted.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "geventsio"
RANKS = {"exceptions": 0, "protocol": 1, "core": 2, "transports": 3, "http": 4}
TOP = 5


def rank(module: str) -> int:
    """The layer of ``geventsio.x.y``: its first component's rank, the top otherwise."""
    parts = module.split(".")
    return RANKS.get(parts[1], TOP) if len(parts) > 1 else TOP


def runtime_imports(path: pathlib.Path) -> list[str]:
    """Absolute names of the package modules ``path`` imports outside TYPE_CHECKING."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            found.append(".".join(base + ([node.module] if node.module else [])))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geventsio"):
            found.append(node.module or "")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("geventsio")]
    return found


def violations(path: pathlib.Path) -> list[str]:
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    own = rank(module.removesuffix(".__init__"))
    return [f"{module} imports {target}" for target in runtime_imports(path)
            if rank(target) > own]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_its_own_layer_or_those_below(path):
    assert violations(path) == []


def test_the_checker_sees_an_upward_import(tmp_path):
    fake = PACKAGE / "core" / "config.py"
    source = fake.read_text(encoding="utf-8") + "\nfrom ..http import handler\n"
    target = tmp_path / "geventsio" / "core" / "config.py"
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    assert rank("geventsio.http.handler") > rank("geventsio.core.config")
    original = PACKAGE
    try:
        globals()["PACKAGE"] = tmp_path / "geventsio"
        assert violations(target) == ["geventsio.core.config imports geventsio.http"]
    finally:
        globals()["PACKAGE"] = original
