"""A service verifies a token's signature once (CachingJWTManager), and still refuses it the moment it
expires or its session ends: what is remembered is only that the signature was good."""

import time

import jwt as pyjwt
import pytest
from flask_jwt_extended import get_jwt_header

from devstack.pytest_plugin import close_app
from permitto_common.app_factory import create_base_app
from permitto_common.errors import success
from permitto_common.redis_conn import get_redis
from permitto_common.security import (
    DENY_LIST_EPOCH_KEY,
    SESSION_CHECKED_HEADER,
    CachingJWTManager,
    current_identity,
    deny_key_for_session,
    require_auth,
    session_checked_by_edge,
    session_checked_word,
)


@pytest.fixture
def service(settings):
    jwt = CachingJWTManager()
    app = create_base_app("sample", settings, jwt=jwt, config={"TESTING": True})

    @app.get("/me")
    @require_auth()
    def me():
        return success({"user": current_identity().user_id, "role": current_identity().role,
                        "header": get_jwt_header()})

    get_redis(app).flushdb()
    get_redis(app).set(DENY_LIST_EPOCH_KEY, "0")
    yield app, jwt
    close_app(app)


def ask(app, token):
    return app.test_client().get("/me", headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_verified_once_and_answers_the_same(service, mint):
    app, jwt = service
    token = mint(sub="u-1", role="ISSUER")
    first, second = ask(app, token), ask(app, token)
    assert first.status_code == second.status_code == 200
    header = pyjwt.get_unverified_header(token)
    assert first.json == second.json == {"success": True, "data": {"user": "u-1", "role": "ISSUER",
                                                                   "header": header}}
    assert jwt.verified.get(token) is not None
    assert jwt.verified.header_of(token) == header  # remembered: the library does not parse it again


def test_a_header_is_remembered_only_for_a_token_that_verified(service, mint):
    app, jwt = service
    token = mint(sub="u-1")
    head, payload, signature = token.split(".")
    forged = ".".join([head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    assert ask(app, forged).status_code == 401
    assert jwt.verified.header_of(forged) is None
    assert jwt.verified.header_of(token) is None  # never seen yet


def test_a_forged_token_is_refused_though_a_real_one_is_remembered(service, mint):
    app, _ = service
    token = mint(sub="u-1")
    assert ask(app, token).status_code == 200
    head, payload, signature = token.split(".")
    forged = ".".join([head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    answer = ask(app, forged)
    assert answer.status_code == 401
    assert answer.json["error"]["message"] == "The access token is not valid."


def test_an_ended_session_is_refused_at_once_though_its_token_was_verified(service, mint):
    app, _ = service
    token = mint(sub="u-1", sid="session-9")
    assert ask(app, token).status_code == 200
    get_redis(app).set(deny_key_for_session("session-9"), "logout")
    answer = ask(app, token)
    assert answer.status_code == 401
    assert answer.json["error"]["message"] == "The session of this token was ended."


def test_a_remembered_token_expires_on_time(service, mint):
    app, _ = service
    # Claims are whole seconds: a 1 s lifetime minted late in a second was already over (a flaky run).
    token = mint(sub="u-1", ttl=2)
    assert ask(app, token).status_code == 200
    time.sleep(2.2)
    answer = ask(app, token)
    assert answer.status_code == 401
    assert answer.json["error"]["message"] == "The access token has expired."


def test_the_gateways_fresh_word_for_a_token_spares_the_deny_list_read_and_nothing_else_does(service, mint):
    """The gateway read the deny list for this token a moment ago; a service then does not read it again.
    Only a genuine word, for this token, of the last two seconds counts: with anything else the ended
    session below is refused."""
    app, _ = service
    key = app.config["INTERNAL_API_TOKEN"]
    token = mint(sub="u-1", sid="session-7")
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert ask(app, token).status_code == 200
    get_redis(app).set(deny_key_for_session("session-7"), "logout")  # ended after the gateway looked

    def with_word(word):
        return app.test_client().get("/me", headers={"Authorization": f"Bearer {token}", SESSION_CHECKED_HEADER: word})

    assert with_word(session_checked_word(key, claims)).status_code == 200
    other = mint(sub="u-1", sid="session-7")
    refused = {
        "another key": session_checked_word(key + "x", claims),
        "another token's": session_checked_word(key, pyjwt.decode(other, options={"verify_signature": False})),
        "three seconds old": session_checked_word(key, claims, at=time.time() - 3),
        "from the future": session_checked_word(key, claims, at=time.time() + 5),
        "no time": "abc:" + session_checked_word(key, claims).partition(":")[2],
        "no mac": session_checked_word(key, claims).partition(":")[0] + ":",
        "not ascii": session_checked_word(key, claims).partition(":")[0] + ":\u00e9\u00e9",
        "not a time": "nan:" + session_checked_word(key, claims).partition(":")[2],
        "nothing": "",
    }
    for why, word in refused.items():
        answer = with_word(word)
        assert answer.status_code == 401, why
        assert answer.json["error"]["message"] == "The session of this token was ended.", why
    assert not session_checked_by_edge(session_checked_word("", claims), claims, "")  # no key: never trusted
