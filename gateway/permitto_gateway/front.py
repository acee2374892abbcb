"""The gateway's front: one event loop (uvloop, httptools' parsers) on the public port, with the gateway's
gunicorn behind it on a Unix socket.

A forwarded call through gunicorn and gevent cost the gateway 500-550 us of CPU, against nginx's 50-90 us,
and no single part of it was worth more than a few percent (docs/performance.md, "The gateway's front").
Here the commonest call, a signed-in read, costs about a third of that, so the front serves it itself:

- a GET or HEAD under /api/v1 that a service owns, with no body, with an access token that verifies
  (edge_auth), whose session the deny list holds active and whose user is within the rate limit (the same
  Redis keys and counters as edge.edge_checks, in one pipelined round trip on a kept-alive connection);
- forwarded with the same headers the hot path sends (proxy.forward_headers' rules, the signed word
  that the session was checked), the answer passed on as it arrives, with the edge's headers;
- behind a circuit breaker per service, as the gateway's forwards are: a service that is down, slow or
  failing is answered in the gateway's words (Upstreams.classify), and after five failures at once.

Everything else is handed to the gateway behind it, untouched: writes, public calls, the web app, the API
documents, health and metrics, CORS preflights, and any read the front's checks do not pass (a token
that does not verify, an ended session, a user over the limit, Redis unreachable or without its deny
list). The gateway then does what it always did and answers in the envelope and words it always used;
nothing was sent to a service yet, so nothing happens twice. The client's address goes with it in
X-Forwarded-For, which the gateway trusts one hop further than it would on the public port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httptools

from permitto_common.errors import BODY_TOO_LARGE, APIError
from permitto_common.metrics import upstream_error
from permitto_common.observability import new_request_id, request_id_var, sane_request_id
from permitto_common.ratelimit import Hit
from permitto_common.redis_conn import get_redis
from permitto_common.redis_wire import Incomplete, WirePool, pack, parse
from permitto_common.security import SESSION_CHECKED_HEADER, revocation_keys, revoked_by, session_checked_word

from .config import Settings
from .edge import Breaker, EdgeHeaders
from .edge_auth import EdgeAuth
from .hotpath import AccessRecord, error_answer
from .proxy import _DROPPED, CONNECT_TIMEOUT, HOP_BY_HOP, IDEMPOTENT, Upstreams
from .routes import API_PREFIX, Route, is_public, match

log = logging.getLogger(__name__)

MAX_URL = 8 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
PIPELINED = 16  # requests queued on one connection before the front stops reading it
IDLE_LIMIT = 50.0  # seconds a kept-alive connection to a service or the gateway is reused for
INNER_TIMEOUT = 75.0  # the gateway's own answers: its slowest forward (60 s) and some
REDIS_TIMEOUT = 1.0
DRAIN_SECONDS = 20.0  # as gunicorn's graceful timeout
KEEP_ALIVE = 75.0  # seconds a client's connection may stay silent between requests, as gunicorn's --keep-alive
_SKIPPED_FOR_INNER = HOP_BY_HOP - {"host"} | {"x-forwarded-for", "x-forwarded-proto"}


class ParseRefusal(Exception):
    def __init__(self, error: APIError) -> None:
        self.error = error


class Request:
    __slots__ = ("method", "url", "headers", "body", "keep_alive", "http11", "refusal")

    def __init__(self) -> None:
        self.method = ""
        self.url = bytearray()
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.keep_alive = True
        self.http11 = True
        self.refusal: APIError | None = None


class Exchange:
    """One request on a link and its answer: the head once it is read, then the body passed to a sink."""

    def __init__(self, link: Link, head_only: bool) -> None:
        self.link = link
        self.parser = httptools.HttpResponseParser(self)
        self.head_only = head_only
        loop = asyncio.get_running_loop()
        self.head: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.code = 0
        self.reason = b""
        self.headers: list[tuple[str, str]] = []
        self.pending: list[bytes] = []
        self.sink: Callable[[bytes], None] | None = None
        self.length: int | None = None
        self.chunked = False
        self.keep_alive = True
        self.got_bytes = False
        self.last_data = time.monotonic()

    # httptools' callbacks
    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        code = self.parser.get_status_code()
        if 100 <= code < 200:  # an interim answer: the real one follows
            self.headers, self.reason = [], b""
            return
        self.code = code
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                self.length = int(value)
            elif lower == "transfer-encoding":
                self.chunked = "chunked" in value.lower()
            elif lower == "connection" and "close" in value.lower():
                self.keep_alive = False
        if not self.head.done():
            self.head.set_result(None)
        if self.head_only or code in (204, 304):
            self._finish(self.keep_alive)

    def on_body(self, body: bytes) -> None:
        if self.sink is not None:
            self.sink(body)
        else:
            self.pending.append(body)

    def on_message_complete(self) -> None:
        if self.code:
            self._finish(self.keep_alive and self.parser.should_keep_alive())

    def feed(self, data: bytes) -> None:
        self.got_bytes = True
        self.last_data = time.monotonic()
        if self.done.done():
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(ConnectionError(f"the answer could not be read: {exc}"))

    def lost(self, exc: BaseException | None) -> None:
        if self.head.done() and self.length is None and not self.chunked and not self.done.done():
            self._finish(False)  # a body that ends with the connection
        self.fail(exc or ConnectionError("the connection was closed before the answer ended"))

    def fail(self, exc: BaseException) -> None:
        for future in (self.head, self.done):
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here: whoever waits gets it too
        self.link.close()

    def attach(self, sink: Callable[[bytes], None]) -> None:
        """Where the body goes from now on; what arrived with the head goes first."""
        for part in self.pending:
            sink(part)
        self.pending = []
        self.sink = sink

    def pause(self) -> None:
        """Stop reading the service while the client is slow; only while this answer is still coming:
        once it has ended, its connection may be another call's already."""
        if not self.done.done():
            self.link.pause()

    def resume(self) -> None:
        if not self.done.done():
            self.link.resume()

    def _finish(self, keep: bool) -> None:
        if self.done.done():
            return
        self.done.set_result(None)
        self.link.finished(self, keep)


