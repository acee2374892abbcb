"""Application factory of the gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import urllib3
from flask import Flask, Response

from permitto_common.app_factory import create_base_app, insert_middleware
from permitto_common.errors import NotFound
from permitto_common.health import add_readiness_check
from permitto_common.internal_http import use_auth_for_session_checks
from permitto_common.metrics import upstream_error

from .config import Settings
from .docs import ApiDocs, docs_blueprint
from .edge import EdgeHeaders, init_cors_and_headers
from .edge_auth import EdgeAuth
from .hotpath import EdgeProxy
from .proxy import Upstreams
from .routes import API_PREFIX
from .webapp import init_web_app

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = create_base_app(__name__, settings.common, config=test_config)
    upstreams = Upstreams(settings.upstreams, on_error=lambda service, kind: upstream_error(app, service, kind))
    edge = EdgeHeaders(settings.cors_origins, hsts=settings.hsts)
    use_auth_for_session_checks(app, settings.upstreams["auth"])
    init_cors_and_headers(app, edge)
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

    @app.route(API_PREFIX + "/", defaults={"subpath": ""}, methods=METHODS)
    @app.route(API_PREFIX + "/<path:subpath>", methods=METHODS)
    def no_such_route(subpath: str) -> Response:
        """What reaches Flask under /api/v1 is no service's: the hot path forwards every routed call."""
        raise NotFound("No such API route.")

    # Calls a service answers take the hot path, inside ProxyFix: it sees the client's real address.
    insert_middleware(app, lambda inner: EdgeProxy(app, inner, settings, upstreams,
                                                   EdgeAuth(settings.common.jwt_public_key), edge))
    return app
