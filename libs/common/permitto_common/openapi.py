"""OpenAPI 3.1 documents generated from what the views really use: the pydantic models that parse their
bodies and query strings, the typed dicts their answers are built as, the roles `require_auth` checks.
Nothing here is written by hand per endpoint; a view states its types once, with `documented`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, Flask, Response, jsonify
from pydantic import BaseModel, TypeAdapter

P = ParamSpec("P")
R = TypeVar("R")

API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
_ATTR = "permitto_openapi"
ROLES_ATTR = "permitto_roles"  # set by security.require_auth: the roles allowed (empty = any signed-in user)
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a pydantic model, typed dict or list of them; None: no data (or not JSON)
    status: int = 200
    paginated: bool = False
    media_type: str = "application/json"  # what a 2xx answer is (a PNG, an event stream, ...)
    description: str = ""


def documented(summary: str, **kwargs: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """State what a view takes and answers; the document and the parsing use the same models."""
    operation = Operation(summary, **kwargs)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        setattr(view, _ATTR, operation)
        return view

    return decorator


def operation_of(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, _ATTR, None)


def _path_and_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "string", match.group(2)
        schema: dict[str, Any] = {"type": "string"}
        if converter == "uuid":
            schema = {"type": "string", "format": "uuid"}
        elif converter == "int":
            schema = {"type": "integer", "minimum": 0}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(replace, rule), parameters


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["success", "error"],
        "properties": {
            "success": {"const": False},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "requestId": {"type": "string"},
                    "details": {"type": "array", "items": {
                        "type": "object", "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
                },
            },
        },
    }


def build_document(app: Flask, *, title: str, version: str = "1.0.0", description: str = "") -> dict[str, Any]:
    """The service's OpenAPI 3.1 document, from every documented view under /api/v1."""
    found: list[tuple[str, str, Operation, tuple[str, ...] | None, list[dict[str, Any]]]] = []
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        operation = operation_of(view)
        if operation is None:
            continue
        path, parameters = _path_and_parameters(rule.rule)
        roles: tuple[str, ...] | None = getattr(view, ROLES_ATTR, None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            key = (path, method)
            found.append((path, method, operation, roles, parameters))
            if operation.body is not None:
                inputs.append(((key, "body"), "validation", TypeAdapter(operation.body)))
            if operation.query is not None:
                inputs.append(((key, "query"), "validation", TypeAdapter(operation.query)))
            if operation.response is not None:
                inputs.append(((key, "response"), "serialization", TypeAdapter(operation.response)))
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF) if inputs else ({}, {})
    components: dict[str, Any] = dict(definitions.get("$defs", {}))
    components["Error"] = _error_schema()
    components["PageMeta"] = {"type": "object", "additionalProperties": True,
                              "description": "page, limit and total; or the cursor of the next page"}

    paths: dict[str, dict[str, Any]] = {}
    for path, method, operation, roles, path_parameters in found:
        key = (path, method)
        slug = re.sub(r"[^a-zA-Z0-9]+", "_", path.removeprefix(API_PREFIX)).strip("_")
        entry: dict[str, Any] = {
            "operationId": f"{method.lower()}_{slug}",
            "summary": operation.summary,
            "tags": [path.removeprefix(API_PREFIX).strip("/").split("/")[0] or "root"],
            "parameters": list(path_parameters),
        }
        notes = [operation.description] if operation.description else []
        if roles is None:
            entry["security"] = []
        elif roles:
            notes.append("Roles: " + ", ".join(roles) + ".")
        if notes:
            entry["description"] = " ".join(notes)
        query_schema = schemas.get(((key, "query"), "validation"))
        if query_schema is not None:
            entry["parameters"] += _query_parameters(query_schema, components)
        body_schema = schemas.get(((key, "body"), "validation"))
        if body_schema is not None:
            entry["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body_schema}}}
        entry["responses"] = {
            str(operation.status): _success(operation, schemas.get(((key, "response"), "serialization"))),
            "default": {"description": "An error, in the one error envelope",
                        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}},
        }
        if not entry["parameters"]:
            del entry["parameters"]
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


def _success(operation: Operation, data_schema: dict[str, Any] | None) -> dict[str, Any]:
    if operation.media_type != "application/json":
        return {"description": operation.summary,
                "content": {operation.media_type: {"schema": {"type": "string"}}}}
    properties: dict[str, Any] = {"success": {"const": True}, "data": data_schema or {"type": "null"}}
    required = ["success", "data"]
    if operation.paginated:
        properties["meta"] = {"$ref": REF.format(model="PageMeta")}
        required.append("meta")
    return {"description": operation.summary, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


def _query_parameters(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    required = set(schema.get("required", []))
    result = []
    for name, field in schema.get("properties", {}).items():
        field = {k: v for k, v in field.items() if k != "title" and not (k == "default" and v is None)}
        # An optional parameter is one that is left out: a query string has no null.
        options = [o for o in field.get("anyOf", []) if o != {"type": "null"}]
        if "anyOf" in field and len(options) == 1:
            field = {**{k: v for k, v in field.items() if k != "anyOf"}, **options[0]}
        elif "anyOf" in field:
            field["anyOf"] = options
        result.append({"name": name, "in": "query", "required": name in required, "schema": field})
    return result


def openapi_blueprint(title: str, description: str = "") -> Blueprint:
    """GET /openapi.json on the service itself: the gateway reads it to build the public document."""
    bp = Blueprint("openapi", __name__)
    cache: dict[str, Any] = {}

    @bp.get("/openapi.json")
    def document() -> Response:
        from flask import current_app

        if "doc" not in cache:
            cache["doc"] = build_document(current_app, title=title, description=description)
        return jsonify(cache["doc"])

    return bp