class Link(asyncio.Protocol):
    """A kept-alive connection to a service or to the gateway behind the front."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.exchange: Exchange | None = None
        self.closed = False
        self.paused = False
        self.last_used = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.exchange is None:
            self.close()  # bytes no request asked for
            return
        self.exchange.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.exchange is not None:
            self.exchange.lost(exc)

    def send(self, data: bytes, *, head_only: bool) -> Exchange:
        assert self.transport is not None
        self.exchange = Exchange(self, head_only)
        self.transport.write(data)
        return self.exchange

    def finished(self, exchange: Exchange, keep: bool) -> None:
        if self.exchange is exchange:
            self.exchange = None
        if keep and not self.closed:
            self.resume()  # paused for a slow client as the answer ended: the next one must be read
            self.pool.keep(self)
        else:
            self.close()

    def pause(self) -> None:
        if self.transport is not None and not self.closed and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and not self.closed and self.paused:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Idle links to one place (host and port, or a Unix socket), newest first."""

    def __init__(self, *, host: str = "", port: int = 0, path: str = "", size: int = 64) -> None:
        self.host, self.port, self.path, self.size = host, port, path, size
        self.host_header = f"{host}:{port}".encode()
        self.idle: deque[Link] = deque()

    def reused(self) -> Link | None:
        now = time.monotonic()
        while self.idle:
            link = self.idle.pop()
            if not link.closed and now - link.last_used < IDLE_LIMIT:
                return link
            link.close()
        return None

    def keep(self, link: Link) -> None:
        link.last_used = time.monotonic()
        self.idle.append(link)
        if len(self.idle) > self.size:
            self.idle.popleft().close()

    async def fresh(self) -> Link:
        loop = asyncio.get_running_loop()
        if self.path:
            connect = loop.create_unix_connection(lambda: Link(self), self.path)
        else:
            connect = loop.create_connection(lambda: Link(self), self.host, self.port)
        _, link = await asyncio.wait_for(connect, CONNECT_TIMEOUT)
        return link

    async def exchange(self, data: bytes, method: str, timeout: float) -> Exchange:
        """The request sent and its answer's head read; a kept-alive link the other side had closed
        is replaced once for a method that may be sent again."""
        link = self.reused()
        if link is not None:
            exchange = link.send(data, head_only=method == "HEAD")
            try:
                await asyncio.wait_for(asyncio.shield(exchange.head), timeout)
                return exchange
            except OSError as exc:
                link.close()
                # Closed while idle, with nothing of an answer read: sent again on a fresh connection.
                if isinstance(exc, TimeoutError) or exchange.got_bytes or method not in IDEMPOTENT:
                    raise
            except BaseException:
                link.close()
                raise
        link = await self.fresh()
        exchange = link.send(data, head_only=method == "HEAD")
        try:
            await asyncio.wait_for(asyncio.shield(exchange.head), timeout)
        except BaseException:
            link.close()
            raise
        return exchange


