"""A service's most frequent reads, answered in plain WSGI in front of Flask when nothing about the
request is unusual; Flask answers everything else, and every read this path does not finish.

A phone opens the permit list and a permit far more often than it does anything else. For those reads
Flask's request handling (the request context, its nine hooks, the response's processing) and
flask-jwt-extended's search of the request for a token cost about as much CPU as the read's own SQL
(docs/performance.md). Here a read runs in an app context only, and does what those did, from the same
parts: the request id (observability), the token (VerifiedTokens: only one this process has verified
before, and not expired), the deny list (is_token_revoked, the same round trip), the envelope (the
read's own success()), the access log line and the metrics.

What goes to Flask untouched: any method but GET, a request with a body, a path no read here serves, a
token that is not a plain Bearer header or the access cookie, a token this process has not verified yet
(Flask verifies it, and the next read with it comes here), and a refresh token. A read that raises
anything (a permit not found or not the caller's, a revoked session, a bad query, a lost database) is
given to Flask whole, which answers it as for every other request: a read changes nothing, so running
it again is safe, and every refusal keeps the one envelope and the one place that words it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, current_app, g, has_app_context
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.routing.exceptions import RequestRedirect
from werkzeug.sansio.http import parse_cookie

from .app_factory import WSGIApp, insert_middleware
from .metrics import metrics
from .observability import REQUEST_ID_HEADER, log_request, new_request_id, request_id_var, sane_request_id
from .openapi import ROLES_ATTR
from .security import CLAIMS_KEY, SESSION_CHECKED_HEADER, CachingJWTManager, is_token_revoked

StartResponse = Callable[..., Any]
# A read: the path's values (converted by its rule) and the query's arguments (args=), run in an app context
# with the caller's verified claims, it answers as its Flask view does, or raises.
Read = Callable[..., Response]
EXTENSION_KEY = "permitto.fast_reads"  # the app's fast reads, as installed
_SESSION_CHECKED_KEY = "HTTP_" + SESSION_CHECKED_HEADER.upper().replace("-", "_")  # in a WSGI environ


@dataclass(frozen=True)
class FastRead:
    rule: str  # the Flask view's own rule: the same converters, and the same label in the metrics
    read: Read
    roles: tuple[str, ...]  # the view's require_auth roles: none, any signed-in caller

    @classmethod
    def of(cls, app: Flask, endpoint: str, read: Read) -> FastRead:
        """The fast read of a registered GET view that require_auth guards, under the view's own rule and
        for the view's own roles."""
        rules = [rule.rule for rule in app.url_map.iter_rules(endpoint) if "GET" in (rule.methods or ())]
        if len(rules) != 1:
            raise LookupError(f"{endpoint} has {len(rules)} GET rules; a fast read needs exactly one")
        roles = getattr(app.view_functions[endpoint], ROLES_ATTR, None)
        if roles is None:
            raise LookupError(f"{endpoint} is not guarded by require_auth; a fast read serves only such views")
        return cls(rules[0], read, tuple(roles))


def install_fast_reads(app: Flask, reads: Iterable[FastRead]) -> None:
    """Answer these reads before Flask (inside ProxyFix, which gives the client's address as for Flask)."""
    reads = app.extensions[EXTENSION_KEY] = list(reads)
    insert_middleware(app, lambda flask_wsgi: FastReads(app, flask_wsgi, reads))


class _NotHere(Exception):
    """This request is Flask's."""


