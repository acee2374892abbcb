"""The Redis protocol (RESP2) spoken directly on pooled sockets, for the round trip every request makes.

The gateway's edge checks (the rate-limit counters and the session deny list) and each service's deny-list
check send a few commands and read their replies once a request. Through redis-py that exchange cost about
70 us of CPU (its pool's bookkeeping and observability hooks, its packing and its Python parser), nearly
half of the gateway's own CPU for a forwarded call (docs/performance.md). Here it is one send and usually
one receive on a kept-alive socket, after a non-blocking peek that finds a connection Redis closed (as
redis-py's checkout does); the commands are packed and the replies parsed by a few lines of code.

Only a plain TCP Redis is spoken to this way (redis:// URLs: what Railway and `make up` give); a client
over TLS or a Unix socket, or speaking RESP3, keeps redis-py's path (WirePool.for_client gives None).
Everything else in the project uses redis-py as before."""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections import deque
from typing import Any

from redis import ConnectionPool, Redis
from redis.connection import Connection as RedisPyConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .sockets import still_open

KEEP = 64  # idle connections kept per pool


def pack(commands: list[tuple[Any, ...]]) -> bytes:
    """Commands as RESP arrays of bulk strings, all in one buffer."""
    out = bytearray()
    for command in commands:
        out += b"*%d\r\n" % len(command)
        for arg in command:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += b"$%d\r\n" % len(data)
            out += data
            out += b"\r\n"
    return bytes(out)


class Incomplete(Exception):
    """The buffer ends inside a reply: read more."""


def parse(buf: bytes | bytearray, pos: int) -> tuple[Any, int]:
    """One RESP2 reply from buf at pos: (value, the position after it). Bulk and simple strings are bytes
    (as redis-py gives them without decoding), integers int, a null None, arrays lists; an error reply
    is a ResponseError value, raised by the caller once every reply is read."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete
    kind, line = buf[pos], bytes(buf[pos + 1:end])
    pos = end + 2
    if kind == 0x3A:  # ':'
        return int(line), pos
    if kind == 0x24:  # '$'
        size = int(line)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise Incomplete
        return bytes(buf[pos:pos + size]), pos + size + 2
    if kind == 0x2A:  # '*'
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 0x2B:  # '+'
        return line, pos
    if kind == 0x2D:  # '-'
        return ResponseError(line.decode(errors="replace")), pos
    raise RedisConnectionError(f"unexpected reply from Redis: {bytes(buf[pos - len(line) - 3:pos])!r}")


class WirePool:
    """Kept-alive sockets to one Redis, newest first, for round trips. Safe across threads and green
    threads: a socket is held by one caller at a time, and deque's pop and append are atomic."""

    def __init__(self, *, host: str, port: int, db: int = 0, username: str | None = None,
                 password: str | None = None, timeout: float | None = 5.0, connect_timeout: float | None = 2.0):
        self.address = (host, port)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.hello = pack(([("AUTH", username, password) if username else ("AUTH", password)] if password else [])
                          + ([("SELECT", db)] if db else []))
        self.expected = (1 if password else 0) + (1 if db else 0)
        self._idle: deque[socket.socket] = deque()
        self._pid = os.getpid()

    @classmethod
    def for_client(cls, client: Redis) -> WirePool | None:
        """The pool for a redis-py client's Redis (made once per client and process), or None when the
        client does not speak plain TCP with RESP2 (TLS, a Unix socket, RESP3)."""
        pool: ConnectionPool = client.connection_pool
        found = _POOLS.get(pool)
        if found is not None and found._pid == os.getpid():
            return found
        if pool in _OTHER:
            return None
        with _MAKING:  # one pool per client, though several threads ask at once; a forked child makes its own
            found = _POOLS.get(pool)
            if found is not None and found._pid == os.getpid():
                return found
            kwargs = pool.connection_kwargs
            if pool.connection_class is not RedisPyConnection or kwargs.get("protocol") not in (None, 2, "2"):
                _OTHER.add(pool)
                return None
            found = cls(host=kwargs.get("host", "localhost"), port=int(kwargs.get("port", 6379)),
                        db=int(kwargs.get("db", 0) or 0), username=kwargs.get("username"),
                        password=kwargs.get("password"), timeout=kwargs.get("socket_timeout"),
                        connect_timeout=kwargs.get("socket_connect_timeout"))
            _POOLS[pool] = found
            weakref.finalize(pool, found.close)  # its sockets close with the client's pool
            return found

    def round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send the commands in one write and read their replies in order. A failed connection raises
        redis-py's ConnectionError or TimeoutError (so callers' `except RedisError` holds) and is closed;
        an error reply raises ResponseError once all replies are read, and the connection is kept."""
        sock = self._checkout()
        try:
            sock.settimeout(self.timeout)
            _send(sock, pack(commands))
            replies = self._read(sock, len(commands))
        except BaseException:
            sock.close()
            raise
        self._checkin(sock)
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _checkout(self) -> socket.socket:
        while self._idle:
            sock = self._idle.pop()
            # Peeked first, as redis-py does on every checkout: a connection that a restarted Redis closed
            # is dropped here, before any command is written to it.
            if still_open(sock):
                return sock
            sock.close()
        return self._connect()

    def _checkin(self, sock: socket.socket) -> None:
        if len(self._idle) >= KEEP:
            sock.close()
            return
        self._idle.append(sock)

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise RedisTimeoutError(f"Timeout connecting to Redis at {self.address[0]}:{self.address[1]}.") from exc
        except OSError as exc:
            raise RedisConnectionError(f"Error connecting to Redis at {self.address[0]}:{self.address[1]}: "
                                       f"{exc}.") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.expected:
            try:
                sock.settimeout(self.timeout)
                _send(sock, self.hello)
                replies = self._read(sock, self.expected)
            except BaseException:
                sock.close()
                raise
            errors = [r for r in replies if isinstance(r, ResponseError)]
            if errors:
                sock.close()
                raise RedisConnectionError(f"Redis refused the connection's setup: {errors[0]}")
        return sock

    @staticmethod
    def _read(sock: socket.socket, count: int) -> list[Any]:
        buf = bytearray()
        replies: list[Any] = []
        pos = 0
        while len(replies) < count:
            try:
                reply, after = parse(buf, pos)
            except ValueError as exc:  # a length or an integer that is not a number: out of step
                raise RedisConnectionError(f"unreadable reply from Redis: {exc}") from None
            except Incomplete:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError as exc:
                    raise RedisTimeoutError("Timeout reading from Redis.") from exc
                except OSError as exc:
                    raise RedisConnectionError(f"Error reading from Redis: {exc}.") from exc
                if not chunk:
                    raise RedisConnectionError("Redis closed the connection.") from None
                buf += chunk
                continue
            replies.append(reply)
            pos = after
        if pos != len(buf):
            raise RedisConnectionError("Redis sent more than was asked for.")
        return replies


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except TimeoutError as exc:
        raise RedisTimeoutError("Timeout writing to Redis.") from exc
    except OSError as exc:
        raise RedisConnectionError(f"Error writing to Redis: {exc}.") from exc


_POOLS: weakref.WeakKeyDictionary[ConnectionPool, WirePool] = weakref.WeakKeyDictionary()
_OTHER: weakref.WeakSet[ConnectionPool] = weakref.WeakSet()  # clients that keep redis-py's path
_MAKING = threading.Lock()