class RedisLink(asyncio.Protocol):
    """One pipelined connection to Redis: every caller's commands in one write, replies in order."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: deque[tuple[int, list[Any], asyncio.Future[list[Any]]]] = deque()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        try:
            while self.waiting:
                count, replies, future = self.waiting[0]
                while len(replies) < count:
                    reply, pos = parse(self.buffer, pos)
                    replies.append(reply)
                self.waiting.popleft()
                if not future.done():
                    future.set_result(replies)
        except Incomplete:
            pass
        except Exception as exc:  # not RESP: this connection is of no further use
            self.fail(exc)
        del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionError("Redis closed the connection"))

    def call(self, commands: list[tuple[Any, ...]]) -> asyncio.Future[list[Any]]:
        return self.send(pack(commands), len(commands))

    def send(self, packed: bytes, count: int) -> asyncio.Future[list[Any]]:
        """Commands already packed, and how many replies they get."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self.waiting.append((count, [], future))
        assert self.transport is not None
        self.transport.write(packed)
        return future

    def fail(self, exc: BaseException) -> None:
        self.closed = True
        while self.waiting:
            future = self.waiting.popleft()[2]
            if not future.done():
                future.set_exception(exc)
                future.exception()
        if self.transport is not None:
            self.transport.close()


class Redis:
    """The front's Redis: the gateway's own settings (WirePool's reading of its client), one connection."""

    def __init__(self, wire: WirePool) -> None:
        self.wire = wire
        self.link: RedisLink | None = None
        self.connecting: asyncio.Future[RedisLink] | None = None

    async def round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        link = self.link
        if link is None or link.closed:
            link = await self._connect()
        replies = await asyncio.wait_for(link.call(commands), REDIS_TIMEOUT)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _connect(self) -> RedisLink:
        if self.connecting is not None:
            return await asyncio.shield(self.connecting)
        loop = asyncio.get_running_loop()
        self.connecting = loop.create_future()
        try:
            _, link = await asyncio.wait_for(loop.create_connection(RedisLink, *self.wire.address), CONNECT_TIMEOUT)
            if self.wire.expected:  # AUTH and SELECT, the very bytes the gateway's own connections send
                replies = await asyncio.wait_for(link.send(self.wire.hello, self.wire.expected), REDIS_TIMEOUT)
                refused = next((reply for reply in replies if isinstance(reply, Exception)), None)
                if refused is not None:
                    link.fail(refused)
                    raise refused
            self.link = link
            self.connecting.set_result(link)
            return link
        except BaseException as exc:
            self.connecting.set_exception(exc)
            self.connecting.exception()
            raise
        finally:
            self.connecting = None


