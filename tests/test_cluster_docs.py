"""docs/scaling.md: its picture is what its script draws, and the keys it lists are the
keys the code uses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from geventsio.cluster.keys import Keys

from .conftest import ROOT

DOCS = os.path.join(ROOT, "docs")


def test_the_committed_cluster_figure_is_what_the_script_draws(tmp_path) -> None:
    for name in ("figures.py", "scaling_figure.py"):
        shutil.copy(os.path.join(DOCS, "images", name), tmp_path / name)
    subprocess.run([sys.executable, str(tmp_path / "scaling_figure.py")], check=True,
                   timeout=60)
    with open(os.path.join(DOCS, "images", "cluster.svg"), encoding="utf-8") as fh:
        assert (tmp_path / "cluster.svg").read_text(encoding="utf-8") == fh.read()


def test_the_key_table_names_every_key_the_code_makes() -> None:
    with open(os.path.join(DOCS, "scaling.md"), encoding="utf-8") as fh:
        page = fh.read()
    keys = Keys("")
    made = [keys.handshake("<sid>"), keys.owner("<sid>"), keys.node_alive("<id>"), keys.nodes,
            keys.node_sids("<id>"), keys.namespace("<endpoint>"),
            keys.room("<endpoint>", "<room>"), keys.joined("<sid>"), keys.store("<sid>"),
            keys.ended("<sid>")]
    documented = set(re.findall(r"^\| `([^`]+)`", page, re.M))
    documented |= {part for row in re.findall(r"^\| `[^`]+` / `([^`]+)`", page, re.M)
                   for part in [row]}
    for key in made:
        assert key in documented, (key, sorted(documented))
