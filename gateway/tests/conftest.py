import threading

import pytest
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from devstack.engines import free_port
from devstack.pytest_plugin import build_test_app, service_env
from permitto_gateway.app import create_app


@pytest.fixture(scope="session")
def upstream():
    """A stand-in service on a real socket: echoes what reached it, so forwarding can be checked."""
    echo = Flask("echo")

    @echo.route("/api/v1/<path:rest>", methods=["GET", "POST", "DELETE"])
    def everything(rest):
        if request.args.get("answer") == "busy":  # a service shedding load, as auth does while Redis is down
            return jsonify({"success": False, "error": {"code": "SERVICE_UNAVAILABLE", "message": "busy"}}), 503, {
                "Retry-After": "5"}
        return jsonify({
            "path": request.path,
            "query": request.query_string.decode(),
            "body": request.get_data(as_text=True),
            "request_id": request.headers.get("X-Request-ID"),
            "authorization": request.headers.get("Authorization"),
            "user": request.headers.get("X-Authenticated-User-Id"),
            "role": request.headers.get("X-Authenticated-Role"),
            "session_checked": request.headers.get("X-Session-Checked"),
            "forwarded_for": request.headers.get("X-Forwarded-For"),
        }), 207, {"X-Upstream": "echo"}

    @echo.route("/api/v1/notifications/<kind>", methods=["GET", "HEAD"])
    def streamed(kind):
        if kind == "chunks":  # no length: the dev server sends it chunked, as gunicorn sends a live stream
            return Response((f"part {n}\n".encode() for n in range(50)), 200, {"X-Upstream": "echo"})
        if kind == "large":  # larger than one read: passed on as it arrives
            return Response(b"0123456789" * 20_000, 200, {"X-Upstream": "echo"})
        if kind == "huge":  # more than loopback's buffers hold: a slow reader makes the relay wait
            return Response(b"0123456789" * 800_000, 200, {"X-Upstream": "echo"})
        return jsonify({"raw": request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")})

    @echo.get("/readyz")
    def readyz():
        return Response("{}", 200)

    server = make_server("127.0.0.1", free_port(), echo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def gateway_env(test_engines, upstream):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    return service_env(test_engines, "gateway", database=False, AUTH_URL=upstream, PERMITS_URL=dead,
                       FILES_URL=upstream, NOTIFICATIONS_URL=upstream, CORS_ORIGINS="https://app.permitto.example",
                       RATE_LIMIT_LOGIN_PER_MINUTE="3", RATE_LIMIT_USER_PER_MINUTE="1000", TRUSTED_PROXY_HOPS="1")


@pytest.fixture(scope="session")
def app(gateway_env):
    return build_test_app(create_app, gateway_env)