class FastReads:
    def __init__(self, app: Flask, flask_wsgi: WSGIApp, reads: Iterable[FastRead]) -> None:
        self.app = app
        self.flask_wsgi = flask_wsgi
        self.reads = {read.rule: read for read in reads}
        # Bound once: matching keeps nothing of a request in the adapter, so threads share it.
        self.routes = Map([Rule(rule, endpoint=rule, methods=["GET"]) for rule in self.reads]).bind("service")
        self.cookie = str(app.config.get("JWT_ACCESS_COOKIE_NAME", "access_token_cookie"))
        self.metrics = metrics()
        self._counters: dict[tuple[str, int], Any] = {}
        self._timers: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("CONTENT_LENGTH") not in (None, "", "0") or \
                "HTTP_TRANSFER_ENCODING" in environ:
            return self.flask_wsgi(environ, start_response)
        try:
            rule, values = self.routes.match(environ.get("PATH_INFO", ""), method="GET")
            read = self.reads[str(rule)]
            claims = self._claims(environ)
            if read.roles and claims.get("role") not in read.roles:
                raise _NotHere  # Flask refuses it, in its words
        except (_NotHere, HTTPException, RequestRedirect):
            return self.flask_wsgi(environ, start_response)
        started = time.perf_counter()
        request_id = sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        context = request_id_var.set(request_id)
        try:
            response = self._read(read, values, claims, request_id, environ)
            if response is not None:
                response.headers[REQUEST_ID_HEADER] = request_id
                self._observe(read.rule, response.status_code, started, environ.get("PATH_INFO", ""))
        finally:
            request_id_var.reset(context)
        if response is None:
            # Flask answers it: the refusal, or the error, in the envelope and words of every other request.
            return self.flask_wsgi(environ, start_response)
        return response(environ, start_response)

    def _read(self, read: FastRead, values: Mapping[str, Any], claims: dict[str, Any], request_id: str,
              environ: dict[str, Any]) -> Response | None:
        """The read's answer, in an app context of its own; None when it did not succeed."""
        try:
            with self._app_context():
                g.request_id = request_id
                setattr(g, CLAIMS_KEY, claims)
                try:
                    if is_token_revoked(claims, environ.get(_SESSION_CHECKED_KEY)):
                        return None
                    return read.read(args=self._args(environ), **values)
                finally:
                    g.pop(CLAIMS_KEY, None)
        except Exception:
            return None

    def _app_context(self) -> AbstractContextManager[object]:
        """A context of the app's own, unless one is already pushed (a test's, or a command's): Flask's
        request uses that one then, and so does a fast read, seeing what it sees."""
        if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
            return nullcontext()
        return self.app.app_context()

    @staticmethod
    def _args(environ: dict[str, Any]) -> ImmutableMultiDict[str, str]:
        """The query's arguments, parsed as Flask's request.args parses them."""
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode()
        return ImmutableMultiDict(parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"))

    def _claims(self, environ: dict[str, Any]) -> dict[str, Any]:
        """The claims of the request's access token, when it is where flask-jwt-extended would look first
        and this process verified it before; _NotHere otherwise."""
        authorization = environ.get("HTTP_AUTHORIZATION")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme != "Bearer" or not token or " " in token or "," in token:
                raise _NotHere
        else:
            cookies = environ.get("HTTP_COOKIE", "")
            token = parse_cookie(cookies).get(self.cookie, "") if self.cookie in cookies else ""
        manager = self.app.extensions.get("flask-jwt-extended")
        claims = manager.verified.get(token) if token and isinstance(manager, CachingJWTManager) else None
        if claims is None or claims.get("type") != "access":
            raise _NotHere
        return dict(claims)  # the read's copy, as the manager gives Flask's

    def _observe(self, rule: str, status: int, started: float, path: str) -> None:
        """The access log line and the metrics, as Flask's hooks write them for every other request."""
        elapsed = time.perf_counter() - started
        counter = self._counters.get((rule, status))
        if counter is None:
            counter = self._counters[(rule, status)] = self.metrics.requests.labels(
                self.app.name, "GET", rule, str(status))
        timer = self._timers.get(rule)
        if timer is None:
            timer = self._timers[rule] = self.metrics.latency.labels(self.app.name, "GET", rule)
        counter.inc()
        timer.observe(elapsed)
        log_request("GET", path, status, round(elapsed * 1000, 2))
