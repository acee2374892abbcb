"""Request bodies and query strings parsed by pydantic models; failures become one 422 with every field."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from .errors import ValidationFailed, field_error

M = TypeVar("M", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "body"


def errors_to_details(exc: ValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors(include_url=False):
        message = err["msg"]
        # pydantic prefixes custom ValueErrors with this; the client does not need it.
        message = message.removeprefix("Value error, ")
        details.append(field_error(_location(tuple(err["loc"])), message))
    return details


def parse_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors_to_details(exc)) from None


def unstorable_text(value: Any, path: str) -> tuple[str, str] | None:
    """The first string PostgreSQL (and any email) cannot hold: NUL characters, or lone UTF-16
    surrogates that JSON can spell (\\udaed) but UTF-8 cannot encode. Keys are checked too."""
    if isinstance(value, str):
        if "\x00" in value:
            return path, "must not contain NUL characters"
        try:
            value.encode()
        except UnicodeEncodeError:
            return path, "contains invalid Unicode (an unpaired surrogate)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            problem = unstorable_text(key, path) or unstorable_text(item, where)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = unstorable_text(item, f"{path}[{index}]")
            if problem is not None:
                return problem
    return None


def parse_body(model: type[M]) -> M:
    """Validate the JSON body; a missing or non-JSON body is a 422 too, never a 400 HTML page."""
    data = request.get_json(silent=True)
    if data is None:
        if request.content_length or request.data:
            raise ValidationFailed([field_error("body", "The body must be valid JSON.")])
        data = {}
    problem = unstorable_text(data, "")
    if problem is not None:
        raise ValidationFailed([field_error(problem[0] or "body", problem[1])])
    return parse_model(model, data)


def parse_query(model: type[M]) -> M:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    problem = unstorable_text(data, "")
    if problem is not None:
        raise ValidationFailed([field_error(problem[0] or "query", problem[1])])
    return parse_model(model, data)
