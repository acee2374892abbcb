"""Routing and forwarding: envelopes for unknown routes and dead services, bodies passed unchanged."""

import jwt

from devstack.service_contract import (  # noqa: F401  (the shared contract, less readiness: a service is down here)
    test_healthz_does_no_io,
    test_insane_request_id_is_replaced,
    test_metrics_are_for_the_monitoring_system_only,
    test_oversized_body_is_a_413_envelope,
    test_unknown_route_is_a_404_envelope_with_request_id,
    test_wrong_method_is_a_405_envelope,
)
from permitto_common.security import session_checked_by_edge, session_checked_word
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


def test_forwarding_keeps_path_query_body_status_and_headers(client, mint, app):
    token = mint(sub="u-42", role="ISSUER")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_word = session_checked_word("not the internal token", claims)
    response = client.post(
        "/api/v1/users/42?x=1&y=2",
        data='{"a": 1}',
        content_type="application/json",
        headers={"X-Request-ID": "gateway-test-0001", "Authorization": f"Bearer {token}",
                 "X-Authenticated-User-Id": "forged-admin", "X-Session-Checked": forged_word},
    )
    assert response.status_code == 207
    assert response.headers["X-Upstream"] == "echo"
    assert response.headers["X-Request-ID"] == "gateway-test-0001"
    answer = response.json
    word = answer.pop("session_checked")
    assert answer == {
        "path": "/api/v1/users/42",
        "query": "x=1&y=2",
        "body": '{"a": 1}',
        "request_id": "gateway-test-0001",
        "authorization": f"Bearer {token}",
        "user": None,  # a forged identity header never reaches a service
        "role": None,
        "forwarded_for": "127.0.0.1",
    }
    # the gateway's own word that it found the session active, never the client's
    assert word != forged_word
    assert session_checked_by_edge(word, claims, app.config["INTERNAL_API_TOKEN"])
    anonymous = client.post("/api/v1/auth/login", json={},  # from an address of its own: logins are limited
                            headers={"X-Session-Checked": forged_word, "X-Forwarded-For": "10.99.0.7"})
    assert anonymous.status_code == 207
    assert anonymous.json.get("session_checked") is None  # no token, no word


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


def test_a_chunked_answer_is_passed_on_whole(client, mint):
    response = client.get("/api/v1/notifications/chunks", headers={"Authorization": f"Bearer {mint()}"})
    assert response.status_code == 200
    assert response.data == b"".join(f"part {n}\n".encode() for n in range(50))
    assert "Transfer-Encoding" not in response.headers  # the gateway's own server frames its answer


def test_a_large_answer_is_streamed(client, mint):
    token = {"Authorization": f"Bearer {mint()}"}
    for _ in range(2):
        response = client.get("/api/v1/notifications/large", headers=token)
        assert response.status_code == 200
        assert response.headers["Content-Length"] == "200000"
        assert response.data == b"0123456789" * 20_000
    head = client.head("/api/v1/notifications/large", headers=token)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "200000"  # the length a GET's body has


def test_connections_to_a_service_are_kept_alive_and_reused():
    """Against a peer that keeps connections open, as gunicorn does (the dev server closes each one)."""
    import socket
    import threading

    from permitto_gateway.proxy import Upstreams
    from permitto_gateway.routes import match

    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve(conn):
        with conn, conn.makefile("rb") as reader:  # closed when the peer goes: no socket left to the collector
            while True:
                lines = []
                while (line := reader.readline()) not in (b"\r\n", b""):
                    lines.append(line)
                if not lines:
                    return
                body = lines[0].split()[1]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Seen: %d\r\n\r\n%s"
                             % (len(body), len(accepted), body))

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()
    upstreams = Upstreams({"auth": f"http://{host}:{port}"})
    try:
        for n in range(3):
            answer = upstreams.forward(match("/users"), "GET", f"/api/v1/users/{n}", [], None)
            assert answer.read_all() == f"/api/v1/users/{n}".encode()
        assert len(accepted) == 1  # one connection carried all three
        # An answer abandoned half-read (the client went away) closes its connection instead.
        upstreams.forward(match("/users"), "GET", "/api/v1/users/a-long-one", [], None).abandon()
        answer = upstreams.forward(match("/users"), "GET", "/api/v1/users/9", [], None)
        assert answer.read_all() == b"/api/v1/users/9"
        assert len(accepted) == 2
    finally:
        listener.close()
        upstreams.pools["auth"].close()


