"""The Redis backend: ``message_queue='redis://host:port/db'`` (also ``rediss://``,
``unix:///path/to/socket``), with the ``redis`` package (``pip install geventsio[redis]``).

One connection pool for commands, one pub/sub connection read by one greenlet. When Redis
cannot be reached, every call raises :class:`QueueUnavailable` at once (no call waits on
a dead server) until the listener, retrying with a growing delay, gets through again; the
log says so once when it goes, once when it is back.
"""

from __future__ import annotations

import builtins
import logging
import time
from contextlib import contextmanager
from typing import Any, Iterator

import gevent
from gevent import monkey

from ..exceptions import ConfigurationError
from .backend import Callback, QueueUnavailable

__all__ = ["RedisBackend", "SCHEMES"]

log = logging.getLogger("geventsio.cluster")

SCHEMES = ("redis://", "rediss://", "unix://")
FIRST_DELAY = 0.1
MAX_DELAY = 5.0
#: Connections to Redis per process, and seconds a call waits for one when all are busy.
POOL_SIZE = 100
POOL_WAIT = 5.0


class _Health:
    """Whether Redis answers; logs each change once, and spaces the retries out."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.delay = FIRST_DELAY
        #: Calls that failed so far (the cluster writes its state again after any).
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.failures += 1
        if self.down_since is None:
            self.down_since = now
            log.warning("message queue unreachable (%s: %s); serving local clients only "
                        "until it is back", self.url, exc)
        else:
            self.delay = min(self.delay * 2, MAX_DELAY)
        self.retry_at = now + self.delay

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning("message queue is back (%s) after %.1fs", self.url,
                        time.monotonic() - self.down_since)
            self.down_since = None
        self.delay = FIRST_DELAY
        self.retry_at = 0.0

    def check(self) -> None:
        if self.down_since is not None and time.monotonic() < self.retry_at:
            raise QueueUnavailable(f"message queue {self.url} is unreachable")


def _require_patched_socket() -> None:
    if not monkey.is_module_patched("socket"):
        raise ConfigurationError(
            "message_queue with Redis needs gevent's monkey-patching: call "
            "`from gevent import monkey; monkey.patch_all()` before anything else, or "
            "every Redis call blocks all clients of the process")


class RedisBackend:
    """:class:`~geventsio.cluster.backend.Backend` over one Redis server."""

    def __init__(self, url: str) -> None:
        if not url.startswith(SCHEMES):
            raise ConfigurationError(f"not a Redis URL (redis://, rediss://, unix://): {url!r}")
        _require_patched_socket()
        try:
            import redis
        except ImportError:
            raise ConfigurationError(
                "message_queue with Redis needs the redis package: "
                "pip install 'geventsio[redis]'") from None
        self._errors = (redis.RedisError, OSError)
        # A blocking pool: a burst of concurrent calls (hundreds of clients handshaking at
        # once) waits for a free connection. redis-py's default pool has a hard limit (100
        # in redis 5+) and raises "Too many connections" past it, which would read as Redis
        # being down: claims refused, clients told "not handshaken". Health checks: a
        # pub/sub connection silently cut is noticed within seconds.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=POOL_SIZE, timeout=POOL_WAIT, socket_timeout=5,
            socket_connect_timeout=2, health_check_interval=5)
        self.redis: Any = redis.Redis(connection_pool=pool)
        self.health = _Health(url.split("@")[-1])
        self._callbacks: dict[str, list[Callback]] = {}
        self._listener: gevent.Greenlet | None = None
        self.closed = False

    @contextmanager
    def _calling(self) -> Iterator[None]:
        self.health.check()
        try:
            yield
        except self._errors as exc:
            self.health.failed(exc)
            raise QueueUnavailable(str(exc)) from None
        self.health.succeeded()

    # -- pub/sub -----------------------------------------------------------------------
    def publish(self, channel: str, data: bytes) -> None:
        with self._calling():
            self.redis.publish(channel, data)

    def subscribe(self, channel: str, callback: Callback) -> None:
        self._callbacks.setdefault(channel, []).append(callback)
        if self._listener is not None:
            self._listener.kill()
        self._listener = gevent.spawn(self._listen)

    def _listen(self) -> None:
        while not self.closed:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*self._callbacks)
                self.health.succeeded()
                self._read(pubsub)
            except self._errors as exc:
                self.health.failed(exc)
                gevent.sleep(self.health.delay)
            finally:
                pubsub.reset()

    def _read(self, pubsub: Any) -> None:
        while not self.closed:
            message = pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode("utf-8")
            for callback in self._callbacks.get(channel, ()):
                try:
                    callback(message["data"])
                except Exception:
                    log.exception("handling a message from the queue failed")

    def close(self) -> None:
        self.closed = True
        if self._listener is not None:
            self._listener.kill()
            self._listener = None
        self.redis.close()

    # -- keys --------------------------------------------------------------------------
    def set(self, key: str, value: bytes, ttl: float | None = None,
            only_new: bool = False) -> bool:
        px = None if ttl is None else max(1, int(ttl * 1000))
        with self._calling():
            return bool(self.redis.set(key, value, px=px, nx=only_new))
        return False  # pragma: no cover (the context manager raises)

    def get(self, key: str) -> bytes | None:
        with self._calling():
            return self.redis.get(key)
        return None  # pragma: no cover

    def delete(self, *keys: str) -> None:
        if keys:
            with self._calling():
                self.redis.delete(*keys)

    def expire(self, key: str, ttl: float) -> None:
        with self._calling():
            self.redis.pexpire(key, max(1, int(ttl * 1000)))

    def set_add(self, key: str, member: str) -> None:
        with self._calling():
            self.redis.sadd(key, member)

    def set_remove(self, key: str, member: str) -> None:
        with self._calling():
            self.redis.srem(key, member)

    def set_members(self, key: str) -> builtins.set[str]:
        with self._calling():
            return {member.decode("utf-8", "surrogatepass")
                    for member in self.redis.smembers(key)}
        return set()  # pragma: no cover

    def hash_set(self, key: str, field: str, value: bytes) -> None:
        with self._calling():
            self.redis.hset(key, field, value)

    def hash_get(self, key: str, field: str) -> bytes | None:
        with self._calling():
            return self.redis.hget(key, field)
        return None  # pragma: no cover

    def hash_delete(self, key: str, field: str) -> bool:
        with self._calling():
            return bool(self.redis.hdel(key, field))
        return False  # pragma: no cover

    def hash_sizes(self, key: str) -> dict[str, int]:
        with self._calling():
            fields = self.redis.hkeys(key)
            if not fields:
                return {}
            with self.redis.pipeline(transaction=False) as pipe:
                for field in fields:
                    pipe.hstrlen(key, field)
                sizes = pipe.execute()
        return {f.decode("utf-8", "surrogatepass"): int(n) for f, n in zip(fields, sizes)}
