"""The one input layer: request bodies and query strings parsed by pydantic models, after checks that
hold for every endpoint. Failures become one 422 with the field and the reason, and change nothing.

Every body, before any model sees it: JSON only, nested at most MAX_DEPTH deep, finite numbers only
(JSON has no NaN or Infinity; Python's parser accepts them and 1e400 becomes infinity), no control
characters in any string but tab and line breaks, nothing PostgreSQL cannot store. After the model:
a string field is single-line unless the model marks it `Text`, so a title can never break an email
header or a PDF line."""

from __future__ import annotations

import json
import math
import unicodedata
from functools import cache
from typing import Annotated, Any, TypeVar, get_args, get_origin

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from werkzeug.datastructures import MultiDict

from .errors import ValidationFailed, field_error

M = TypeVar("M", bound=BaseModel)
MAX_DEPTH = 32  # the deepest real body (a template schema: sections, fields, options) is 6


class _Multiline:
    """Marks a string field that may hold line breaks (reasons, notes, descriptions)."""

    def __repr__(self) -> str:
        return "Multiline"


MULTILINE = _Multiline()
Text = Annotated[str, MULTILINE]
LINE_BREAKS = frozenset("\n\r\t\x0b\x0c\x85\u2028\u2029")


class Body(BaseModel):
    """The base of every request body and query model: camelCase on the wire, nothing unknown."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True,
                              str_strip_whitespace=True)


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
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors_to_details(exc)) from None
    broken = list(multiline_where_single(parsed, ""))
    if broken:
        raise ValidationFailed([field_error(where, "must be a single line (no line breaks or tabs)")
                                for where in broken])
    return parsed


def multiline_where_single(model: BaseModel, path: str) -> Any:
    """The fields of a parsed model (and the models inside it) holding a line break where the model
    does not declare the field `Text`. Free-form dicts (form data) are the template's to check."""
    for name, shown, multiline in _fields(type(model)):
        value = getattr(model, name)
        where = (path + "." if path else "") + shown
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            at = f"{where}[{index}]" if isinstance(value, list) else where
            if isinstance(item, str) and not multiline and not LINE_BREAKS.isdisjoint(item):
                yield at
            elif isinstance(item, BaseModel):
                yield from multiline_where_single(item, at)


@cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, str, bool], ...]:
    """A model's fields as (name, name in the API, may hold line breaks): read once per model, not for
    every request it parses."""
    return tuple((name, info.alias or name, any(meta is MULTILINE for meta in info.metadata)
                  or _marked(info.annotation)) for name, info in model.model_fields.items())


def _marked(annotation: Any) -> bool:
    """Whether a type (`Text | None`, `list[Text]`) holds the multi-line mark somewhere inside."""
    if get_origin(annotation) is Annotated:
        return any(meta is MULTILINE for meta in get_args(annotation)[1:])
    return any(_marked(arg) for arg in get_args(annotation))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large for a number")
    return number


def load_json(raw: bytes) -> Any:
    """Parse a body strictly: refuses NaN, Infinity, numbers that overflow to infinity, and nesting
    deeper than the parser's recursion can take (RecursionError, which is not a ValueError)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValidationFailed([field_error("body", f"is nested too deeply (at most {MAX_DEPTH} levels)")]) from None
    except ValueError as exc:
        reason = str(exc) if "number" in str(exc) else "The body must be valid JSON."
        raise ValidationFailed([field_error("body", reason)]) from None


def body_problem(value: Any) -> tuple[str, str] | None:
    """The first place in a parsed body that no endpoint accepts, as (field, reason); walked without
    recursion so that depth itself cannot fail the walk."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "body", f"is nested too deeply (at most {MAX_DEPTH} levels)"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path or "body", problem
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                where = f"{path}.{key}" if path else str(key)
                problem = text_problem(key)
                if problem:
                    return path or "body", "a key " + problem
                stack.append((child, where, depth + 1))
        elif isinstance(item, list):
            for index in reversed(range(len(item))):
                stack.append((item[index], f"{path}[{index}]", depth + 1))
    return None


def text_problem(value: str) -> str | None:
    """Why no string anywhere may hold this text: NUL and other control characters (tab and line
    breaks aside), or lone UTF-16 surrogates that JSON can spell but UTF-8 cannot encode."""
    if value.isprintable():
        return None
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "contains invalid Unicode (an unpaired surrogate)"
    for ch in value:
        if ch not in LINE_BREAKS and unicodedata.category(ch) == "Cc":
            return f"must not contain control characters (U+{ord(ch):04X})"
    return None


def parse_body(model: type[M]) -> M:
    """Validate the JSON body; a missing or non-JSON body is a 422 too, never a 400 HTML page."""
    raw = request.get_data(cache=True)
    if raw.strip() and not request.is_json:
        raise ValidationFailed([field_error("body", "The body must be valid JSON (Content-Type: application/json).")])
    data = load_json(raw) if raw.strip() else {}
    problem = body_problem(data)
    if problem is not None:
        raise ValidationFailed([field_error(*problem)])
    return parse_model(model, data)


def parse_query(model: type[M], args: MultiDict[str, str] | None = None) -> M:
    """The query's arguments (the request's, unless given) as the model, or ValidationFailed."""
    args = request.args if args is None else args
    data: dict[str, Any] = {}
    for key in args:
        values = args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    problem = body_problem(data)
    if problem is not None:
        raise ValidationFailed([field_error(*problem)])
    return parse_model(model, data)
