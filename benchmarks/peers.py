"""Install the peers the benchmarks compare against, into ``benchmarks/.peers/`` (git-ignored).

- ``.peers/node_modules``: socket.io 0.9.19, the reference server (from npm);
- ``.peers/venv``: python-socketio 5, gevent, gevent-websocket (the Python peer and the raw
  ceiling), orjson (geventsio's fast JSON codec), matplotlib (the chart), py-spy (profiles)
  and redis (the many-process servers' message queue).

Nothing here is needed by the test suite; everything is fetched through npm and pip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = os.path.join(HERE, ".peers")
NODE_MODULES = os.path.join(PEERS, "node_modules")
VENV = os.path.join(PEERS, "venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")

NODE_PACKAGES = {"socket.io": "0.9.19"}
PYTHON_PACKAGES = [
    "python-socketio>=5,<6", "gevent", "gevent-websocket", "orjson", "matplotlib", "py-spy",
    "redis",
]


def node_ready() -> bool:
    """Whether socket.io 0.9.19 is installed for the reference server."""
    return os.path.isfile(os.path.join(NODE_MODULES, "socket.io", "package.json"))


def venv_ready() -> bool:
    """Whether the peers venv has everything (checked by importing it all)."""
    if not os.path.isfile(VENV_PYTHON):
        return False
    probe = "import socketio, gevent, geventwebsocket, orjson, matplotlib, redis"
    return subprocess.run([VENV_PYTHON, "-c", probe], capture_output=True).returncode == 0


def install_node() -> None:
    """``npm install`` socket.io 0.9.19 into .peers (no lock file is written)."""
    os.makedirs(PEERS, exist_ok=True)
    manifest = {"name": "geventsio-bench-peers", "private": True,
                "description": "Peers installed by benchmarks/peers.py; not committed",
                "dependencies": NODE_PACKAGES}
    with open(os.path.join(PEERS, "package.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--package-lock=false"],
                   cwd=PEERS, check=True)


def install_venv() -> None:
    """Create .peers/venv and pip install the Python peers into it."""
    if not os.path.isfile(VENV_PYTHON):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PYTHON, "-m", "pip", "install", "-q", *PYTHON_PACKAGES], check=True)


def ensure(log: bool = True) -> None:
    """Install whatever peer is missing (a no-op when all are there)."""
    if not node_ready():
        if log:
            print("benchmarks: installing socket.io 0.9.19 into benchmarks/.peers ...", flush=True)
        install_node()
    if not venv_ready():
        if log:
            print("benchmarks: installing the Python peers into benchmarks/.peers/venv ...",
                  flush=True)
        install_venv()


if __name__ == "__main__":
    ensure()
