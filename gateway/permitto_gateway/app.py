"""Application factory of the gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import urllib3
from flask import Flask, Response, request

from permitto_common.app_factory import create_base_app
from permitto_common.errors import APIError, NotFound
from permitto_common.health import add_readiness_check
from permitto_common.internal_http import use_auth_for_session_checks

from .config import Settings
from .docs import ApiDocs, docs_blueprint
from .edge import edge_checks, init_cors_and_headers
from .edge_auth import EdgeAuth
from .proxy import Upstreams
from .routes import API_PREFIX, is_public, match
from .webapp import init_web_app

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = create_base_app(__name__, settings.common, config=test_config)
    upstreams = Upstreams(settings.upstreams)
    edge_auth = EdgeAuth(settings.common.jwt_public_key)
    use_auth_for_session_checks(app, settings.upstreams["auth"])
    init_cors_and_headers(app, settings.cors_origins, hsts=settings.hsts)
    app.extensions["permitto.upstreams"] = upstreams
    app.config["READYZ_PARALLEL"] = True  # each check waits on a service; run them at once
    probe = urllib3.PoolManager(maxsize=4, retries=False)

    def service_check(url: str) -> Callable[[], dict[str, object]]:
        def check() -> dict[str, object]:
            """Ready, and which version it runs (the deploy gate waits for every service's new one)."""
            response = probe.request("GET", url + "/readyz", timeout=urllib3.Timeout(connect=1.0, read=2.0))
            try:
                version = str(json.loads(response.data)["data"]["version"])
            except (ValueError, KeyError, TypeError):
                version = "unknown"
            if response.status != 200:
                raise RuntimeError(f"answered {response.status} (version {version})")
            return {"version": version}

        return check

    for name, url in settings.upstreams.items():
        add_readiness_check(app, name, service_check(url))

    app.register_blueprint(docs_blueprint(ApiDocs(settings.upstreams)))
    init_web_app(app, settings.web_dist, settings.storage_origin)

    @app.get("/verify/<string:token>")
    def verify_page(token: str) -> Response:
        """The public permit check a printed QR code opens: a page of the permits service, no sign-in."""
        edge_checks(settings.limits, path="/verify/" + token, method="GET", claims=None)
        route = match("/verify")
        assert route is not None
        return upstreams.forward(route, "/verify/" + token)

    @app.route(API_PREFIX + "/", defaults={"subpath": ""}, methods=METHODS)
    @app.route(API_PREFIX + "/<path:subpath>", methods=METHODS)
    def proxy(subpath: str) -> Response:
        path = "/" + subpath
        route = match(path)
        if route is None:
            raise NotFound("No such API route.")
        claims: dict[str, Any] | None = None
        if not is_public(request.method, path):
            try:
                claims = edge_auth.verify()
            except APIError:
                # Requests with bad tokens count against the address, so spraying tokens is limited too.
                edge_checks(settings.limits, path=path, method=request.method, claims=None)
                raise
        edge_checks(settings.limits, path=path, method=request.method, claims=claims)
        # Services verify the token themselves: the gateway passes no identity headers of its own.
        return upstreams.forward(route, API_PREFIX + path)

    return app
