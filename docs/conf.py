"""Sphinx configuration of the geventsio documentation site.

Build it with ``.venv/bin/pip install -e '.[docs]'`` then
``.venv/bin/sphinx-build -W -b html docs docs/_build/html`` (warnings are errors, as in
CI). The pages are Markdown, read by MyST; the API reference (``reference.md``) is
generated from the docstrings by autodoc.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

with open(os.path.join(ROOT, "geventsio", "__init__.py"), encoding="utf-8") as fh:
    release = re.search(r'^__version__ = "([^"]+)"', fh.read(), re.M).group(1)

project = "geventsio"
author = "the geventsio authors"
copyright = "the geventsio authors, MIT licence"
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]

myst_heading_anchors = 3  # links such as quickstart.md#server-options
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "alabaster"
html_title = f"geventsio {release}"

