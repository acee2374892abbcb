"""The shared plumbing every service relies on: settings, envelope, validation, logs, internal calls."""

import json
import logging

import pytest

from permitto_common.observability import JsonFormatter, request_id_var
from permitto_common.settings import ConfigError, Env, normalize_database_url


def test_missing_required_setting_names_the_variable():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Env({}).text("DATABASE_URL")


def test_malformed_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match="PORT must be an integer"):
        Env({"PORT": "eighty"}).integer("PORT")
    with pytest.raises(ConfigError, match="JWT_PUBLIC_KEY must hold a PEM key"):
        Env({"JWT_PUBLIC_KEY": "not-a-key"}).pem("JWT_PUBLIC_KEY")


def test_inline_pem_with_escaped_newlines_is_accepted():
    pem = Env({"K": "-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----"}).pem("K")
    assert pem.splitlines() == ["-----BEGIN PUBLIC KEY-----", "abc", "-----END PUBLIC KEY-----"]


def test_railway_style_postgres_urls_are_accepted():
    assert normalize_database_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert normalize_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


def test_valid_body_passes(client):
    response = client.post("/echo", json={"name": "ok", "count": 3})
    assert response.status_code == 201
    assert response.json == {"success": True, "data": {"name": "ok", "count": 3}}


def test_every_bad_field_is_reported_at_once(client):
    response = client.post("/echo", json={"name": "x", "count": 99})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "VALIDATION_ERROR"
    fields = {detail["field"] for detail in error["details"]}
    assert fields == {"name", "count"}


def test_non_json_body_is_a_422_not_a_400_page(client):
    response = client.post("/echo", data="{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.json["error"]["details"] == [{"field": "body", "message": "The body must be valid JSON."}]


@pytest.mark.parametrize(("raw", "field", "reason"), [
    ('{"name": "ok", "count": NaN}', "body", "NaN is not a number JSON allows"),
    ('{"name": "ok", "count": -Infinity}', "body", "-Infinity is not a number JSON allows"),
    ('{"name": "ok", "count": 1e400}', "body", "1e400 is too large for a number"),
    ('{"a": ' * 5000 + "1" + "}" * 5000, "body", "is nested too deeply (at most 32 levels)"),
    ('{"name": "ok", "count": 1, "extra": ' + "[" * 40 + "]" * 40 + "}", "body", "is nested too deeply"),
    (r'{"name": "ok\u0007", "count": 1}', "name", "must not contain control characters (U+0007)"),
    (r'{"name": "ok", "count": 1, "extra": {"k\u0000": 1}}', "extra", "a key must not contain NUL characters"),
    (r'{"name": "ok\ud800", "count": 1}', "name", "contains invalid Unicode (an unpaired surrogate)"),
    (r'{"name": "two\nlines", "count": 1}', "name", "must be a single line (no line breaks or tabs)"),
])
def test_the_input_layer_refuses_what_no_endpoint_accepts(client, raw, field, reason):
    response = client.post("/echo", data=raw, content_type="application/json")
    assert response.status_code == 422
    [detail] = response.json["error"]["details"]
    assert detail["field"] == field
    assert detail["message"].startswith(reason)


def test_text_fields_may_span_lines_and_any_script_is_welcome(client):
    response = client.post("/echo", json={"name": "Schweißen — Halle 3", "count": 2, "note": "one\ntwo\tthree"})
    assert response.status_code == 201
    assert response.json["data"]["note"] == "one\ntwo\tthree"


def test_a_body_that_is_not_declared_json_is_refused(client):
    response = client.post("/echo", data='{"name": "ok", "count": 1}', content_type="text/plain")
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json["error"]["details"][0]["message"]


def test_unexpected_errors_leave_as_a_500_envelope_without_internals(client, caplog):
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json["success"] is False
    assert response.json["error"]["code"] == "INTERNAL_ERROR"
    assert "secret internals" not in response.get_data(as_text=True)
    assert any("secret internals" in record.getMessage() for record in caplog.records)


def test_api_errors_carry_details(client):
    response = client.get("/conflict")
    assert response.status_code == 409
    assert response.json["error"]["details"] == [{"field": "state", "message": "is APPROVED"}]


def test_internal_endpoints_need_the_internal_token(client, app):
    assert client.get("/internal/ping").status_code == 403
    assert client.get("/internal/ping", headers={"X-Internal-Token": "wrong"}).status_code == 403
    ok = client.get("/internal/ping", headers={"X-Internal-Token": app.config["INTERNAL_API_TOKEN"]})
    assert ok.status_code == 200


def test_log_lines_are_json_with_service_and_request_id():
    token = request_id_var.set("req-12345678")
    try:
        record = logging.makeLogRecord({"msg": "hello %s", "args": ("world",), "levelname": "INFO", "name": "t"})
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-12345678"
    assert line["service"]
