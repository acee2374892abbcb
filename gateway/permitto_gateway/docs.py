"""The public API document and its docs page. Each service generates its own OpenAPI document from its
schemas; the gateway merges them, keeping only the paths its routing table sends to that service, and
serves Swagger UI from the assets shipped in the flask-swagger-ui package (no CDN)."""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import flask_swagger_ui
import urllib3
from flask import Blueprint, Response, redirect, request, send_from_directory

from permitto_common.errors import APIError, success

from .routes import API_PREFIX, match

log = logging.getLogger(__name__)

ASSETS = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
PAGE = Path(__file__).resolve().parent / "docs_page"
# Swagger UI runs our own init script (no inline script) and styles itself inline.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'")
CACHE_SECONDS = 60.0
PLACEHOLDER = re.compile(r"\{[^}]+\}")
SAMPLE_ID = "00000000-0000-0000-0000-000000000000"  # what a path parameter looks like to the routing table


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                name = value.rsplit("/", 1)[1]
                out[key] = "#/components/schemas/" + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def merge(documents: dict[str, dict[str, Any]], *, version: str = "1.0.0") -> dict[str, Any]:
    """One document from the services' own: a schema name two services use differently gets the
    service's name in front; a path is kept only where the gateway routes it to that service."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    tags = []
    for service, document in sorted(documents.items()):
        own = document.get("components", {}).get("schemas", {})
        renames = {name: f"{service}.{name}" for name, schema in own.items()
                   if name in schemas and schemas[name] != schema}
        document = _rename_refs(copy.deepcopy(document), renames)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for path, operations in document.get("paths", {}).items():
            route = match(PLACEHOLDER.sub(SAMPLE_ID, path.removeprefix(API_PREFIX)) or "/")
            if route is None or route.service != service:
                continue
            paths[path] = operations
        tags.append({"name": service, "description": document.get("info", {}).get("description", "")})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Permitto API",
            "version": version,
            "description": "Permit To Work: every public endpoint, through the gateway. Errors always come in "
                           "the one envelope: {success: false, error: {code, message, details?, requestId}}.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
        "x-services": [tag["name"] for tag in tags],
    }


class ApiDocs:
    """Fetches each service's document (cached a minute; a missing service is retried next time)."""

    def __init__(self, upstreams: dict[str, str]) -> None:
        self.upstreams = upstreams
        self.pool = urllib3.PoolManager(maxsize=4, retries=False)
        self._lock = threading.Lock()
        self._cached: tuple[float, bytes] | None = None

    def _fetch(self, url: str) -> dict[str, Any]:
        # A service builds its document once, on the first request: on a busy machine that takes seconds.
        response = self.pool.request("GET", url + "/openapi.json", timeout=urllib3.Timeout(connect=1.0, read=20.0))
        if response.status != 200:
            raise RuntimeError(f"answered {response.status}")
        document: dict[str, Any] = json.loads(response.data)
        return document

    def document(self) -> bytes:
        with self._lock:
            if self._cached and self._cached[0] > time.monotonic():
                return self._cached[1]
            documents, missing = {}, []
            for name, url in self.upstreams.items():
                try:
                    documents[name] = self._fetch(url)
                except Exception as exc:  # one service down must not hide the others' documentation
                    log.warning("no API document from a service", extra={"upstream": name, "error": str(exc)})
                    missing.append(name)
            if not documents:
                raise APIError("The API document cannot be built right now; try again shortly.", status=503)
            merged = merge(documents)
            if missing:
                merged["info"]["x-missing-services"] = missing
            body = json.dumps(merged).encode()
            if not missing:
                self._cached = (time.monotonic() + CACHE_SECONDS, body)
            return body


def docs_blueprint(docs: ApiDocs) -> Blueprint:
    bp = Blueprint("docs", __name__)

    @bp.get("/")
    def index() -> Response:
        """A browser opening the gateway's address goes to the web app; an API client learns where to go."""
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return redirect("/app/", code=302)  # type: ignore[return-value]
        return success({"name": "Permitto API", "app": "/app/", "docs": API_PREFIX + "/docs",
                        "openapi": API_PREFIX + "/openapi.json", "readiness": "/readyz"})

    @bp.get(API_PREFIX + "/openapi.json")
    def openapi_json() -> Response:
        response = Response(docs.document(), mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    @bp.get(API_PREFIX + "/docs")
    def page() -> Response:
        response = send_from_directory(PAGE, "index.html", max_age=300)
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    @bp.get(API_PREFIX + "/docs/<path:name>")
    def asset(name: str) -> Response:
        folder = PAGE if name == "docs-init.js" else ASSETS
        response = send_from_directory(folder, name, max_age=3600)
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    return bp
