"""A lean HTTP/1.1 client for the gateway's forwards: pooled keep-alive connections to one service, the
request written in one send, the answer's head read line by line from a buffered reader.

urllib3 (over http.client and the email parser) spent about 180 us of CPU a forward reading an answer's
head; the gateway's budget for the whole hop is 500 us (docs/performance.md). Our services are the only
peers, so this speaks the part of HTTP/1.1 they speak: Content-Length or chunked bodies, or a body that
ends when the connection closes; interim 1xx answers are skipped."""

from __future__ import annotations

import io
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterator
from typing import cast

from permitto_common.sockets import still_open

CHUNK = 64 * 1024
MAX_HEAD_LINE = 64 * 1024
MAX_HEADERS = 200
IDLE_LIMIT = 50.0  # seconds: our services keep an idle connection for 75 s; one idle longer is not reused


class UpstreamProtocolError(Exception):
    """The service's answer could not be read as HTTP/1.1."""


class StaleConnection(Exception):
    """A kept-alive connection was closed by the service before any byte of an answer: nothing was read."""


class Connection:
    __slots__ = ("sock", "reader", "last_used")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = cast(io.BufferedReader, sock.makefile("rb", buffering=CHUNK))
        self.last_used = time.monotonic()

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class Pool:
    """Idle connections to one host, newest first; at most `size` are kept."""

    def __init__(self, host: str, port: int, *, tls: bool = False, size: int = 32) -> None:
        self.host = host
        self.port = port
        self.size = size
        self.host_header = f"{host}:{port}"
        self._tls = ssl.create_default_context() if tls else None
        self._idle: deque[Connection] = deque()

    def connect(self, timeout: float) -> Connection:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        return Connection(sock)

    def idle(self) -> Connection | None:
        """A kept-alive connection still open, or None. One the service closed while it sat idle is
        readable (its end of file) and is dropped here, before a request is written to it."""
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.last_used < IDLE_LIMIT and still_open(conn.sock):
                return conn
            conn.close()
        return None

    def release(self, conn: Connection) -> None:
        if len(self._idle) >= self.size:
            conn.close()
            return
        conn.last_used = time.monotonic()
        self._idle.append(conn)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class Answer:
    """A service's answer: status line and headers read, the body read by iterating (once)."""

    def __init__(self, pool: Pool, conn: Connection, status: str, headers: list[tuple[str, str]],
                 *, length: int | None, chunked: bool, reusable: bool) -> None:
        self.pool = pool
        self.conn: Connection | None = conn
        self.status = status
        self.code = int(status[:3])
        self.headers = headers
        self.length = length
        self.chunked = chunked
        self.reusable = reusable

    def read_all(self) -> bytes:
        return b"".join(self)

    def __iter__(self) -> Iterator[bytes]:
        conn = self.conn
        if conn is None:
            return
        reader = conn.reader
        if self.chunked:
            while True:
                line = reader.readline(MAX_HEAD_LINE)
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                if size == 0:
                    while reader.readline(MAX_HEAD_LINE) not in (b"\r\n", b"\n", b""):
                        pass  # trailers: none of our services sends them, and none would be passed on
                    break
                data = reader.read(size)
                if len(data) < size:
                    raise UpstreamProtocolError("the answer ended inside a chunk")
                reader.readline(MAX_HEAD_LINE)
                yield data
        elif self.length is not None:
            left = self.length
            while left > 0:
                data = reader.read1(min(left, CHUNK))
                if not data:
                    raise UpstreamProtocolError("the answer ended before its Content-Length")
                left -= len(data)
                yield data
        else:  # no length: the body ends when the service closes the connection
            self.reusable = False
            while data := reader.read1(CHUNK):
                yield data
        self.finish()

    def finish(self) -> None:
        """The body was read to its end: the connection goes back to the pool if it may be reused."""
        conn, self.conn = self.conn, None
        if conn is not None:
            if self.reusable:
                self.pool.release(conn)
            else:
                conn.close()

    def abandon(self) -> None:
        """The body was not read to its end (the client went away): the connection cannot be reused."""
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


def send(conn: Connection, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> None:
    lines = [f"{method} {target} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    conn.sock.sendall(head + body if body else head)


def read_head(pool: Pool, conn: Connection, method: str, *, reused: bool) -> Answer:
    reader = conn.reader
    while True:
        try:
            line = reader.readline(MAX_HEAD_LINE)
        except ConnectionResetError:
            if reused:
                raise StaleConnection() from None
            raise
        if not line:
            if reused:
                raise StaleConnection()
            raise UpstreamProtocolError("the service closed the connection without an answer")
        if not line.startswith(b"HTTP/1."):
            raise UpstreamProtocolError(f"not an HTTP status line: {line[:40]!r}")
        reused = False  # bytes arrived: whatever happens now, the request reached the service
        version_11 = line[5:8] == b"1.1"
        status = line[9:].decode("latin-1").rstrip("\r\n")
        if len(status) < 3 or not status[:3].isdigit():
            raise UpstreamProtocolError(f"not an HTTP status line: {line[:40]!r}")
        headers: list[tuple[str, str]] = []
        length: int | None = None
        chunked = False
        keep_alive = version_11
        while True:
            header = reader.readline(MAX_HEAD_LINE)
            if header in (b"\r\n", b"\n"):
                break
            if not header:
                raise UpstreamProtocolError("the answer's headers ended early")
            name, sep, value = header.decode("latin-1").partition(":")
            if not sep or len(headers) >= MAX_HEADERS:
                raise UpstreamProtocolError("an answer's header could not be read")
            value = value.strip()
            lower = name.lower()
            if lower == "content-length":
                length = int(value)
            elif lower == "transfer-encoding":
                chunked = value.lower().endswith("chunked")
            elif lower == "connection":
                tokens = value.lower()
                keep_alive = "keep-alive" in tokens if not version_11 else "close" not in tokens
            headers.append((name, value))
        code = int(status[:3])
        if 100 <= code < 200 and code != 101:
            continue  # an interim answer; the real one follows
        if method == "HEAD" or code in (204, 304):
            length, chunked = 0, False
        elif chunked:
            length = None
        return Answer(pool, conn, status, headers, length=length, chunked=chunked, reusable=keep_alive)
