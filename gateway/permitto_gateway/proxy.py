"""Forwarding to services over pooled keep-alive connections, streaming bodies both ways."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import urllib3
from flask import Response, current_app, request
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from permitto_common.errors import APIError
from permitto_common.metrics import upstream_error
from permitto_common.observability import REQUEST_ID_HEADER, current_request_id

from .edge import Breaker
from .routes import Route

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 §7.6.1) are the connection's, not the message's.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length"}
)
# Set by the gateway itself, never copied from the client (identity headers included: no service reads
# them, but none may ever receive a forged one).
OWN_HEADERS = frozenset({"x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-internal-token",
                         "x-authenticated-user-id", "x-authenticated-role"})


class Upstreams:
    """One connection pool per service."""

    def __init__(self, urls: dict[str, str], *, pool_size: int = 32) -> None:
        self.urls = urls
        self.pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self.breakers: dict[str, Breaker] = {name: Breaker() for name in urls}
        for name, url in urls.items():
            parts = urlsplit(url)
            pool_class = urllib3.HTTPSConnectionPool if parts.scheme == "https" else urllib3.HTTPConnectionPool
            if not parts.hostname:
                raise ValueError(f"{name.upper()}_URL has no host: {url!r}")
            self.pools[name] = pool_class(
                parts.hostname, parts.port, maxsize=pool_size, block=False, retries=False
            )

    def forward(self, route: Route, path: str) -> Response:
        pool = self.pools[route.service]
        breaker = self.breakers[route.service]
        breaker.before(route.service)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() not in OWN_HEADERS
        }
        headers[REQUEST_ID_HEADER] = current_request_id() or ""
        headers["X-Forwarded-For"] = request.remote_addr or ""
        headers["X-Forwarded-Proto"] = request.scheme
        target = path + ("?" + request.query_string.decode() if request.query_string else "")
        body = request.get_data(cache=False) if request.method not in ("GET", "HEAD") else None
        # Only a failed connect is retried (nothing reached the service), whatever the method.
        # An upstream 503 with Retry-After is an answer to pass on, not a reason for urllib3 to retry.
        retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, respect_retry_after_header=False)
        try:
            upstream = pool.urlopen(
                request.method,
                target,
                body=body,
                headers=headers,
                retries=retries,
                timeout=urllib3.Timeout(connect=2.0, read=route.timeout),
                preload_content=False,
                decode_content=False,
                redirect=False,
            )
        except MaxRetryError as exc:
            breaker.failure()
            raise self._translate(route, exc.reason or exc) from None
        except (HTTPError, OSError) as exc:
            breaker.failure()
            raise self._translate(route, exc) from None
        # A service answering 502-504 itself is failing too; its own 4xx/500 answers are answers.
        if upstream.status in (502, 503, 504):
            breaker.failure()
        else:
            breaker.success()

        response_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        length = upstream.headers.get("Content-Length")
        if length is not None:
            response_headers.append(("Content-Length", length))

        def stream() -> Iterator[bytes]:
            try:
                yield from upstream.stream(64 * 1024, decode_content=False)
            finally:
                upstream.release_conn()

        return Response(stream(), status=upstream.status, headers=response_headers, direct_passthrough=True)

    @staticmethod
    def _translate(route: Route, exc: BaseException) -> APIError:
        error = Upstreams._classify(route, exc)
        upstream_error(current_app, route.service, error.code.lower())
        return error

    @staticmethod
    def _classify(route: Route, exc: BaseException) -> APIError:
        if isinstance(exc, ReadTimeoutError) or "timed out" in str(exc).lower():
            log.warning("upstream timeout", extra={"upstream": route.service})
            return APIError(f"The {route.service} service did not answer in time.", status=504)
        if isinstance(exc, (NewConnectionError, ConnectionRefusedError)) or "refused" in str(exc).lower():
            log.warning("upstream unavailable", extra={"upstream": route.service})
            return APIError(f"The {route.service} service is unavailable.", status=503)
        log.warning("upstream gave no valid answer",
                    extra={"upstream": route.service, "error": f"{type(exc).__name__}: {exc}"})
        return APIError(f"The {route.service} service gave no valid answer.", status=502)
