"""Routing and forwarding: envelopes for unknown routes and dead services, bodies passed unchanged."""

from devstack.service_contract import (  # noqa: F401  (the shared contract, less readiness: a service is down here)
    test_healthz_does_no_io,
    test_insane_request_id_is_replaced,
    test_metrics_are_for_the_monitoring_system_only,
    test_oversized_body_is_a_413_envelope,
    test_unknown_route_is_a_404_envelope_with_request_id,
    test_wrong_method_is_a_405_envelope,
)
from permitto_gateway.routes import match


def test_routes_match_whole_segments_only():
    assert match("/permits").service == "permits"
    assert match("/permits/123/approve").service == "permits"
    assert match("/permitsx") is None
    assert match("/users/1").service == "auth"
    assert match("/internal/users") is None
    assert match("/permits/0b7c6f1e-8a3e-4c55-9d47-1a2b3c4d5e6f/files").service == "files"
    assert match("/permits/0b7c6f1e-8a3e-4c55-9d47-1a2b3c4d5e6f/files/x").service == "permits"


def test_a_service_answering_503_with_retry_after_is_passed_on_not_retried(client, mint):
    token = mint(sub="u-42", role="ISSUER")
    response = client.delete("/api/v1/users/42?answer=busy", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["message"] == "busy"


def test_unknown_api_route_is_a_404_envelope(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "NOT_FOUND"


def test_forwarding_keeps_path_query_body_status_and_headers(client, mint):
    token = mint(sub="u-42", role="ISSUER")
    response = client.post(
        "/api/v1/users/42?x=1&y=2",
        data='{"a": 1}',
        content_type="application/json",
        headers={"X-Request-ID": "gateway-test-0001", "Authorization": f"Bearer {token}",
                 "X-Authenticated-User-Id": "forged-admin"},
    )
    assert response.status_code == 207
    assert response.headers["X-Upstream"] == "echo"
    assert response.headers["X-Request-ID"] == "gateway-test-0001"
    assert response.json == {
        "path": "/api/v1/users/42",
        "query": "x=1&y=2",
        "body": '{"a": 1}',
        "request_id": "gateway-test-0001",
        "authorization": f"Bearer {token}",
        "user": None,  # a forged identity header never reaches a service
        "role": None,
    }


def test_a_dead_service_is_a_503_envelope_naming_it(client, mint, app):
    app.extensions["permitto.upstreams"].breakers["permits"].success()
    response = client.get("/api/v1/permits", headers={"Authorization": f"Bearer {mint()}"})
    assert response.status_code == 503
    assert response.json["success"] is False
    assert response.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "permits" in response.json["error"]["message"]


def test_readyz_names_the_dead_service(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["data"]["checks"]["auth"]["ok"] is True
    assert response.json["data"]["checks"]["permits"]["ok"] is False
    assert "permits" in response.json["error"]["message"]


def test_protected_routes_need_a_valid_token_at_the_edge(client, mint):
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"},
                    {"Authorization": f"Bearer {mint(ttl=-10)}"}):
        response = client.get("/api/v1/users", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["code"] == "UNAUTHORIZED"
        assert "X-Upstream" not in response.headers  # refused before reaching the service


def test_public_routes_pass_without_a_token(client):
    response = client.post("/api/v1/auth/login", json={"email": "a", "password": "b"})
    assert response.status_code == 207
    assert response.json["user"] is None


def test_a_revoked_session_is_refused_at_the_edge(client, mint, app):
    import jwt

    from permitto_common.redis_conn import get_redis
    from permitto_common.security import deny_key_for_session

    token = mint()
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    get_redis(app).set(deny_key_for_session(sid), "logout", ex=60)
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "ended" in response.json["error"]["message"]


def test_cors_preflight_and_headers_for_allowed_origins_only(client, mint):
    origin = {"Origin": "https://app.permitto.example"}
    preflight = client.options("/api/v1/users", headers={**origin, "Access-Control-Request-Method": "POST",
                                                         "Access-Control-Request-Headers": "Authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.permitto.example"
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = client.options("/api/v1/users", headers={"Origin": "https://evil.example",
                                                        "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    response = client.get("/api/v1/users", headers={**origin, "Authorization": f"Bearer {mint()}"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.permitto.example"


def test_security_headers_on_every_answer(client):
    for response in (client.get("/healthz"), client.get("/api/v1/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_login_is_rate_limited_at_the_edge_per_address(client):
    headers = {"X-Forwarded-For": "10.9.9.9"}
    statuses = [client.post("/api/v1/auth/login", json={"email": "a", "password": "b"}, headers=headers).status_code
                for _ in range(4)]
    assert statuses == [207, 207, 207, 429]
    limited = client.post("/api/v1/auth/login", json={}, headers=headers)
    assert limited.json["error"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1


def test_a_failing_service_opens_the_breaker_and_is_answered_at_once(client, mint, app):
    import time

    token = {"Authorization": f"Bearer {mint()}"}
    for _ in range(5):  # nothing listens for permits: five failures open the breaker
        assert client.get("/api/v1/permits", headers=token).status_code == 503
    started = time.perf_counter()
    response = client.get("/api/v1/permits", headers=token)
    assert response.status_code == 503
    assert "paused" in response.json["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert time.perf_counter() - started < 0.05  # no connection was even tried
    app.extensions["permitto.upstreams"].breakers["permits"].success()  # leave it closed for other tests
