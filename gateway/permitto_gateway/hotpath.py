"""The gateway's hot path: every call under /api/v1 that a service answers, and the public /verify page,
handled in plain WSGI in front of Flask.

Flask's request handling was two thirds of the gateway's CPU for a forwarded call (docs/performance.md);
a call it forwards needs none of Flask's routing, sessions or response objects. What Flask's hooks did
for these calls is done here from the same shared parts: the request id (observability), the edge's
headers and checks (edge), the envelope (errors), the access log line and the metrics. Everything else
(the API documents, the web app, health, metrics, CORS preflights, and an /api/v1 path no service owns)
is Flask's, as before."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from flask import Flask

from permitto_common.app_factory import WSGIApp, drain_unread_body
from permitto_common.errors import BODY_TOO_LARGE, STATUS_CODES, APIError, error_body, report_error
from permitto_common.metrics import metrics
from permitto_common.observability import log_request, new_request_id, request_id_var, sane_request_id
from permitto_common.security import session_checked_word

from .config import Settings
from .edge import EdgeHeaders, edge_checks
from .edge_auth import EdgeAuth
from .proxy import Upstreams, answer_headers, forward_headers
from .routes import API_PREFIX, Route, is_public, match
from .upstream_http import CHUNK, Answer

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]

VERIFY_PREFIX = "/verify/"
SMALL_BODY = CHUNK  # an answer up to this size is read whole, and its connection released at once


class EdgeProxy:
    def __init__(self, app: Flask, flask_wsgi: WSGIApp, settings: Settings, upstreams: Upstreams,
                 edge_auth: EdgeAuth, edge: EdgeHeaders) -> None:
        self.app = app
        self.flask_wsgi = flask_wsgi
        self.limits = settings.limits
        self.upstreams = upstreams
        self.edge_auth = edge_auth
        self.edge = edge
        self.max_body = int(app.config.get("MAX_CONTENT_LENGTH") or 0) or None
        self.record = AccessRecord(app.name)
        self.verify_route = match("/verify")
        self.internal_token = str(app.config["INTERNAL_API_TOKEN"])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIX + "/"):
            api_path = path[len(API_PREFIX):]
            route = match(api_path)
        elif path.startswith(VERIFY_PREFIX) and "/" not in path[len(VERIFY_PREFIX):]:
            api_path = path
            route = self.verify_route
        else:
            route = None
        method: str = environ["REQUEST_METHOD"]
        if route is None or (method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ):
            return self.flask_wsgi(environ, start_response)
        return self.handle(environ, start_response, route, method, api_path)

    def handle(self, environ: dict[str, Any], start_response: StartResponse, route: Route, method: str,
               api_path: str) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        context = request_id_var.set(request_id)
        body_read = False
        declared: int | None = None
        try:
            try:
                declared = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise APIError("The Content-Length header is not a number.", status=400) from None
            if self.max_body is not None and declared > self.max_body:
                raise APIError(BODY_TOO_LARGE, status=413)
            address = environ.get("REMOTE_ADDR") or "unknown"
            claims: dict[str, Any] | None = None
            if not is_public(method, api_path):
                try:
                    token = self.edge_auth.token_from(environ.get("HTTP_AUTHORIZATION", ""),
                                                      environ.get("HTTP_COOKIE", ""))
                    claims = self.edge_auth.verify(token)
                except APIError:
                    # Requests with bad tokens count against the address, so spraying tokens is limited too.
                    edge_checks(self.app, self.limits, address=address, path=api_path, method=method, claims=None)
                    raise
            edge_checks(self.app, self.limits, address=address, path=api_path, method=method, claims=claims)
            body = self._body(environ, method, declared)
            body_read = True
            # Services verify the token themselves: the gateway passes no identity headers of its own,
            # only its signed word that the session was just found active (they need not read it again).
            answer = self.upstreams.forward(
                route, method, self._target(environ),
                forward_headers(environ, request_id=request_id, address=address,
                                scheme=environ.get("wsgi.url_scheme", "http"),
                                session_checked=None if claims is None else session_checked_word(
                                    self.internal_token, claims)),
                body)
            status, headers, content = self._answer(answer)
        except APIError as exc:
            if not body_read:
                drain_unread_body(lambda: environ["wsgi.input"], declared, self.max_body)
            status, headers, content = error_answer(exc, request_id)
        except Exception as exc:
            log.exception("unhandled error", extra={"path": environ.get("PATH_INFO")})
            report_error(exc)
            if not body_read:
                drain_unread_body(lambda: environ["wsgi.input"], declared, self.max_body)
            status, headers, content = error_answer(
                APIError("Something went wrong on our side. The error was logged."), request_id)
        try:
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            start_response(status, self.edge.finish(headers, environ.get("HTTP_ORIGIN", "")))
            self.record(method, route, int(status[:3]), started, environ.get("PATH_INFO", ""))
        finally:
            request_id_var.reset(context)
        return content

    @staticmethod
    def _target(environ: dict[str, Any]) -> str:
        """The request target as the client sent it (still percent-encoded), for the service to decode."""
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw and raw.startswith("/"):
            return str(raw)
        query = environ.get("QUERY_STRING")
        target = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
        return target + ("?" + query if query else "")

    def _body(self, environ: dict[str, Any], method: str, declared: int) -> bytes | None:
        if method in ("GET", "HEAD"):
            return None
        stream = environ["wsgi.input"]
        if declared:
            return bytes(stream.read(declared))
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked":
            return b""
        limit = self.max_body
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            raise APIError(BODY_TOO_LARGE, status=413)
        return bytes(body)

    @staticmethod
    def _answer(answer: Answer) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
        headers = answer_headers(answer)
        if answer.length is not None and answer.length <= SMALL_BODY:
            try:
                content = answer.read_all()
            except BaseException:
                answer.abandon()
                raise
            return answer.status, headers, [content]
        return answer.status, headers, Streamed(answer)


def error_answer(exc: APIError, request_id: str) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """The envelope of an error the edge answers itself: status line, headers and body."""
    body = json.dumps(error_body(exc.status, exc.message, code=exc.code, details=exc.details,
                                 request_id=request_id)).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *exc.headers.items()]
    reason = STATUS_CODES.get(exc.status, "ERROR").replace("_", " ")
    return f"{exc.status} {reason}", headers, [body]


class AccessRecord:
    """The access log line and the metrics of a call the edge forwarded, as Flask's hooks write them for
    every other request (the hot path's and the front's alike)."""

    def __init__(self, service: str) -> None:
        self.metrics = metrics()
        self.service = service
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def __call__(self, method: str, route: Route, status: int, started: float, path: str) -> None:
        elapsed = time.perf_counter() - started
        endpoint = "/verify" if path.startswith(VERIFY_PREFIX) else API_PREFIX + route.prefix
        counter = self._counters.get((method, endpoint, status))
        if counter is None:
            counter = self._counters[(method, endpoint, status)] = self.metrics.requests.labels(
                self.service, method, endpoint, str(status))
        timer = self._timers.get((method, endpoint))
        if timer is None:
            timer = self._timers[(method, endpoint)] = self.metrics.latency.labels(self.service, method, endpoint)
        counter.inc()
        timer.observe(elapsed)
        log_request(method, path, status, round(elapsed * 1000, 2))


class Streamed:
    """A large or open-ended answer (a file, the live stream) passed on as it arrives; a client that goes
    away closes it, and the connection to the service with it."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.answer)

    def close(self) -> None:
        self.answer.abandon()  # a no-op when the body was read to its end and the connection released
