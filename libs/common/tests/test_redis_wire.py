"""round_trip speaks RESP on sockets of its own (redis_wire): against a real Redis it must give what
redis-py's own reading gives, keep a connection only when it is sound, and fail as redis-py fails."""

import socket

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from permitto_common.redis_conn import round_trip
from permitto_common.redis_wire import WirePool, pack


@pytest.fixture
def client(test_engines):
    redis = Redis.from_url(test_engines.redis_url(offset=3), socket_timeout=5, socket_connect_timeout=2)
    redis.flushdb()
    yield redis
    redis.flushdb()
    redis.close()


def by_redis_py(redis, commands):
    """The replies as redis-py reads them, without response callbacks: what round_trip gave before."""
    conn = redis.connection_pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))
        return [conn.read_response() for _ in commands]
    finally:
        redis.connection_pool.release(conn)


MIXED = [
    ("SET", "plain", "value"),
    ("SET", "binary", b"a\r\nb\x00\xff"),
    ("SET", "empty", ""),
    ("MGET", "plain", "binary", "empty", "missing"),
    ("INCR", "counter"), ("INCR", "counter"), ("EXPIRE", "counter", 61),
    ("RPUSH", "items", "one", "two", 3), ("LRANGE", "items", 0, -1),
    ("EXISTS", "nothing"), ("GET", "missing"),
]


def test_replies_are_those_redis_py_reads(client):
    ours = round_trip(client, MIXED)
    client.flushdb()
    theirs = by_redis_py(client, MIXED)
    assert ours == theirs
    assert ours[3] == [b"value", b"a\r\nb\x00\xff", b"", None]
    assert WirePool.for_client(client) is not None  # the wire path was taken


def test_a_reply_larger_than_one_read_is_read_whole(client):
    big = b"x" * 300_000
    assert round_trip(client, [("SET", "big", big), ("GET", "big"), ("STRLEN", "big")]) == [b"OK", big, 300_000]


def test_an_error_reply_raises_after_every_reply_is_read_and_the_connection_is_kept(client):
    client.set("text", "not a number")
    with pytest.raises(ResponseError):
        round_trip(client, [("INCR", "text"), ("SET", "after", "1")])
    assert client.get("after") == b"1"  # the command after the error still ran, as Redis runs them
    assert round_trip(client, [("GET", "after")]) == [b"1"]  # the same connection, not out of step
    assert len(WirePool.for_client(client)._idle) == 1


def test_a_connection_that_redis_closed_is_dropped_before_it_is_used(client):
    assert round_trip(client, [("SET", "k", "1")]) == [b"OK"]
    (idle,) = WirePool.for_client(client)._idle
    host, port = idle.getsockname()[:2]
    # That socket alone: the Redis is shared with the other test workers, whose connections stay open.
    assert client.client_kill_filter(addr=f"{host}:{port}") == 1  # that one client, killed
    assert round_trip(client, [("GET", "k")]) == [b"1"]
    assert WirePool.for_client(client)._idle[0] is not idle  # the dead one was dropped, a new one made


def test_the_database_of_the_url_is_selected(test_engines):
    other = Redis.from_url(test_engines.redis_url(offset=2))
    try:
        other.flushdb()
        round_trip(other, [("SET", "where", "here")])
        assert other.get("where") == b"here"
        with Redis.from_url(test_engines.redis_url(offset=3)) as third:
            assert third.get("where") is None
    finally:
        other.flushdb()
        other.close()


def test_a_redis_that_cannot_be_reached_is_a_redis_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once it closes
    unreachable = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    with pytest.raises(RedisConnectionError) as caught:
        round_trip(unreachable, [("GET", "k")])
    assert isinstance(caught.value, RedisError)


def test_a_refused_login_is_a_connection_error(test_engines):
    # The test Redis has no password: AUTH with one is refused, as a wrong password is.
    url = test_engines.redis_url(offset=3).replace("redis://", "redis://:wrong-password@")
    with pytest.raises(RedisConnectionError, match="refused the connection's setup"):
        round_trip(Redis.from_url(url), [("GET", "k")])


def test_a_reply_that_cannot_be_read_is_a_connection_error():
    """A peer that answers out of step (here: an integer that is not a number) is not trusted further."""
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def answer():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b":not-a-number\r\n")

    threading.Thread(target=answer, daemon=True).start()
    client = Redis.from_url(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    try:
        with pytest.raises(RedisConnectionError, match="unreadable reply"):
            round_trip(client, [("INCR", "k")])
        assert len(WirePool.for_client(client)._idle) == 0  # the connection was closed, not kept
    finally:
        listener.close()
        client.close()


def test_other_transports_keep_redis_py(test_engines):
    assert WirePool.for_client(Redis.from_url("rediss://127.0.0.1:6380/0")) is None
    assert WirePool.for_client(Redis.from_url("unix:///tmp/redis.sock")) is None
    assert WirePool.for_client(Redis.from_url(test_engines.redis_url(offset=3), protocol=3)) is None


def test_pack_is_resp():
    assert pack([("SET", "k", 12), ("GET", b"\r\n")]) == (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n" b"*2\r\n$3\r\nGET\r\n$2\r\n\r\n\r\n")
