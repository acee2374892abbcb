"""The session check other services use while Redis is unreachable: auth's database is the truth."""

import uuid

from permitto_auth import sessions
from permitto_auth.extensions import db
from permitto_auth.models import User


def check(client, app, user_id, session_id, token=None):
    headers = {"X-Internal-Token": token if token is not None else app.config["INTERNAL_API_TOKEN"]}
    return client.post("/internal/sessions/check", json={"userId": str(user_id), "sessionId": str(session_id)},
                       headers=headers)


def test_only_a_live_session_of_an_active_user_is_active(app, client):
    user = User(email=f"check-{uuid.uuid4().hex[:8]}@example.com", name="Checked", role="ISSUER")
    db.session.add(user)
    db.session.flush()
    pair = sessions.start_session(user, ip=None, user_agent=None)
    other = User(email=f"other-{uuid.uuid4().hex[:8]}@example.com", name="Other", role="ISSUER")
    db.session.add(other)
    db.session.commit()

    assert check(client, app, user.id, pair.session_id).json["data"] == {"active": True}
    assert check(client, app, other.id, pair.session_id).json["data"] == {"active": False}  # not theirs
    assert check(client, app, user.id, uuid.uuid4()).json["data"] == {"active": False}  # no such session
    assert check(client, app, user.id, "not-a-uuid").json["data"] == {"active": False}

    user.is_active = False
    db.session.commit()
    assert check(client, app, user.id, pair.session_id).json["data"] == {"active": False}


def test_an_ended_session_is_not_active_and_callers_need_the_internal_token(app, client):
    user = User(email=f"ended-{uuid.uuid4().hex[:8]}@example.com", name="Ended", role="RECEIVER")
    db.session.add(user)
    db.session.flush()
    pair = sessions.start_session(user, ip=None, user_agent=None)
    sessions.end_session_by_id(pair.session_id, reason="logout")
    db.session.commit()
    assert check(client, app, user.id, pair.session_id).json["data"] == {"active": False}
    assert check(client, app, user.id, pair.session_id, token="wrong").status_code == 403
    bad = client.post("/internal/sessions/check", json={"userId": "x" * 100},
                      headers={"X-Internal-Token": app.config["INTERNAL_API_TOKEN"]})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json["error"]["details"]} == {"userId", "sessionId"}


def test_an_emptied_redis_is_refilled_with_recent_revocations_before_it_is_trusted_again(app, client):
    from permitto_common.redis_conn import get_redis
    from permitto_common.security import DENY_LIST_EPOCH_KEY, deny_key_for_session

    user = User(email=f"refill-{uuid.uuid4().hex[:8]}@example.com", name="Refill", role="ISSUER")
    db.session.add(user)
    db.session.flush()
    ended = sessions.start_session(user, ip=None, user_agent=None)
    live = sessions.start_session(user, ip=None, user_agent=None)
    sessions.end_session_by_id(ended.session_id, reason="logout")
    db.session.commit()
    redis = get_redis(app)
    redis.flushdb()  # Redis restarted without its data: the revocation above is gone from it

    assert check(client, app, user.id, live.session_id).json["data"] == {"active": True}
    assert redis.get(DENY_LIST_EPOCH_KEY) is not None
    assert redis.get(deny_key_for_session(str(ended.session_id))) == b"logout"
    assert 0 < redis.ttl(deny_key_for_session(str(ended.session_id))) <= sessions.DENY_TTL_SECONDS
    assert redis.get(deny_key_for_session(str(live.session_id))) is None