def test_the_target_reaches_the_service_as_the_client_encoded_it(client, mint):
    response = client.get("/api/v1/notifications/r%61w?q=a%20b&q=%26",
                          headers={"Authorization": f"Bearer {mint()}"})
    assert response.json == {"raw": "/api/v1/notifications/r%61w?q=a%20b&q=%26"}


def test_the_request_id_is_given_once(client, mint):
    response = client.get("/api/v1/users/1", headers={"Authorization": f"Bearer {mint()}",
                                                      "X-Request-ID": "gateway-test-0002"})
    assert response.headers.getlist("X-Request-ID") == ["gateway-test-0002"]


def test_the_web_apps_cookie_token_is_checked_at_the_edge(client, mint):
    client.set_cookie("access_token_cookie", mint(sub="u-7"))
    try:
        response = client.get("/api/v1/users")
        assert response.status_code == 207
        client.set_cookie("access_token_cookie", "not-a-jwt")
        assert client.get("/api/v1/users").status_code == 401
    finally:
        client.delete_cookie("access_token_cookie")


def test_sessions_are_asked_of_auth_when_redis_holds_no_deny_list(client, mint, app):
    from permitto_common.redis_conn import get_redis
    from permitto_common.security import DENY_LIST_EPOCH_KEY

    redis = get_redis(app)
    redis.delete(DENY_LIST_EPOCH_KEY)
    try:
        # The stand-in auth has no session check: the edge fails closed, in the envelope, never a 500.
        response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {mint()}"})
        assert response.status_code == 503
        assert "Sessions cannot be checked" in response.json["error"]["message"]
    finally:
        redis.set(DENY_LIST_EPOCH_KEY, "0")


def test_a_chunked_body_over_the_limit_is_a_413(client, mint, app):
    import io

    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/users", input_stream=io.BytesIO(b"x" * (limit + 10)),
                           headers={"Authorization": f"Bearer {mint()}", "Transfer-Encoding": "chunked",
                                    "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "PAYLOAD_TOO_LARGE"


def _closing_server(*, read_first: bool):
    """A peer that closes each connection: at once, or after reading the request (the race a kept-alive
    connection can lose when the service closes it just as a request is written)."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if read_first:
                conn.recv(65536)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_a_kept_alive_connection_closed_by_the_service_is_replaced(client, mint, app):
    import socket
    import time

    from permitto_gateway.upstream_http import Connection

    token = {"Authorization": f"Bearer {mint()}"}
    pool = app.extensions["permitto.upstreams"].pools["auth"]
    closed_idle, closed_on_request = _closing_server(read_first=False), _closing_server(read_first=True)
    try:
        # Closed while idle: seen before the request is written, and dropped.
        pool.close()
        pool.release(Connection(socket.create_connection(closed_idle.getsockname())))
        time.sleep(0.1)
        assert client.get("/api/v1/users/1", headers=token).status_code == 207
        # Closed just as the request arrives: a GET is sent again on a fresh connection...
        pool.close()
        pool.release(Connection(socket.create_connection(closed_on_request.getsockname())))
        assert client.get("/api/v1/users/1", headers=token).status_code == 207
        # ...a POST is not (it may have been done), and the caller is told.
        pool.close()
        pool.release(Connection(socket.create_connection(closed_on_request.getsockname())))
        failed = client.post("/api/v1/users", json={}, headers=token)
        assert failed.status_code == 502
        assert "auth" in failed.json["error"]["message"]
    finally:
        closed_idle.close()
        closed_on_request.close()
        app.extensions["permitto.upstreams"].breakers["auth"].success()
