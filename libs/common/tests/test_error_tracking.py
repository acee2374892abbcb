"""Error tracking against a local server that speaks Sentry's envelope protocol (the real SDK sends to
it): an unexpected error of a request is reported with its request id, a client's mistake is not, and
nothing is sent when no DSN is set."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from permitto_common.app_factory import create_base_app
from permitto_common.errors import NotFound


@pytest.fixture
def sentry_server():
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # /api/<project>/envelope/
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            for line in raw.split(b"\n"):
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict) and "exception" in item:
                    received.append(item)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://public@127.0.0.1:{server.server_address[1]}/1", received
    sentry_sdk.get_client().close()  # off again for the other tests
    server.shutdown()
    server.server_close()


def test_an_unexpected_error_is_reported_with_its_request_id_and_a_clients_mistake_is_not(settings, sentry_server):
    from dataclasses import replace

    dsn, received = sentry_server
    app = create_base_app("sample", replace(settings, sentry_dsn=dsn, sentry_environment="test"),
                          config={"TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug in a handler")

    @app.get("/missing")
    def missing():
        raise NotFound("No such permit.")

    client = app.test_client()
    assert client.get("/missing").status_code == 404
    answer = client.get("/boom", headers={"X-Request-ID": "req-0123456789"})
    assert answer.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert len(received) == 1
    event = received[0]
    values = event["exception"]["values"]  # type: ignore[index]
    assert values[-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "req-0123456789"  # type: ignore[index]
    assert event["environment"] == "test"
    assert "a bug in a handler" not in json.dumps(answer.get_json())  # the client still sees the envelope only


def test_nothing_is_sent_without_a_dsn(settings, sentry_server):
    _, received = sentry_server
    app = create_base_app("sample", settings, config={"TESTING": True})

    @app.get("/boom")
    def boom():
        raise RuntimeError("not reported")

    assert app.test_client().get("/boom").status_code == 500
    sentry_sdk.flush(timeout=2)
    assert received == []
