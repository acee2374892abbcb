"""The client services use to call each other: pooled connections, timeouts, retries only where safe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3
from flask import Flask, current_app
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ProtocolError, TimeoutError

from .errors import APIError
from .observability import REQUEST_ID_HEADER, current_request_id
from .security import INTERNAL_TOKEN_HEADER, set_session_fallback

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamError(Exception):
    """Another service could not be reached, timed out, or answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None,
                 timed_out: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.timed_out = timed_out


@dataclass
class InternalResponse:
    status: int
    body: Any
    headers: dict[str, str]


class InternalClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 5.0, retries: int = 2, pool_size: int = 10):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = urllib3.Timeout(connect=min(2.0, timeout), read=timeout)
        self.retries = retries
        self.pool = urllib3.PoolManager(maxsize=pool_size, block=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        raise_for_status: bool = True,
        data: bytes | None = None,
        raw: bool = False,
    ) -> InternalResponse:
        """JSON in and out by default; data sends bytes as they are, raw returns the body's bytes."""
        method = method.upper()
        all_headers = {INTERNAL_TOKEN_HEADER: self.token, "Accept": "application/json"}
        request_id = current_request_id()
        if request_id:
            all_headers[REQUEST_ID_HEADER] = request_id
        all_headers.update(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        # POSTs are retried only on connection errors (nothing reached the server); never on read errors.
        retry = urllib3.Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries if method in IDEMPOTENT else 0,
            status=0,
            backoff_factor=0.1,
            allowed_methods=IDEMPOTENT,
            respect_retry_after_header=False,  # a 503 with Retry-After is the callee's answer
        )
        url = self.base_url + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        try:
            response = self.pool.request(
                method, url, body=body, headers=all_headers, timeout=self.timeout, retries=retry
            )
        except (MaxRetryError, NewConnectionError, ProtocolError, TimeoutError, HTTPError) as exc:
            cause = exc.reason if isinstance(exc, MaxRetryError) else exc
            raise UpstreamError(f"{method} {url} failed: {exc}", timed_out=isinstance(cause, TimeoutError)) from exc
        parsed: Any
        if raw and response.status < 400:
            parsed = response.data
        else:
            try:
                parsed = json.loads(response.data) if response.data else None
            except ValueError:
                parsed = response.data.decode(errors="replace")
        result = InternalResponse(response.status, parsed, dict(response.headers))
        if raise_for_status and response.status >= 400:
            raise UpstreamError(f"{method} {url} answered {response.status}", status=response.status, body=parsed)
        return result

    def get(self, path: str, **kwargs: Any) -> InternalResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> InternalResponse:
        return self.request("POST", path, **kwargs)


class ServiceClient:
    """A named client of another service, created unbound in a service's extensions.py and bound in
    create_app, like every extension. Its one call turns every way the other service can fail into
    the envelope our own caller should see, so call sites never catch upstream errors themselves:
    unreachable is a 503, too slow a 504, an error answer (or an unexpected status) a 502; a 503 the
    other service gives (its database or Redis is down) stays a 503. Statuses the caller expects and
    handles itself (a 404 that means "not yours", a 422 to pass on) are returned to it."""

    def __init__(self, name: str, *, timeout: float = 5.0, retries: int = 2) -> None:
        self.name = name
        self.timeout = timeout
        self.retries = retries
        self._key = f"permitto.service.{name}"

    def init_app(self, app: Flask, base_url: str) -> None:
        app.extensions[self._key] = InternalClient(base_url, app.config["INTERNAL_API_TOKEN"], timeout=self.timeout,
                                                   retries=self.retries)

    def call(self, method: str, path: str, *, handles: tuple[int, ...] = (), **kwargs: Any) -> InternalResponse:
        """The answer when it is a 2xx or a status in `handles`; an APIError in the envelope otherwise."""
        client: InternalClient = current_app.extensions[self._key]
        try:
            response = client.request(method, path, raise_for_status=False, **kwargs)
        except UpstreamError as exc:
            if exc.timed_out:
                raise APIError(f"The {self.name} service did not answer in time; try again.", status=504) from exc
            raise APIError(f"The {self.name} service cannot be reached right now; try again shortly.", status=503,
                           headers={"Retry-After": "5"}) from exc
        if 200 <= response.status < 300 or response.status in handles:
            return response
        if response.status == 503:
            raise APIError(f"The {self.name} service is unavailable right now; try again shortly.", status=503,
                           headers={"Retry-After": response.headers.get("Retry-After", "5")})
        raise APIError(f"The {self.name} service answered {response.status}.", status=502)

    def get(self, path: str, **kwargs: Any) -> InternalResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> InternalResponse:
        return self.call("POST", path, **kwargs)


def use_auth_for_session_checks(app: Flask, auth_url: str) -> None:
    """When Redis is unreachable, access tokens are checked against auth's sessions instead."""
    client = InternalClient(auth_url, app.config["INTERNAL_API_TOKEN"], timeout=2.0, retries=1)

    def check(user_id: str, session_id: str) -> bool:
        response = client.post("/internal/sessions/check", json_body={"userId": user_id, "sessionId": session_id})
        return bool(response.body["data"]["active"])

    set_session_fallback(app, check)
