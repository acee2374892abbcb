"""The client services use to call each other: pooled connections, timeouts, retries only where safe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3
from flask import Flask
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ProtocolError, TimeoutError

from .observability import REQUEST_ID_HEADER, current_request_id
from .security import INTERNAL_TOKEN_HEADER, set_session_fallback

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamError(Exception):
    """Another service could not be reached, timed out, or answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


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
            raise UpstreamError(f"{method} {url} failed: {exc}") from exc
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


def use_auth_for_session_checks(app: Flask, auth_url: str) -> None:
    """When Redis is unreachable, access tokens are checked against auth's sessions instead."""
    client = InternalClient(auth_url, app.config["INTERNAL_API_TOKEN"], timeout=2.0, retries=1)

    def check(user_id: str, session_id: str) -> bool:
        response = client.post("/internal/sessions/check", json_body={"userId": user_id, "sessionId": session_id})
        return bool(response.body["data"]["active"])

    set_session_fallback(app, check)
