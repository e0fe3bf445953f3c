"""The many-process test infrastructure itself (tests/cluster.py), with no message queue.

nginx really spreads requests over three server processes (round-robin, no affinity),
proxies websockets and polling, and its affinity variant pins one client address to one
process; the processes and gunicorn's workers answer, log, and stop by their PIDs.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from .cluster import GunicornWorkers, Nginx, ServerProcesses, http_get
from .conftest import ROOT, wait_until
from .nginxproxy import proxy_config
from .nodeclient import NodeSocket


@pytest.fixture(scope="module")
def three():
    with ServerProcesses(3) as processes:
        yield processes


def test_processes_answer_on_their_own_ports_with_their_own_pids(three):
    assert len(set(three.ports)) == 3
    for process in three.processes:
        assert int(http_get(process.url + "/cluster/pid")) == process.pid
        state = process.state()
        assert state["pid"] == process.pid and state["servers"] == 1
        assert "serving on" in process.log.text()


def test_round_robin_spreads_requests_and_handshakes_over_every_process(three):
    with Nginx(three.ports) as nginx:
        pids = [int(http_get(nginx.url + "/cluster/pid")) for _ in range(9)]
        assert Counter(pids) == {pid: 3 for pid in three.pids}
        for _ in range(6):
            assert b":" in http_get(nginx.url + "/socket.io/1/")
        wait_until(lambda: len(handshakes(nginx)) == 6, 10, lambda: str(nginx.access_log()))
        upstreams = Counter(entry["upstream"] for entry in handshakes(nginx))
        assert upstreams == {f"127.0.0.1:{port}": 2 for port in three.ports}


def handshakes(nginx: Nginx) -> list[dict[str, str]]:
    return [e for e in nginx.access_log() if e["uri"] == "/socket.io/1/"]


def test_affinity_pins_each_client_address_to_one_process(three):
    with Nginx(three.ports, affinity=True) as nginx:
        seen: dict[str, set[int]] = {}
        for n in range(2, 14):
            address = f"127.0.0.{n}"
            seen[address] = {int(http_get(nginx.url + "/cluster/pid", source=address))
                             for _ in range(4)}
        assert all(len(pids) == 1 for pids in seen.values()), seen
        assert len(set().union(*seen.values())) >= 2, seen  # still spread by address


@pytest.mark.parametrize("transport", ["websocket", "xhr-polling"])
def test_a_client_through_the_proxy_to_one_process(node, transport):
    """Through nginx the node client connects, joins and chats, on websocket and on
    xhr-polling (one process: every request of the session reaches its owner)."""
    with ServerProcesses(1) as one, Nginx(one.ports) as nginx:
        client = NodeSocket(node, "a", nginx.url + "/chat", transport)
        client.connect()
        assert client.state()["transport"] == transport
        token = client.emit("join", "lobby", ns="/chat", ack=True)
        assert client.wait_ack(token) == [one.pids[0], ["lobby"]]
        client.emit("say", "lobby", 1, "hi", ns="/chat")
        sid = client.sid
        assert client.wait_event("said", ns="/chat") == [sid, 1, 1, "hi", one.pids[0]]
        assert one.processes[0].state("lobby")["clients"] == [sid]
        client.disconnect()
        wait_until(lambda: one.processes[0].state()["sessions"] == 0, 15,
                   lambda: json.dumps(one.processes[0].state()))


def test_a_stopped_process_ends_and_its_log_stays_readable():
    processes = ServerProcesses(1)
    process = processes.processes[0]
    processes.stop()
    assert not process.alive()
    assert "serving on" in process.log.text()
    with pytest.raises(OSError):
        os.kill(process.pid, 0)


def test_gunicorn_workers_each_answer_behind_nginx():
    with GunicornWorkers(workers=2) as gunicorn, Nginx(gunicorn.ports) as nginx:
        states = gunicorn.states()
        assert sorted(s["pid"] for s in states) == gunicorn.pids and len(states) == 2
        assert all(s["sessions"] == 0 for s in states)
        assert b":" in http_get(nginx.url + "/socket.io/1/")


def test_the_deployment_page_shows_the_config_the_tests_run():
    with open(os.path.join(ROOT, "docs", "deployment.md"), encoding="utf-8") as fh:
        page = fh.read()
    assert "```nginx\n" + proxy_config(8080, [8001, 8002, 8003]) + "```" in page
    affinity = proxy_config(8080, [8001, 8002, 8003], affinity=True)
    upstream = affinity[affinity.index("upstream"):affinity.index("}\n\nserver")]
    assert upstream.replace("  # affinity: one client address, one process", "") in page
