"""Encoding answers as JSON in C (orjson): every service's Flask JSON provider.

orjson writes uuids, instants and dataclasses natively, in the same form as str(uuid) and
datetime.isoformat() (an aware instant keeps its offset, "+00:00"; microseconds only when there are
some), so an answer may carry them as they are; a date is ISO 8601 (never Flask's HTTP-date form).
What orjson refuses (a Decimal, markup, a string holding a lone surrogate that a client sent as "\\udaed")
is encoded by the stdlib instead, with escapes, so no answer fails for its encoding. Decoding stays with
Flask's (stdlib) provider, whose errors the request parser turns into the envelope's 400.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date
from typing import Any, cast

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS  # as json.dumps: integer (and uuid) keys become strings


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8."""
    try:
        return orjson.dumps(value, option=OPTIONS)
    except TypeError:
        return json.dumps(value, default=_default, separators=(",", ":")).encode()


class JSONProvider(DefaultJSONProvider):
    """Flask's provider, encoding with orjson: jsonify, the envelope and every error answer use it."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit request for the stdlib's options (indent, sort_keys, ...)
            return super().dumps(obj, **kwargs)
        return dumps(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return cast(Response, self._app.response_class(dumps(obj) + b"\n", mimetype=self.mimetype))  # type: ignore[arg-type]
