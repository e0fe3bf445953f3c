"""The backends behind the message queue: one contract, held by the memory backend and by
the Redis backend against a real redis-server; the Redis backend's faults."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any, Iterator

import gevent
import pytest

from geventsio import ConfigurationError, LimitExceeded, QueueEmitter
from geventsio.cluster import MemoryBackend, QueueUnavailable, open_backend
from geventsio.cluster.keys import Keys
from geventsio.cluster.redisbackend import RedisBackend
from geventsio.cluster.store import RedisStore

from .conftest import ROOT, wait_until
from .redisserver import RedisServer, redis_binary

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["memory", "redis"])
def backend(request: Any) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    redis = request.getfixturevalue("redis_server")
    found = RedisBackend(redis.url)
    try:
        yield found
    finally:
        found.close()


def test_publish_reaches_subscribers_in_order(backend: Any) -> None:
    got: list[bytes] = []
    backend.subscribe("ch", got.append)
    backend.subscribe("other", lambda data: got.append(b"wrong " + data))
    wait_for_subscription(backend, "ch")
    for n in range(20):
        backend.publish("ch", b"m%d" % n)
    wait_until(lambda: len(got) == 20, describe=lambda: f"got {got}")
    assert got == [b"m%d" % n for n in range(20)]


def wait_for_subscription(backend: Any, channel: str) -> None:
    """Redis subscribes in a greenlet: publish probes until one arrives."""
    if isinstance(backend, MemoryBackend):
        return
    wait_until(lambda: backend.redis.pubsub_numsub(channel)[0][1] >= 1)


def test_keys_sets_hashes_and_expiry(backend: Any) -> None:
    assert backend.set("k", b"v") is True
    assert backend.set("k", b"w", only_new=True) is False
    assert backend.get("k") == b"v"
    backend.set("t", b"x", ttl=0.05)
    wait_until(lambda: backend.get("t") is None)
    backend.set_add("s", "a")
    backend.set_add("s", "b")
    backend.set_remove("s", "a")
    assert backend.set_members("s") == {"b"}
    backend.set_remove("s", "b")
    assert backend.set_members("s") == set()
    backend.hash_set("h", "f", b"12345")
    assert backend.hash_get("h", "f") == b"12345"
    assert backend.hash_sizes("h") == {"f": 5}
    assert backend.hash_delete("h", "f") is True
    assert backend.hash_delete("h", "f") is False
    backend.delete("k")
    assert backend.get("k") is None


def test_store_limits_and_values(backend: Any) -> None:
    store = RedisStore(backend, Keys("t:"), max_keys=2, max_bytes=40)
    store.set("sid", "a", {"x": [1, 2]})
    assert store.get("sid", "a") == {"x": [1, 2]} and store.has("sid", "a")
    store.set("sid", "b", 1)
    with pytest.raises(LimitExceeded, match="max_store_keys"):
        store.set("sid", "c", 1)
    with pytest.raises(LimitExceeded, match="max_store_bytes"):
        store.set("sid", "b", "y" * 40)
    assert store.get("sid", "b") == 1
    with pytest.raises(TypeError):
        store.set("sid", "b", object())
    assert store.delete("sid", "a") is True
    store.drop("sid")
    assert store.get("sid", "b", "gone") == "gone"


def test_urls_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="message_queue must be"):
        open_backend("amqp://127.0.0.1/")
    with pytest.raises(ConfigurationError, match="a URL or a backend"):
        open_backend(42)
    assert isinstance(open_backend("memory://"), MemoryBackend)
    for url in ("redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0", "unix:///nonexistent.sock"):
        open_backend(url).close()  # accepted; connects only when used


def test_unix_socket_url(tmp_path: Any) -> None:
    path = tmp_path / "redis.sock"
    binary = redis_binary()
    assert binary is not None, "redis-server is not installed"
    server = subprocess.Popen([binary, "--port", "0", "--unixsocket", str(path), "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backend = None
    try:
        wait_until(path.exists)
        backend = open_backend(f"unix://{path}")
        got: list[bytes] = []
        backend.subscribe("ch", got.append)
        wait_until(lambda: _published(backend, "ch") and bool(got))
        assert backend.set("k", b"v") and backend.get("k") == b"v"
    finally:
        if backend is not None:
            backend.close()
        server.kill()
        server.wait(10)


def test_unpatched_process_is_refused() -> None:
    code = ("from geventsio.cluster.redisbackend import RedisBackend\n"
            "RedisBackend('redis://127.0.0.1:1/0')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "ConfigurationError: message_queue with Redis needs gevent's monkey-patching" in (
        done.stderr)


def test_redis_restart_logged_once_then_resumed(redis_server: RedisServer,
                                               caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="geventsio.cluster")
    backend = RedisBackend(redis_server.url)
    got: list[bytes] = []
    try:
        backend.subscribe("ch", got.append)
        wait_for_subscription(backend, "ch")
        redis_server.kill()
        for _ in range(50):
            with pytest.raises(QueueUnavailable):
                backend.publish("ch", b"lost")
        gevent.sleep(0)
        redis_server.start()
        wait_until(lambda: _published(backend, "ch") and got, timeout=20)
        assert set(got) == {b"back"}
    finally:
        backend.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "geventsio.cluster"]
    assert len([m for m in lines if m.startswith("message queue unreachable")]) == 1, lines
    assert len([m for m in lines if m.startswith("message queue is back")]) == 1, lines


def _published(backend: RedisBackend, channel: str) -> bool:
    try:
        backend.publish(channel, b"back")
    except QueueUnavailable:
        return False
    return True


def test_queue_emitter_reaches_a_server_client(redis_server: RedisServer,
                                               make_server: Any) -> None:
    from .rawclient import RawWebSocket, handshake
    from .test_cluster_inprocess import next_event

    live = make_server(message_queue=redis_server.url, close_timeout=3,
                       heartbeat_interval=0.5, heartbeat_timeout=3, polling_duration=2)
    sid = handshake(live.port)
    ws = RawWebSocket(live.port, f"/socket.io/1/websocket/{sid}")
    assert ws.recv_text() == "1::"
    io = QueueEmitter(redis_server.url)
    try:
        wait_until(lambda: io.of("").clients() == [sid])
        assert io.of("").emit("news", 1) == 0  # no client of its own got it
        assert next_event(ws, "news") == [1]
        assert io.sockets.socket(sid).emit("direct", 2) == 1
        assert next_event(ws, "direct") == [2]
        assert io.of("").socket("nobody").emit("x") == 0
        assert io.of("").socket(sid).disconnect() is True
        assert ws.recv_until(lambda t: t.startswith("0::")) == "0::"
        wait_until(lambda: not live.manager.sessions)
        assert io.of("").clients() == []
    finally:
        io.close()
        ws.close()


def test_an_apps_own_store_is_kept_with_a_message_queue() -> None:
    from geventsio import MemoryStore, SocketIOServer
    from geventsio.cluster.store import RedisStore

    mine = MemoryStore()
    queue = MemoryBackend()
    kept = SocketIOServer(("127.0.0.1", 0), None, message_queue=queue, store=mine)
    assert kept.manager.store is mine
    shared = SocketIOServer(("127.0.0.1", 0), None, message_queue=queue)
    assert isinstance(shared.manager.store, RedisStore)


@pytest.mark.parametrize("url, expected", [
    ("redis://127.0.0.1:6379/0", ("redis://127.0.0.1:6379/0", "geventsio:")),
    ("redis://127.0.0.1:6379/0?prefix=chat:", ("redis://127.0.0.1:6379/0", "chat:")),
    ("rediss://h:1/2?ssl_cert_reqs=none&prefix=a%20b",
     ConfigurationError),
    ("redis://h/0?prefix=", ConfigurationError),
    ("redis://h/0?prefix=x:&prefix=y:", ConfigurationError),
    ("unix:///run/redis.sock?db=1&prefix=p:", ("unix:///run/redis.sock?db=1", "p:")),
])
def test_prefix_in_the_url(url: str, expected: Any) -> None:
    from geventsio.cluster import split_prefix

    if expected is ConfigurationError:
        with pytest.raises(ConfigurationError, match="prefix"):
            split_prefix(url)
    else:
        assert split_prefix(url) == expected