class Front:
    """What every connection of the front shares: the gateway's settings, pools, Redis and records."""

    def __init__(self, app: Any, settings: Settings, inner_socket: str) -> None:
        self.app = app
        self.limits = settings.limits
        self.edge = EdgeHeaders(settings.cors_origins, hsts=settings.hsts)
        self.auth = EdgeAuth(settings.common.jwt_public_key)
        self.internal_token = str(app.config["INTERNAL_API_TOKEN"])
        self.max_body = int(app.config.get("MAX_CONTENT_LENGTH") or 0) or None
        self.hops = settings.common.trusted_proxy_hops
        self.record = AccessRecord(app.name)
        self.inner = Pool(path=inner_socket)
        self.pools: dict[str, Pool] = {}
        self.breakers: dict[str, Breaker] = {name: Breaker() for name in settings.upstreams}
        for name, url in settings.upstreams.items():
            parts = urlsplit(url)
            # Only plain HTTP services are forwarded to from here; over TLS, the gateway does it.
            if parts.scheme == "http" and parts.hostname:
                self.pools[name] = Pool(host=parts.hostname, port=parts.port or 80)
        wire = WirePool.for_client(get_redis(app))
        self.redis = Redis(wire) if wire is not None else None
        self.connections: set[Connection] = set()
        self.keep_alive = float(os.environ.get("KEEP_ALIVE_SECONDS") or KEEP_ALIVE)

    def address(self, peer: str, forwarded_for: str, forwarded_proto: str) -> tuple[str, str]:
        """The client's address and scheme as the gateway's ProxyFix reads them with TRUSTED_PROXY_HOPS."""
        address, scheme = peer, "http"
        if self.hops:
            values = [v.strip() for v in forwarded_for.split(",")] if forwarded_for else []
            if len(values) >= self.hops:
                address = values[-self.hops]
            schemes = [v.strip() for v in forwarded_proto.split(",")] if forwarded_proto else []
            if len(schemes) >= self.hops:
                scheme = schemes[-self.hops]
        return address, scheme

    async def serve(self, conn: Connection, request: Request) -> bool:
        """Answer one request on conn; whether the connection may be kept."""
        if request.refusal is not None:
            conn.write_error(request.refusal, close=True)
            return False
        served = await self.direct(conn, request)
        if served is None:
            served = await self.hand_off(conn, request)
        return served and request.keep_alive

    async def direct(self, conn: Connection, request: Request) -> bool | None:
        """A signed-in read, served here; None when it is the gateway's (nothing was sent yet)."""
        started = time.perf_counter()
        method = request.method
        if method not in ("GET", "HEAD") or request.body:
            return None
        url = request.url.decode("latin-1")
        path, _, _query = url.partition("?")
        if not path.startswith(API_PREFIX + "/") or "%" in path:
            return None
        api_path = path[len(API_PREFIX):]
        route = match(api_path)
        if route is None or is_public(method, api_path) or route.service not in self.pools:
            return None
        named = [(name.decode("latin-1").lower(), name, value) for name, value in request.headers]
        headers: dict[str, str] = {}
        for key, _, value in named:
            text = value.decode("latin-1")
            headers[key] = headers[key] + ", " + text if key in headers else text
        try:
            token = self.auth.token_from(headers.get("authorization", ""), headers.get("cookie", ""))
            claims = self.auth.verify(token)
        except APIError:
            return None  # the gateway counts the address's attempt and answers in its words
        if self.redis is None or "content-length" in headers or "transfer-encoding" in headers:
            return None
        address, scheme = self.address(conn.peer, headers.get("x-forwarded-for", ""),
                                       headers.get("x-forwarded-proto", ""))
        counted = Hit(self.limits.per_user, str(claims["sub"]), time.time())
        try:
            replies = await self.redis.round_trip([("MGET", *revocation_keys(claims)), *counted.commands()])
        except Exception:  # Redis down, slow or refusing: the gateway's policy for that applies
            return None
        if revoked_by(replies[0], claims) is not False or not counted.judge(replies[1])[0]:
            return None  # an ended session, a deny list Redis lost, or over the limit: the gateway's words
        request_id = sane_request_id(headers.get("x-request-id")) or new_request_id()
        pool = self.pools[route.service]
        head = bytearray(b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), bytes(request.url), pool.host_header))
        for key, name, value in named:
            if key not in _DROPPED:
                head += name + b": " + value + b"\r\n"
        head += (f"X-Request-ID: {request_id}\r\nX-Forwarded-For: {address}\r\nX-Forwarded-Proto: {scheme}\r\n"
                 f"{SESSION_CHECKED_HEADER}: {session_checked_word(self.internal_token, claims)}\r\n\r\n").encode()
        breaker = self.breakers[route.service]
        try:
            breaker.before(route.service)
            try:
                exchange = await pool.exchange(bytes(head), method, route.timeout)
            except BaseException as exc:
                breaker.failure()
                if not isinstance(exc, OSError):  # a refused, reset or timed-out forward (all OSErrors)
                    raise
                error = Upstreams.classify(route, exc)
                upstream_error(self.app, route.service, error.code.lower())
                raise error from None
        except APIError as error:  # the breaker's pause, or the service's failure, in the gateway's words
            conn.write_error(error, request_id=request_id, origin=headers.get("origin", ""))
            self._record(request_id, method, route, error.status, started, path)
            return True
        breaker.answered(exchange.code)
        answer = [(name, value) for name, value in exchange.headers
                  if name.lower() not in HOP_BY_HOP and name.lower() != "x-request-id"]
        answer.append(("X-Request-ID", request_id))
        answer = self.edge.finish(answer, headers.get("origin", ""))
        kept = await conn.relay(exchange, answer, request, route.timeout)
        self._record(request_id, method, route, exchange.code, started, path)
        return kept

    def _record(self, request_id: str, method: str, route: Route, status: int, started: float, path: str) -> None:
        context = request_id_var.set(request_id)  # the access line carries it, as every other line does
        try:
            self.record(method, route, status, started, path)
        finally:
            request_id_var.reset(context)

    async def hand_off(self, conn: Connection, request: Request) -> bool:
        """To the gateway behind the front, as the client sent it, with the client's address added."""
        head = bytearray(b"%s %s HTTP/1.1\r\n" % (request.method.encode(), bytes(request.url)))
        forwarded_for, forwarded_proto = b"", b""
        has_host = False
        for name, value in request.headers:
            lower = name.decode("latin-1").lower()
            if lower == "x-forwarded-for":
                forwarded_for += (b", " if forwarded_for else b"") + value
            elif lower == "x-forwarded-proto":
                forwarded_proto += (b", " if forwarded_proto else b"") + value
            elif lower not in _SKIPPED_FOR_INNER:
                head += name + b": " + value + b"\r\n"
                has_host = has_host or lower == "host"
        if not has_host:  # an HTTP/1.0 client may send none; the gateway's URLs need one
            head += b"Host: localhost\r\n"
        head += b"X-Forwarded-For: " + (forwarded_for + b", " if forwarded_for else b"") + conn.peer.encode() + b"\r\n"
        head += b"X-Forwarded-Proto: " + (forwarded_proto + b", " if forwarded_proto else b"") + b"http\r\n"
        if request.body or request.method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
            head += b"Content-Length: %d\r\n" % len(request.body)
        head += b"\r\n"
        try:
            exchange = await self.inner.exchange(bytes(head) + bytes(request.body), request.method, INNER_TIMEOUT)
        except OSError as exc:  # TimeoutError and ConnectionError are OSErrors
            log.error("the gateway behind the front gave no answer", extra={"error": f"{type(exc).__name__}: {exc}"})
            conn.write_error(APIError("Something went wrong on our side. The error was logged."), close=True)
            return False
        answer = [(name, value) for name, value in exchange.headers if name.lower() not in HOP_BY_HOP]
        return await conn.relay(exchange, answer, request, INNER_TIMEOUT)


