"""Request ids and JSON logs: every line a service or job writes names the service and the request."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_service_name = "permitto"


def new_request_id() -> str:
    return secrets.token_hex(16)  # 32 hex characters, as a uuid4's hex, for a third of the CPU


def sane_request_id(candidate: str | None) -> str | None:
    """An incoming id is kept only if it cannot smuggle anything into logs or headers."""
    if candidate and _SANE_REQUEST_ID.match(candidate):
        return candidate
    return None


def current_request_id() -> str | None:
    return request_id_var.get()


def json_line(created: float, level: str, logger: str, message: str, fields: dict[str, Any]) -> str:
    """One log line: when, how bad, which service and logger, the message, the current request id, then
    the line's own fields."""
    payload: dict[str, Any] = {
        "ts": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "service": _service_name,
        "logger": logger,
        "message": message,
    }
    request_id = request_id_var.get()
    if request_id:
        payload["request_id"] = request_id
    payload.update(fields)
    return json.dumps(payload, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the service name and the current request id."""

    _RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        fields = {key: value for key, value in record.__dict__.items()
                  if key not in self._RESERVED and not key.startswith("_")}
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return json_line(record.created, record.levelname, record.name, record.getMessage(), fields)


_json_handler: logging.StreamHandler[Any] | None = None


def configure_logging(service_name: str, level: str = "INFO") -> None:
    """Called from create_app and worker start, never at import time."""
    global _service_name, _json_handler
    _service_name = service_name
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    _json_handler = handler
    root.handlers = [handler]
    root.setLevel(level)
    # Werkzeug's own request lines would duplicate ours, in another format.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


ACCESS_LOG = logging.getLogger("permitto.access")


def log_request(method: str, path: str, status: int, duration_ms: float) -> None:
    """The access log's line for one request. When the JSON handler configure_logging set is the only
    one (as in every deployed process), the line it would write is written to its stream at once: the
    logging module's record, handler and lock machinery were a fifth of the gateway's CPU for a
    forwarded call. Any other handler (a test's capture, an error tracker's hook) gets the record."""
    if not ACCESS_LOG.isEnabledFor(logging.INFO):
        return
    handler = _json_handler
    root = logging.getLogger()
    if handler is None or ACCESS_LOG.handlers or root.handlers != [handler] or \
            handler.level > logging.INFO or handler.filters:
        ACCESS_LOG.info("request", extra={"method": method, "path": path, "status": status,
                                          "duration_ms": duration_ms})
        return
    line = json_line(time.time(), "INFO", ACCESS_LOG.name, "request", {
        "method": method, "path": path, "status": status, "duration_ms": duration_ms}) + handler.terminator
    try:
        with handler.lock or contextlib.nullcontext():
            handler.stream.write(line)  # stderr is line-buffered: the line is written now
    except Exception:  # as logging does: a broken log stream never breaks the request
        handler.handleError(logging.makeLogRecord({"msg": "request"}))


def init_request_ids(app: Flask) -> None:
    """Accept a sane X-Request-ID or make one; echo it; log one line per request."""

    @app.before_request
    def _start() -> None:
        rid = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        g.request_id = rid
        g.request_started = time.perf_counter()
        g.request_id_token = request_id_var.set(rid)

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        # Probes run every few seconds; logging them would drown the requests that matter.
        if started is not None and request.path not in ("/healthz", "/readyz"):
            log_request(request.method, request.path, response.status_code,
                        round((time.perf_counter() - started) * 1000, 2))
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)


def init_error_tracking(dsn: str, *, service: str, environment: str, release: str) -> bool:
    """Sentry for a web process and its RQ jobs (the Flask and RQ integrations: an unhandled error of a
    request or a job is reported with its request id); off when no DSN is set. Personal data (addresses,
    cookies, bodies) is not sent; an APIError is the client's mistake, not an error to report."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    def before_send(event: Any, hint: Any) -> Any:
        from .errors import APIError

        error = (hint or {}).get("exc_info", (None, None))[1]
        if isinstance(error, APIError) and error.status < 500:
            return None
        event.setdefault("tags", {})["request_id"] = current_request_id()
        return event

    sentry_sdk.init(dsn=dsn, environment=environment, release=release,
                    integrations=[FlaskIntegration(), RqIntegration()], traces_sample_rate=0.0,
                    before_send=before_send, server_name=service)
    return True
