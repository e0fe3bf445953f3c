"""The Python snippets in the docs compile and every name they import exists; the ones
written as interactive sessions (``>>>``) run, and must print what the page shows."""

from __future__ import annotations

import ast
import doctest
import importlib
import os
import re

import pytest

from .conftest import ROOT

DOCS = os.path.join(ROOT, "docs")
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
#: api.md's python blocks are signatures (``f(x) -> int``), not code.
_SIGNATURE_PAGES = {"api.md"}


def _snippets() -> list[tuple[str, int, str]]:
    found = []
    for folder, _dirs, files in sorted(os.walk(DOCS)):
        for file_name in sorted(files):
            name = os.path.relpath(os.path.join(folder, file_name), DOCS)
            if name.endswith(".md") and name not in _SIGNATURE_PAGES:
                with open(os.path.join(DOCS, name), encoding="utf-8") as fh:
                    for i, block in enumerate(_BLOCK.findall(fh.read())):
                        found.append((name, i, block))
    return found


SNIPPETS = _snippets()


def test_the_feature_pages_have_snippets():
    pages = {name for name, _i, _block in SNIPPETS}
    assert {"rooms.md", "volatile.md", "storage.md", "authorization.md", "porting.md"} <= pages


@pytest.mark.parametrize("page, index, source", SNIPPETS,
                         ids=[f"{name}#{i}" for name, i, _ in SNIPPETS])
def test_snippet_compiles_and_its_imports_exist(page, index, source):
    if source.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(source, {}, f"{page}#{index}", page, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.summarize(verbose=False).failed == 0, f"{page} block {index}"
        return
    tree = ast.parse(source, filename=f"{page} block {index}")
    compile(tree, page, "exec")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{page}: {node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
