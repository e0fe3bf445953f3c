"""The Redis the tests start is real, isolated and stoppable by the PID we started."""

from .redisserver import RedisServer


def test_the_fixture_starts_a_real_redis_on_its_own_port(redis_server: RedisServer) -> None:
    assert redis_server.ping()
    assert redis_server.command(b"SET", b"k", b"v") == b"+OK\r\n"
    assert redis_server.command(b"GET", b"k") == b"$1\r\nv\r\n"


def test_kill_and_restart_come_back_empty(redis_server: RedisServer) -> None:
    redis_server.command(b"SET", b"k", b"v")
    redis_server.kill()
    assert not redis_server.ping()
    redis_server.restart()
    assert redis_server.ping()
    assert redis_server.command(b"GET", b"k") == b"$-1\r\n"
