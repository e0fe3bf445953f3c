"""Nothing leaks across processes: 300 clients connect, chat and leave through nginx.

Three ``python -m geventsio`` processes with a Redis message queue behind nginx
round-robin (no affinity); 300 node ``socket.io-client@0.9.16`` clients, half on
websocket and half on xhr-polling, in 30 rooms of 10. Each stores a nick (``set``),
joins its room, says one message that all 10 members must get, then leaves. Afterwards
no worker holds a session, a namespace or room member, a stored value or a greenlet more
than before, and Redis holds nothing but the processes' own liveness keys.
"""

from __future__ import annotations

import json
import re

from .cluster import Nginx, ServerProcesses, redis_keys, wait_for
from .clusterchat import NS, TIMEOUT
from .nodeclient import NodeSocket

CLIENTS = 300
ROOM_SIZE = 10
#: What may stay in Redis while the processes run: their liveness and the list of them.
BOOKKEEPING = re.compile(r"^geventsio:(alive:.+|nodes)$")


def test_300_clients_connect_chat_and_leave_and_nothing_is_left(node, redis_server):
    with ServerProcesses(3, message_queue=redis_server.url, close_timeout=20) as cluster, \
            Nginx(cluster.ports) as nginx:
        before = {state["pid"]: state for state in cluster.states()}
        clients = [NodeSocket(node, f"c{i}", nginx.url + NS,
                              "websocket" if i % 2 else "xhr-polling", packets=False)
                   for i in range(CLIENTS)]
        since = node.mark()
        for client in clients:
            client.connect(wait=False)
        connected = {}

        def all_connected() -> bool:
            for report in node.reports(ev="connect", ns=NS)[len(connected):]:
                connected[report["client"]] = report["sid"]
            return len(connected) == CLIENTS
        try:
            wait_for(all_connected, TIMEOUT, "every client connected")
        except AssertionError:
            missing = [c.client_id for c in clients if c.client_id not in connected]
            print(cluster.logs()[-20000:])
            raise AssertionError(f"{len(missing)} not connected: " + json.dumps(
                [r for r in node.history[since:] if r.get("client") in missing[:3]])) from None
        for client in clients:
            client.sid = connected[client.client_id]

        tokens = []
        for i, client in enumerate(clients):
            room = f"room{i // ROOM_SIZE}"
            tokens.append(client.emit("nick", f"user{i}", ns=NS, ack=True))
            tokens.append(client.emit("join", room, ns=NS, ack=True))
        owners = [client.wait_ack(str(token), timeout=TIMEOUT)[0]
                  for client, token in zip([c for c in clients for _ in (0, 1)], tokens)]
        assert set(owners) == set(cluster.pids)  # spread over all three

        for i, client in enumerate(clients):
            client.emit("say", f"room{i // ROOM_SIZE}", 1, "hello", ns=NS)
        for client in clients:
            wait_for(lambda c=client: len(c.events("said", ns=NS)) >= ROOM_SIZE, TIMEOUT,
                     f"{client.client_id} hearing its room")
        assert all(len(client.events("said", ns=NS)) == ROOM_SIZE for client in clients)

        for client in clients:
            client.disconnect()

        def empty() -> bool:
            return all(_empty(state, before[state["pid"]]) for state in cluster.states())
        try:
            wait_for(empty, TIMEOUT, "every worker back to empty")
        except AssertionError:
            raise AssertionError(json.dumps(cluster.states(), indent=1)) from None
        wait_for(lambda: all(BOOKKEEPING.match(key) for key in redis_keys(redis_server)),
                 TIMEOUT, f"Redis empty but for bookkeeping: {redis_keys(redis_server)[:20]}")
        assert all(process.alive() for process in cluster.processes)
        assert not any(process.log.count("Traceback") for process in cluster.processes), \
            cluster.logs()


def _empty(state: dict, before: dict) -> bool:
    """No session, member, room or stored value; no more greenlets than at the start."""
    return (state["sessions"] == 0 and state["stored"] == 0 and state["farewells"] == 0
            and state["index"] == {"endpoints": 0, "rooms": 0, "joined": 0}
            and state["greenlets"] <= before["greenlets"])
