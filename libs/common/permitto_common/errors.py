"""The one response envelope, and the handlers that put every error into it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, g, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# HTTP status -> machine-readable code used in the error envelope.
STATUS_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    417: "EXPECTATION_FAILED",
    422: "VALIDATION_ERROR",
    428: "PRECONDITION_REQUIRED",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class APIError(Exception):
    """An error meant for the client: status, code, message and optional field details."""

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: Iterable[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
            self.code = code or STATUS_CODES.get(status, "ERROR")
        if code is not None:
            self.code = code
        self.details = list(details or [])
        self.headers = headers or {}


class ValidationFailed(APIError):
    status = 422
    code = "VALIDATION_ERROR"

    def __init__(self, details: Iterable[dict[str, Any]], message: str = "The request is not valid.") -> None:
        super().__init__(message, details=details)


class NotFound(APIError):
    status = 404
    code = "NOT_FOUND"


class Forbidden(APIError):
    status = 403
    code = "FORBIDDEN"


class Unauthorized(APIError):
    status = 401
    code = "UNAUTHORIZED"


class Conflict(APIError):
    status = 409
    code = "CONFLICT"


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def success(data: Any = None, *, status: int = 200, meta: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"success": True, "data": data}
    if meta is not None:
        body["meta"] = meta
    response = jsonify(body)
    response.status_code = status
    return response


def error_body(
    status: int, message: str, *, code: str | None = None, details: Iterable[dict[str, Any]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The envelope of an error; the request id is the current request's unless given (outside Flask)."""
    error: dict[str, Any] = {"code": code or STATUS_CODES.get(status, "ERROR"), "message": message}
    detail_list = list(details or [])
    if detail_list:
        error["details"] = detail_list
    if request_id is None:
        request_id = g.get("request_id") if g else None
    if request_id:
        error["requestId"] = request_id
    return {"success": False, "error": error}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Iterable[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify(error_body(status, message, code=code, details=details))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


# Werkzeug's default descriptions are written for HTML pages; these read better in JSON.
BODY_TOO_LARGE = "The request body is too large."
_MESSAGES = {
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    413: BODY_TOO_LARGE,
}


def report_error(exc: BaseException) -> None:
    """To error tracking, when it is on: this handler answers every error, so Flask's signal that Sentry's
    Flask integration listens to never fires; the report is made here."""
    import sentry_sdk

    if sentry_sdk.is_initialized():
        sentry_sdk.capture_exception(exc)


def register_error_handlers(app: Flask) -> None:
    """Every error, whoever raised it, leaves as the envelope."""

    @app.errorhandler(APIError)
    def _api_error(exc: APIError) -> Response:
        return error_response(exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = _MESSAGES.get(status) or (exc.description or exc.name)
        headers: dict[str, str] = {}
        if status == 405 and exc.get_response().headers.get("Allow"):
            headers["Allow"] = exc.get_response().headers["Allow"]
        return error_response(status, message, headers=headers)

    @app.errorhandler(RedisError)
    def _redis_down(exc: RedisError) -> Response:
        # Whatever needed Redis did not happen (and its transaction is rolled back): safe to retry.
        log.warning("redis unavailable: %s", exc)
        return error_response(503, "A backing service is unavailable right now; try again shortly.",
                              headers={"Retry-After": "5"})

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        # A lost or unreachable database is an outage, not a bug: 503, safe to retry (the transaction
        # never committed), and it counts towards the gateway's circuit breaker. Other database errors
        # (a constraint the code should have checked) stay 500s.
        if exc.connection_invalidated or _is_unavailable(exc):
            return _database_down(exc)
        return _unexpected(exc)

    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def _database_down(exc: Exception) -> Response:
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return error_response(503, "The database is unavailable right now; try again shortly.",
                              headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error: %s", exc)
        report_error(exc)
        return error_response(500, "Something went wrong on our side. The error was logged.")


# SQLSTATE classes of a server that is gone, starting, stopping or out of connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def _is_unavailable(exc: DBAPIError) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate and any(sqlstate.startswith(prefix) for prefix in _UNAVAILABLE_SQLSTATES):
        return True
    # psycopg raises OperationalError without a SQLSTATE when it cannot connect at all.
    return isinstance(exc, OperationalError | InterfaceError) and not sqlstate
