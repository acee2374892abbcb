"""Forwarding to services over pooled keep-alive connections (upstream_http), with a circuit breaker
per service and the failures put into the envelope's words."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from permitto_common.errors import APIError
from permitto_common.security import SESSION_CHECKED_HEADER

from .edge import Breaker
from .routes import Route
from .upstream_http import Answer, Pool, StaleConnection, UpstreamProtocolError, read_head, send

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 §7.6.1) are the connection's, not the message's. Expect is answered by
# the gateway's own server: the body is forwarded whole, with no 100-continue round trip to the service.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length", "expect"}
)
# Set by the gateway itself, never copied from the client (identity headers included: no service reads
# them, but none may ever receive a forged one).
OWN_HEADERS = frozenset({"x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-internal-token",
                         "x-authenticated-user-id", "x-authenticated-role", SESSION_CHECKED_HEADER.lower()})
_DROPPED = HOP_BY_HOP | OWN_HEADERS
# What may be sent again on a fresh connection when a kept-alive one turns out closed after the request
# was written: a method that changes nothing, or changes the same thing twice over.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
CONNECT_TIMEOUT = 2.0


def forward_headers(environ: Mapping[str, object], *, request_id: str, address: str,
                    scheme: str, session_checked: str | None = None) -> list[tuple[str, str]]:
    """The client's end-to-end headers from a WSGI environ, and the gateway's own: with session_checked,
    its word that the caller's session was just found active (security.session_checked_word)."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-")
            if name.lower() not in _DROPPED:
                headers.append((name, str(value)))
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        headers.append(("Content-Type", str(content_type)))
    headers.append(("X-Request-ID", request_id))
    headers.append(("X-Forwarded-For", address))
    headers.append(("X-Forwarded-Proto", scheme))
    if session_checked is not None:
        headers.append((SESSION_CHECKED_HEADER, session_checked))
    return headers


def answer_headers(answer: Answer) -> list[tuple[str, str]]:
    """The service's end-to-end headers, with its Content-Length when it gave one (to a HEAD, the length
    of the body a GET would have had)."""
    return [(name, value) for name, value in answer.headers
            if name.lower() not in HOP_BY_HOP or (name.lower() == "content-length" and not answer.chunked)]


class Upstreams:
    """One connection pool and one breaker per service."""

    def __init__(self, urls: dict[str, str], *, on_error: Callable[[str, str], None] | None = None,
                 pool_size: int = 32) -> None:
        self.urls = urls
        self.pools: dict[str, Pool] = {}
        self.breakers: dict[str, Breaker] = {name: Breaker() for name in urls}
        self.on_error = on_error or (lambda _service, _kind: None)
        for name, url in urls.items():
            parts = urlsplit(url)
            if not parts.hostname:
                raise ValueError(f"{name.upper()}_URL has no host: {url!r}")
            tls = parts.scheme == "https"
            self.pools[name] = Pool(parts.hostname, parts.port or (443 if tls else 80), tls=tls, size=pool_size)

    def forward(self, route: Route, method: str, target: str, headers: list[tuple[str, str]],
                body: bytes | None) -> Answer:
        """The service's answer, its head read; the body is the caller's to read or abandon."""
        pool = self.pools[route.service]
        breaker = self.breakers[route.service]
        breaker.before(route.service)
        headers = [("Host", pool.host_header), *headers]
        try:
            answer = self._exchange(pool, route, method, target, headers, body)
        except (OSError, UpstreamProtocolError, ValueError) as exc:
            breaker.failure()
            raise self._translate(route, exc) from None
        breaker.answered(answer.code)
        return answer

    @staticmethod
    def _exchange(pool: Pool, route: Route, method: str, target: str, headers: list[tuple[str, str]],
                  body: bytes | None) -> Answer:
        conn = pool.idle()
        if conn is not None:
            try:
                conn.sock.settimeout(route.timeout)
                send(conn, method, target, headers, body)
            except OSError:
                conn.close()  # closed by the service while idle: it read nothing of this request
            else:
                try:
                    return read_head(pool, conn, method, reused=True)
                except StaleConnection:
                    conn.close()
                    if method not in IDEMPOTENT:
                        raise UpstreamProtocolError(
                            "the service closed a kept-alive connection without an answer") from None
                except BaseException:
                    conn.close()
                    raise
        # A fresh connection; only a failed connect is tried again (nothing reached the service).
        try:
            conn = pool.connect(CONNECT_TIMEOUT)
        except (ConnectionRefusedError, TimeoutError, socket.gaierror):
            conn = pool.connect(CONNECT_TIMEOUT)
        try:
            conn.sock.settimeout(route.timeout)
            send(conn, method, target, headers, body)
            return read_head(pool, conn, method, reused=False)
        except BaseException:
            conn.close()
            raise

    def _translate(self, route: Route, exc: BaseException) -> APIError:
        error = self.classify(route, exc)
        self.on_error(route.service, error.code.lower())
        return error

    @staticmethod
    def classify(route: Route, exc: BaseException) -> APIError:
        """A failed forward in the gateway's words: 504 timed out, 503 unreachable, 502 anything else."""
        if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
            log.warning("upstream timeout", extra={"upstream": route.service})
            return APIError(f"The {route.service} service did not answer in time.", status=504)
        if isinstance(exc, (ConnectionRefusedError, socket.gaierror)) or "refused" in str(exc).lower():
            log.warning("upstream unavailable", extra={"upstream": route.service})
            return APIError(f"The {route.service} service is unavailable.", status=503)
        log.warning("upstream gave no valid answer",
                    extra={"upstream": route.service, "error": f"{type(exc).__name__}: {exc}"})
        return APIError(f"The {route.service} service gave no valid answer.", status=502)
