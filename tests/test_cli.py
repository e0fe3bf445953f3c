"""``python -m geventsio`` and the PasteDeploy runner (``pserve`` with ``egg:geventsio``),
as child processes, with the Python client talking to what they serve."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import gevent.event
import pytest

from geventsio.cli import server_options
from geventsio.client import Client, ConnectFailed, State

from .conftest import ROOT
from .served import ServedProcess

CLI = [sys.executable, "-m", "geventsio"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_help_lists_every_server_option():
    done = _run("--help")
    assert done.returncode == 0
    for name, _default in server_options():
        assert "--" + name.replace("_", "-") in done.stdout, name
    for flag in ("--namespace", "--host", "--port", "--no-access-log"):
        assert flag in done.stdout
    assert {"heartbeat_timeout", "transports", "origins", "authorization",
            "message_queue"} <= {name for name, _ in server_options()}


@pytest.mark.parametrize("argv, message", [
    (["no_such_module:app"], "cannot import module 'no_such_module'"),
    (["tests.cli_app:nope"], "module 'tests.cli_app' has no 'nope'"),
    (["tests.cli_app"], "is not an import path 'module:attribute'"),
    (["--namespace", "/chat"], "a namespace is ENDPOINT=module:Class"),
    (["--namespace", "/chat=tests.cli_app:NOT_A_CALLABLE"], "must be a BaseNamespace"),
    (["--heartbeat-timeout", "soon"], "heartbeat_timeout must be a number, got 'soon'"),
    (["--message-queue", "amqp://127.0.0.1:1/", "--heartbeat-interval", "2.5"],
     "message_queue must be a redis://"),
])
def test_bad_arguments_get_a_clear_error(argv, message):
    done = _run(*argv, "--port", "0")
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_serves_an_app_and_namespaces_until_sigterm():
    argv = [*CLI, "tests.cli_app:app", "--namespace", "/chat=tests.cli_app:Chat",
            "--port", "0", "--transports", "xhr-polling,jsonp-polling",
            "--authorization", "tests.cli_app:only_alice", "--heartbeat-timeout", "30",
            "--no-access-log"]
    with ServedProcess(argv) as served:
        with urllib.request.urlopen(served.url + "/plain") as response:
            assert response.read() == b"plain WSGI /plain"
        with pytest.raises(ConnectFailed, match="offers"):  # --transports was applied
            Client(served.url, transports=["websocket"], query={"who": "alice"}).connect()
        with pytest.raises(ConnectFailed) as refused:  # --authorization was applied
            Client(served.url, transports=["xhr-polling"], query={"who": "bob"}).connect()
        assert refused.value.status in (401, 403)

        client = Client(served.url, transports=["xhr-polling"], query={"who": "alice"},
                        reconnect=False).connect()
        assert client.heartbeat_timeout == 30  # --heartbeat-timeout was applied
        chat = client.of("/chat")
        total = gevent.event.AsyncResult()
        chat.emit("add", 2, 3, callback=total.set)
        assert total.get(timeout=10) == 5
        chat.emit("where")
        assert chat.wait_for("here") == ("/chat", "alice")

        assert served.terminate() == 0
        assert client.wait_for("disconnect", timeout=30)
        assert client.state is State.CLOSED


def test_pserve_starts_the_pyramid_example_from_its_ini():
    pserve = os.path.join(os.path.dirname(sys.executable), "pserve")
    ini = os.path.join(ROOT, "examples", "pyramid_app", "development.ini")
    env = {"PYTHONPATH": os.path.join(ROOT, "examples", "pyramid_app")}
    with ServedProcess([pserve, ini, "http_port=0"], env=env) as served:
        with urllib.request.urlopen(served.url + "/") as response:
            assert b"Pyramid chat" in response.read()
        client = Client(served.url, transports=["xhr-polling"], reconnect=False).connect()
        chat = client.of("/chat")
        assert chat.wait_for("said") == ("server", "Hello from Pyramid")  # from the ini
        ok = gevent.event.AsyncResult()
        chat.emit("say", "py", "hi", callback=ok.set)
        assert ok.get(timeout=10) is True
        assert chat.wait_for("said") == ("py", "hi")
        client.disconnect()
        assert served.terminate() == 0


def test_paste_settings_are_converted_and_checked():
    from geventsio import ConfigurationError
    from geventsio.paste import server_from_config

    from .cli_app import Chat, app

    server = server_from_config(app, port="0", namespaces="\n  /chat = tests.cli_app:Chat\n",
                                transports="websocket, xhr-polling", heartbeat_timeout="30",
                                policy_server="false")
    assert server.manager.namespaces == {"/chat": Chat}
    assert server.config.transports == ("websocket", "xhr-polling")
    assert server.config.heartbeat_timeout == 30 and server.config.policy_server is False
    with pytest.raises(ConfigurationError, match="unknown geventsio server option 'hearbeat'"):
        server_from_config(app, hearbeat="1")
    with pytest.raises(ConfigurationError, match="cannot import module 'nowhere'"):
        server_from_config(app, namespaces="/chat = nowhere:Chat")
