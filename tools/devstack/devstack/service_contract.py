"""Tests every service passes the same way; a service's tests import them:

    from devstack.service_contract import *  # noqa: F403

They need the service's `app` and `client` fixtures.
"""

from __future__ import annotations

from typing import Any

from .pytest_plugin import schema_drift

__all__ = [
    "test_healthz_does_no_io",
    "test_readyz_reports_every_check",
    "test_unknown_route_is_a_404_envelope_with_request_id",
    "test_insane_request_id_is_replaced",
    "test_wrong_method_is_a_405_envelope",
    "test_oversized_body_is_a_413_envelope",
    "test_migrations_match_models",
    "test_metrics_are_for_the_monitoring_system_only",
    "test_openapi_document_is_valid_and_covers_every_public_route",
]


def test_healthz_does_no_io(client: Any, app: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"success": True, "data": {"status": "ok", "service": app.name, "version": "dev"}}


def test_readyz_reports_every_check(client: Any, app: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    checks = response.json["data"]["checks"]
    assert checks["redis"]["ok"] is True
    if "sqlalchemy" in app.extensions:
        assert checks["database"]["ok"] is True
    if "migrate" in app.extensions:  # ready only at the code's migration head (the deploy gate waits for it)
        assert checks["migrations"]["ok"] is True
        assert checks["migrations"]["migrations"]
    assert response.json["data"]["version"] == "dev"  # no PERMITTO_VERSION outside an image


def test_unknown_route_is_a_404_envelope_with_request_id(client: Any) -> None:
    response = client.get("/nope", headers={"X-Request-ID": "test-request-0001"})
    assert response.status_code == 404
    assert response.json["success"] is False
    assert response.json["error"]["code"] == "NOT_FOUND"
    assert response.json["error"]["requestId"] == "test-request-0001"
    assert response.headers["X-Request-ID"] == "test-request-0001"


def test_insane_request_id_is_replaced(client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert response.headers["X-Request-ID"] != "bad id <script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_wrong_method_is_a_405_envelope(client: Any) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_a_413_envelope(client: Any, app: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/nope", data=b"x" * (limit + 1), content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_migrations_match_models(app: Any) -> None:
    """The same check as `flask db check`: autogenerate finds nothing to do."""
    if "sqlalchemy" not in app.extensions:
        return
    assert schema_drift(app.extensions["sqlalchemy"]) == []


def test_metrics_are_for_the_monitoring_system_only(client: Any, app: Any) -> None:
    client.get("/nope")
    assert client.get("/metrics").status_code == 403
    response = client.get("/metrics", headers={"X-Internal-Token": app.config["INTERNAL_API_TOKEN"]})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "permitto_http_requests_total" in text
    assert f'service="{app.name}"' in text
    assert "permitto_http_request_duration_seconds_bucket" in text


def test_openapi_document_is_valid_and_covers_every_public_route(client: Any, app: Any) -> None:
    from openapi_spec_validator import validate

    from permitto_common.openapi import operation_of

    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"
    validate(document)
    undocumented = [rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/api/v1") and operation_of(app.view_functions[rule.endpoint]) is None]
    assert undocumented == [], "every public route states its schemas with @documented"
    operations = sum(len(methods) for methods in document["paths"].values())
    public_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert operations == sum(len((r.methods or set()) - {"HEAD", "OPTIONS"}) for r in public_rules)
