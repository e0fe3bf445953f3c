"""Packaging for geventsio."""

import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(HERE, "geventsio", "__init__.py"), encoding="utf-8") as fh:
    VERSION = re.search(r'^__version__ = "([^"]+)"', fh.read(), re.M).group(1)

with open(os.path.join(HERE, "README.md"), encoding="utf-8") as fh:
    LONG_DESCRIPTION = fh.read()

setup(
    name="geventsio",
    version=VERSION,
    description="A gevent server for Socket.IO 0.7-0.9 clients (protocol revision 1)",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["geventsio", "geventsio.*"]),
    python_requires=">=3.10",
    install_requires=[
        "gevent>=22.10",
        "gevent-websocket>=0.10.1",
        "greenlet>=2.0",
        # the websocket transport of the Python client (geventsio.client)
        "websocket-client>=1.6",
    ],
    extras_require={
        # A faster JSON codec, used when installed; the wire text stays the same.
        "fast": ["orjson>=3.9"],
        # orjson: the tests hold both JSON backends to the same vectors; Flask: the
        # gevent-socketio style example (examples/flask_rooms); gunicorn: the worker test.
        # pyramid (with PasteDeploy's pserve) and django: the integration examples;
        # sphinx and myst-parser: tests/test_docs_site.py builds the docs with -W.
        "test": ["pytest>=7", "pytest-timeout>=2", "hypothesis>=6", "orjson>=3.9",
                 "flask>=2", "gunicorn>=21", "pyramid>=2", "pastedeploy>=3",
                 "django>=4.2", "sphinx>=7", "myst-parser>=2"],
        # the documentation site: sphinx-build -W docs docs/_build
        "docs": ["sphinx>=7", "myst-parser>=2"],
        "gunicorn": ["gunicorn>=21"],
    },
    entry_points={
        # PasteDeploy: `use = egg:geventsio` in an ini's [server:main] (pserve).
        "paste.server_runner": ["main = geventsio.paste:server_runner"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Server",
        "License :: OSI Approved :: MIT License",
    ],
)