class Connection(asyncio.Protocol):
    """One client's connection: requests parsed as they arrive and answered in order."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = "unknown"
        self.queue: deque[Request] = deque()
        self.current = Request()
        self.header_bytes = 0
        self.worker: asyncio.Task[None] | None = None
        self.reading = True
        self.refused = False
        self.writable: asyncio.Future[None] | None = None
        self.relaying: Exchange | None = None
        self.closing = False
        self.last_heard = time.monotonic()
        self.silence: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        self.front.connections.add(self)
        self.silence = asyncio.get_running_loop().call_later(self.front.keep_alive, self._silent)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.front.connections.discard(self)
        if self.silence is not None:
            self.silence.cancel()
        if self.relaying is not None and not self.relaying.done.done():
            self.relaying.link.close()  # the client went away: so does the stream it was reading
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self) -> None:
        if self.relaying is not None:
            self.relaying.pause()
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.relaying is not None:
            self.relaying.resume()
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    # httptools' callbacks
    def on_message_begin(self) -> None:
        self.current = Request()
        self.header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.current.url += url
        if len(self.current.url) > MAX_URL:
            raise ParseRefusal(APIError("The URL is too long.", status=414))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        self.current.headers.append((name, value))
        if self.header_bytes > MAX_HEADER_BYTES or len(self.current.headers) > MAX_HEADERS:
            raise ParseRefusal(APIError("The request headers are too large.", status=431))

    def on_headers_complete(self) -> None:
        request = self.current
        request.method = self.parser.get_method().decode("latin-1")
        request.http11 = self.parser.get_http_version() == "1.1"
        request.keep_alive = self.parser.should_keep_alive()
        declared = next((v for n, v in request.headers if n.lower() == b"content-length"), None)
        if declared is not None and self.front.max_body is not None and declared.isdigit() \
                and int(declared) > self.front.max_body:
            raise ParseRefusal(APIError(BODY_TOO_LARGE, status=413))
        if any(n.lower() == b"expect" and v.lower() == b"100-continue" for n, v in request.headers) \
                and self.worker is None and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.current.body += body
        if self.front.max_body is not None and len(self.current.body) > self.front.max_body:
            raise ParseRefusal(APIError(BODY_TOO_LARGE, status=413))

    def on_message_complete(self) -> None:
        self._queue(self.current)

    def _silent(self) -> None:
        """Closes a connection silent for the keep-alive time while no answer is on its way (an idle
        phone's, or one sending its request a byte at a time)."""
        waited = time.monotonic() - self.last_heard
        if self.closing:
            return
        if waited >= self.front.keep_alive and self.worker is None:
            self.close()
            return
        self.silence = asyncio.get_running_loop().call_later(
            max(self.front.keep_alive - waited, 0.1), self._silent)

    def data_received(self, data: bytes) -> None:
        self.last_heard = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(APIError("Protocol upgrades are not served here.", status=400))
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ or exc.__cause__
            self._refuse(cause.error if isinstance(cause, ParseRefusal) else
                         APIError("The request could not be read (malformed request line or headers).", status=400))
        except httptools.HttpParserError:
            self._refuse(APIError("The request could not be read (malformed request line or headers).", status=400))

    def _refuse(self, error: APIError) -> None:
        refused = Request()
        refused.refusal = error
        self._queue(refused)
        if self.transport is not None:
            self.transport.pause_reading()  # nothing after an unreadable request is read
        self.reading = False
        self.refused = True

    def _queue(self, request: Request) -> None:
        self.queue.append(request)
        if len(self.queue) >= PIPELINED and self.reading and self.transport is not None:
            self.transport.pause_reading()
            self.reading = False
        if self.worker is None:
            self.worker = asyncio.ensure_future(self._work())

    async def _work(self) -> None:
        try:
            while self.queue and not self.closing:
                request = self.queue.popleft()
                keep = await self.front.serve(self, request)
                if not keep:
                    self.close()
                    return
                self._resume(PIPELINED // 2)
        except Exception:
            log.exception("the front failed to answer a request")
            if self.transport is not None:
                self.transport.abort()
        finally:
            self.worker = None
            self.last_heard = time.monotonic()  # the silence is counted from the last answer
        self._resume(1)

    def _resume(self, below: int) -> None:
        if not self.reading and not self.refused and not self.closing and len(self.queue) < below \
                and self.transport is not None:
            self.transport.resume_reading()
            self.reading = True

    def write_error(self, error: APIError, *, request_id: str | None = None, origin: str = "",
                    close: bool = False) -> None:
        request_id = request_id or new_request_id()
        status, headers, body = error_answer(error, request_id)
        headers.append(("X-Request-ID", request_id))
        if close:
            headers.append(("Connection", "close"))
        self.write_head(status.encode("latin-1"), self.front.edge.finish(headers, origin), body[0])

    def write_head(self, status: bytes, headers: list[tuple[str, str]], body: bytes = b"") -> None:
        if self.transport is None or self.closing:
            return
        out = [b"HTTP/1.1 ", status, b"\r\n"]
        out.extend(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers)
        out.append(b"\r\n")
        out.append(body)
        self.transport.write(b"".join(out))

    async def relay(self, exchange: Exchange, headers: list[tuple[str, str]], request: Request,
                    timeout: float) -> bool:
        """The answer's head, then its body as it arrives; whether the connection may be kept."""
        framed = exchange.length is not None and not exchange.chunked
        bodyless = request.method == "HEAD" or exchange.code in (204, 304)
        keep, chunking = True, False
        if framed or bodyless:
            if exchange.length is not None and not exchange.chunked:
                headers.append(("Content-Length", str(exchange.length)))
            sink: Callable[[bytes], None] = self._write
        elif request.http11:
            headers.append(("Transfer-Encoding", "chunked"))
            sink, chunking = self._write_chunk, True
        else:
            keep = False  # an HTTP/1.0 client reads to the end of the connection
            sink = self._write
        if not request.keep_alive or not keep:
            headers.append(("Connection", "close"))
        status = b"%d %s" % (exchange.code, exchange.reason or b"OK")
        if exchange.done.done() and exchange.done.exception() is None:  # small: the whole answer in one write
            body = b"".join(exchange.pending)
            exchange.pending = []
            if chunking:
                body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
            self.write_head(status, headers, b"" if bodyless else body)
            return keep
        self.write_head(status, headers)
        self.relaying = exchange
        try:
            exchange.attach(sink)
            if self.writable is not None and not self.writable.done():
                exchange.pause()
            while True:  # the timeout is the longest silence (a live stream's keep-alives break it)
                try:
                    await asyncio.wait_for(asyncio.shield(exchange.done), timeout)
                    break
                except TimeoutError:
                    if time.monotonic() - exchange.last_data < timeout or \
                            (self.writable is not None and not self.writable.done()):
                        continue  # data came meanwhile, or the client is still taking what came
                    exchange.link.close()
                    raise
        except OSError:  # TimeoutError and ConnectionError are OSErrors
            if self.transport is not None:
                self.transport.abort()  # the answer was cut: the client must not take it as whole
            return False
        finally:
            self.relaying = None
        if chunking:
            self._write(b"0\r\n\r\n")
        return keep

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.closing:
            self.transport.write(data)

    def _write_chunk(self, data: bytes) -> None:
        if data and self.transport is not None and not self.closing:
            self.transport.write(b"%x\r\n%s\r\n" % (len(data), data))

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


async def _wait_for_inner(path: str, child: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the gateway behind the front exited with {child.returncode}")
        try:
            _, writer = await asyncio.open_unix_connection(path)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the gateway behind the front did not start listening")


async def _run(front: Front, host: str, port: int, child: subprocess.Popen[bytes]) -> int:
    loop = asyncio.get_running_loop()
    await _wait_for_inner(front.inner.path, child)
    server = await loop.create_server(lambda: Connection(front), host, port, backlog=2048, reuse_address=True)
    stop: asyncio.Future[str] = loop.create_future()

    def stopping(reason: str) -> None:
        if not stop.done():
            stop.set_result(reason)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping, sig.name)
    watcher = loop.run_in_executor(None, child.wait)
    watcher.add_done_callback(lambda _: stopping("gateway exited"))
    reason = await stop
    server.close()
    deadline = time.monotonic() + DRAIN_SECONDS
    while any(c.worker is not None for c in front.connections) and time.monotonic() < deadline \
            and child.poll() is None:
        await asyncio.sleep(0.05)
    for conn in list(front.connections):
        conn.close()
    for pool in (front.inner, *front.pools.values()):
        while pool.idle:  # a kept-alive connection would hold gunicorn's graceful stop to its timeout
            pool.idle.pop().close()
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    code = await watcher
    log.info("front stopped", extra={"reason": reason})
    return 0 if reason != "gateway exited" else (code or 1)


def _ended_with_the_front() -> None:
    """In gunicorn's process before it starts: it is sent SIGTERM when the front dies, even by SIGKILL,
    so a killed front never leaves a gateway behind it serving a socket no one reaches (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main() -> None:
    import uvloop

    from permitto_common.entrypoint import command_for, open_files_limit

    from .app import create_app

    open_files_limit()
    env = dict(os.environ)
    folder = tempfile.mkdtemp(prefix="permitto-gateway-")
    inner_socket = os.path.join(folder, "gateway.sock")
    if len(os.fsencode(inner_socket)) > 107:  # sun_path holds 108 bytes with its terminating zero
        shutil.rmtree(folder, ignore_errors=True)
        sys.exit(f"the gateway's socket path is too long for a Unix socket: {inner_socket} (set a shorter TMPDIR)")
    hops = int(env.get("TRUSTED_PROXY_HOPS", "0") or 0)
    inner_env = {**env, "WEB_FRONT": "", "GUNICORN_BIND": f"unix:{inner_socket}",
                 "TRUSTED_PROXY_HOPS": str(hops + 1)}
    command = command_for("web", inner_env)  # sets the shared metrics folder here when none is given
    inner_env["PROMETHEUS_MULTIPROC_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    child = subprocess.Popen(command, env=inner_env, stdin=subprocess.DEVNULL, preexec_fn=_ended_with_the_front)
    try:
        app = create_app()
        front = Front(app, Settings.from_env(), inner_socket)
        code = uvloop.run(_run(front, env.get("BIND_HOST", "0.0.0.0"), int(env.get("PORT", "8000")), child))
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)  # the socket, when gunicorn left it
    sys.exit(code)


if __name__ == "__main__":
    main()
