"""The list page and a permit's page are answered before Flask (permitto_common.fast_reads) only when
nothing about the request is unusual, and then exactly as Flask answers them; everything else, and every
read that does not succeed, is Flask's, which answers it as it answers every other request.

Flask itself is called here without the fast reads in front of it (Flask.wsgi_app), and in their place
in front of it stands an app that only says it was handed the request, so each test sees which of the two
answered."""

import io
import json
import logging
import time
import uuid
from functools import partial

import pytest
from flask import Flask
from permit_factory import make_permit
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from permitto_common.errors import success
from permitto_common.fast_reads import EXTENSION_KEY, FastRead, FastReads
from permitto_common.metrics import metrics
from permitto_common.observability import JsonFormatter
from permitto_common.redis_conn import get_redis
from permitto_common.security import SESSION_CHECKED_HEADER, deny_key_for_session, session_checked_word
from permitto_permits.states import ADMIN, COORDINATOR, RECEIVER

HANDED_OVER = 599
REQUEST_ID = "3f2c8a4e9b1d4c7a8e6f5a4b3c2d1e0f"


def handed_to_flask(_environ, start_response):
    start_response(f"{HANDED_OVER} HANDED TO FLASK", [("Content-Type", "text/plain")])
    return [b""]


def call(wsgi, path, *, token=None, cookie=None, **kwargs):
    headers = {"X-Request-ID": REQUEST_ID, **kwargs.pop("headers", {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        headers["Cookie"] = f"access_token_cookie={cookie}"
    environ = EnvironBuilder(path=path, headers=headers, **kwargs).get_environ()
    answered = {}

    def start_response(status, response_headers, exc_info=None):
        answered.update(status=int(status[:3]), headers=Headers(response_headers))

    content = wsgi(environ, start_response)
    try:
        body = b"".join(content)
    finally:
        getattr(content, "close", lambda: None)()
    return answered["status"], sorted(answered["headers"].items()), body


@pytest.fixture
def fast(app):
    return partial(call, FastReads(app, handed_to_flask, app.extensions[EXTENSION_KEY]))


@pytest.fixture
def flask_alone(app):
    return partial(call, partial(Flask.wsgi_app, app))


@pytest.fixture
def verified(app, mint):
    """A coordinator's token that the service has verified once (through Flask, as the first use is)."""
    sid = uuid.uuid4().hex
    token = mint(str(uuid.uuid4()), COORDINATOR, sid=sid)
    assert app.test_client().get("/api/v1/permits", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    return token, sid


def test_a_list_page_and_a_permit_are_answered_exactly_as_flask_answers_them(app, fast, flask_alone, verified):
    token, _ = verified
    first, second = make_permit(status="SUBMITTED"), make_permit(status="APPROVED", title="Grind")
    status, _, body = fast("/api/v1/permits?limit=1", token=token)
    assert status == 200
    cursor = json.loads(body)["meta"]["nextCursor"]
    assert cursor
    for path in ("/api/v1/permits", "/api/v1/permits?limit=1", f"/api/v1/permits?limit=1&cursor={cursor}",
                 "/api/v1/permits?status=APPROVED", "/api/v1/permits?status=SUBMITTED&status=APPROVED",
                 f"/api/v1/permits/{first.id}", f"/api/v1/permits/{second.id}"):
        answer = fast(path, token=token)
        assert answer[0] == 200, (path, answer)
        assert answer == flask_alone(path, token=token), path
        assert ("X-Request-ID", REQUEST_ID) in answer[1]
    # the web app's cookie: the same answer as with the header
    assert fast(f"/api/v1/permits/{first.id}", cookie=token) == flask_alone(f"/api/v1/permits/{first.id}", token=token)
    assert b'"title":"Grind"' in fast(f"/api/v1/permits/{second.id}", token=token)[2]


def test_what_is_not_plainly_one_of_the_reads_is_flasks(app, fast, mint, verified):
    token, _ = verified
    permit = make_permit(status="SUBMITTED")
    page = f"/api/v1/permits/{permit.id}"
    manager = app.extensions["flask-jwt-extended"]
    now = int(time.time())
    refresh = mint(str(uuid.uuid4()), COORDINATOR, type="refresh")
    someone = str(uuid.uuid4())
    manager.verified.remember(refresh, {"sub": someone, "role": COORDINATOR, "type": "refresh", "exp": now + 60})
    expired = mint(str(uuid.uuid4()), COORDINATOR)
    manager.verified.remember(expired, {"sub": someone, "role": COORDINATOR, "type": "access", "exp": now - 1})
    cases = {
        "a token this process has not verified": {"path": page, "token": mint(str(uuid.uuid4()), COORDINATOR)},
        "no token": {"path": page},
        "a refresh token": {"path": page, "token": refresh},
        "an expired token": {"path": page, "token": expired},
        "another scheme": {"path": page, "headers": {"Authorization": f"Basic {token}"}},
        "a header of two tokens": {"path": page, "headers": {"Authorization": f"Bearer {token}, Bearer {token}"}},
        "a POST": {"path": "/api/v1/permits", "token": token, "method": "POST", "json": {}},
        "a HEAD": {"path": page, "token": token, "method": "HEAD"},
        "a GET with a body": {"path": page, "token": token, "data": b"{}", "content_type": "application/json"},
        "a path it does not serve": {"path": "/api/v1/permits/pending-actions", "token": token},
        "a trailing slash": {"path": "/api/v1/permits/", "token": token},
        "not a permit id": {"path": "/api/v1/permits/12345", "token": token},
        "a permit that does not exist": {"path": f"/api/v1/permits/{uuid.uuid4()}", "token": token},
        "a draft the caller may not see": {"path": f"/api/v1/permits/{make_permit(status='DRAFT').id}", "token": token},
        "a query the list refuses": {"path": "/api/v1/permits?limit=abc", "token": token},
    }
    for why, request in cases.items():
        assert fast(**request)[0] == HANDED_OVER, why
    assert fast(page, token=token)[0] == 200  # and the same token, plainly, is served


def test_the_requests_it_hands_over_get_flasks_answers(app, verified):
    token, sid = verified
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    bad = client.get("/api/v1/permits?limit=abc", headers=bearer)
    assert bad.status_code == 422
    assert bad.json["error"]["details"][0]["field"] == "limit"
    assert client.get(f"/api/v1/permits/{uuid.uuid4()}", headers=bearer).status_code == 404
    draft = make_permit(status="DRAFT")
    assert client.get(f"/api/v1/permits/{draft.id}", headers=bearer).status_code == 404
    get_redis(app).set(deny_key_for_session(sid), "1")  # the session was ended
    try:
        ended = client.get("/api/v1/permits", headers=bearer)
    finally:
        get_redis(app).delete(deny_key_for_session(sid))
    assert ended.status_code == 401
    assert ended.json["error"]["message"] == "The session of this token was ended."


def test_a_session_ended_after_its_token_was_verified_is_not_served(app, fast, verified):
    token, sid = verified
    assert fast("/api/v1/permits", token=token)[0] == 200
    claims = app.extensions["flask-jwt-extended"].verified.get(token)
    key = app.config["INTERNAL_API_TOKEN"]
    get_redis(app).set(deny_key_for_session(sid), "1")
    try:
        assert fast("/api/v1/permits", token=token)[0] == HANDED_OVER
        forged = session_checked_word(key + "?", claims)
        assert fast("/api/v1/permits", token=token, headers={SESSION_CHECKED_HEADER: forged})[0] == HANDED_OVER
        # the gateway's word that it found the session active a moment ago: the deny list is not read again
        word = session_checked_word(key, claims)
        assert fast("/api/v1/permits", token=token, headers={SESSION_CHECKED_HEADER: word})[0] == 200
    finally:
        get_redis(app).delete(deny_key_for_session(sid))


def test_a_fast_read_is_logged_and_counted_as_flask_logs_and_counts_a_request(app, fast, verified, caplog):
    token, _ = verified
    permit = make_permit(status="SUBMITTED")
    rule = "/api/v1/permits/<uuid:permit_id>"
    counter = metrics().requests.labels(app.name, "GET", rule, "200")
    before = counter._value.get()
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        with caplog.at_level(logging.INFO, logger="permitto.access"):  # the tests' level is higher
            assert fast(f"/api/v1/permits/{permit.id}", token=token)[0] == 200
    finally:
        handler.setStream(previous)
    assert counter._value.get() == before + 1
    [line] = [json.loads(line) for line in written.getvalue().splitlines() if '"permitto.access"' in line]
    assert (line["method"], line["path"], line["status"]) == ("GET", f"/api/v1/permits/{permit.id}", 200)
    assert line["request_id"] == REQUEST_ID


def test_a_fast_read_keeps_the_roles_of_its_view(app, mint):
    read = FastRead.of(app, "permits.analytics_view", lambda args: success({"read": "fast"}))
    assert read.roles == (ADMIN, COORDINATOR)
    fast = partial(call, FastReads(app, handed_to_flask, [read]))
    client = app.test_client()
    receiver, coordinator = mint(str(uuid.uuid4()), RECEIVER), mint(str(uuid.uuid4()), COORDINATOR)
    for token in (receiver, coordinator):  # each verified once, through Flask
        client.get("/api/v1/permits/analytics", headers={"Authorization": f"Bearer {token}"})
    assert fast("/api/v1/permits/analytics", token=receiver)[0] == HANDED_OVER  # Flask refuses it, in its words
    assert fast("/api/v1/permits/analytics", token=coordinator)[0] == 200
    assert client.get("/api/v1/permits/analytics", headers={"Authorization": f"Bearer {receiver}"}).status_code == 403
    with pytest.raises(LookupError, match="not guarded by require_auth"):
        FastRead.of(app, "openapi.document", lambda args: success({}))
