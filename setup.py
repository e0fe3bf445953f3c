"""Packaging for geventsio."""

import atexit
import os
import re
import shutil
import tempfile

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "geventsio", "__init__.py"), encoding="utf-8") as fh:
    VERSION = re.search(r'^__version__ = "([^"]+)"', fh.read(), re.M).group(1)

with open(os.path.join(HERE, "README.md"), encoding="utf-8") as fh:
    LONG_DESCRIPTION = fh.read()

# Build in a temporary directory, not in the checkout: `pip install .` leaves no build/
# and no geventsio.egg-info behind (setuptools' defaults put both next to this file).
OUT_OF_TREE = tempfile.mkdtemp(prefix="geventsio-build-")
atexit.register(shutil.rmtree, OUT_OF_TREE, ignore_errors=True)

setup(
    options={"build": {"build_base": OUT_OF_TREE}, "egg_info": {"egg_base": OUT_OF_TREE}},
    name="geventsio",
    version=VERSION,
    description="A gevent server for Socket.IO 0.7-0.9 clients (protocol revision 1)",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["geventsio", "geventsio.*"]),
    # PEP 561: the package ships its type hints.
    package_data={"geventsio": ["py.typed"]},
    python_requires=">=3.10",
    install_requires=[
        "gevent>=22.10",
        "greenlet>=2.0",
        # the websocket transport of the Python client (geventsio.client)
        "websocket-client>=1.6",
    ],
    extras_require={
        # A faster JSON codec, used when installed; the wire text stays the same.
        "fast": ["orjson>=3.9"],
        # orjson: the tests hold both JSON backends to the same vectors; Flask, Pyramid
        # (with PasteDeploy's pserve), Django: the examples and the gevent-socketio style
        # apps (tests/compat); gunicorn: the worker tests; prometheus_client: the metrics
        # page; sphinx and myst-parser: tests/test_docs_site.py builds the docs with -W;
        # ruff and mypy: .ci/run checks the package with them (settings in pyproject.toml);
        # redis: the many-process tests against a real redis-server;
        # gevent-websocket: the raw baseline of the benchmarks' smoke test (the server
        # itself no longer uses it: the upgrade and the frames are geventsio's own).
        "test": ["gevent-websocket>=0.10.1", "pytest>=7", "pytest-timeout>=2", "hypothesis>=6", "orjson>=3.9",
                 "flask>=2", "pyramid>=2", "pastedeploy>=3", "django>=4.2",
                 "gunicorn[gevent]>=21", "prometheus_client>=0.16", "sphinx>=7",
                 "myst-parser>=2", "ruff>=0.4", "mypy>=1.8", "redis>=4.5"],
        # message_queue='redis://...': many processes (docs/scaling.md).
        "redis": ["redis>=4.5"],
        # The Prometheus page at metrics_path=.
        "metrics": ["prometheus_client>=0.16"],
        # the documentation site: sphinx-build -W docs docs/_build
        "docs": ["sphinx>=7", "myst-parser>=2"],
        # gunicorn's own gevent extra brings what its gevent worker imports (packaging).
        "gunicorn": ["gunicorn[gevent]>=21"],
    },
    entry_points={
        # PasteDeploy: `use = egg:geventsio` in an ini's [server:main] (pserve), and
        # gevent-socketio's runner under our name: `use = egg:geventsio#paster`.
        "paste.server_runner": ["main = geventsio.paste:server_runner",
                                "paster = geventsio.server:serve_paste"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Server",
        "License :: OSI Approved :: MIT License",
    ],
)
