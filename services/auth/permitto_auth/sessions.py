"""Sessions and tokens: 15-minute RS256 access tokens, opaque rotating 7-day refresh tokens,
reuse detection that revokes the whole family, and revocation that takes effect within seconds."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_jwt_extended import create_access_token
from redis.exceptions import RedisError
from sqlalchemy import select, update

from permitto_common.database import utcnow
from permitto_common.errors import Unauthorized
from permitto_common.redis_conn import get_redis
from permitto_common.security import (
    ACCESS_TOKEN_TTL,
    DENY_LIST_EPOCH_KEY,
    deny_key_for_session,
    revoked_before_key,
)

from . import audit
from .extensions import db
from .models import AuthSession, RefreshToken, User

log = logging.getLogger(__name__)

REFRESH_TOKEN_TTL = timedelta(days=7)
# A deny-list entry must outlive every access token it could match.
DENY_TTL_SECONDS = int(ACCESS_TOKEN_TTL.total_seconds()) + 60


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    session_id: uuid.UUID
    expires_in: int
    refresh_expires_at: datetime


def _mint(user: User, session: AuthSession) -> TokenPair:
    raw = secrets.token_urlsafe(48)
    now = utcnow()
    db.session.add(RefreshToken(session_id=session.id, token_hash=hash_token(raw), expires_at=now + REFRESH_TOKEN_TTL))
    access = create_access_token(
        identity=str(user.id), additional_claims={"role": user.role, "sid": str(session.id)}
    )
    return TokenPair(access, raw, session.id, int(ACCESS_TOKEN_TTL.total_seconds()), now + REFRESH_TOKEN_TTL)


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> TokenPair:
    session = AuthSession(
        user_id=user.id, expires_at=utcnow() + REFRESH_TOKEN_TTL, ip=ip, user_agent=(user_agent or "")[:300]
    )
    db.session.add(session)
    db.session.flush()
    return _mint(user, session)


def rotate(raw: str) -> tuple[User, TokenPair]:
    """Exchange a refresh token for a new pair; a token used twice ends its whole session."""
    invalid = Unauthorized("The refresh token is not valid. Log in again.")
    token = db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(raw)).with_for_update()
    )
    if token is None:
        raise invalid
    session = db.session.get(AuthSession, token.session_id, with_for_update=True)
    assert session is not None
    user = db.session.get(User, session.user_id)
    now = utcnow()
    if token.used_at is not None:
        # Someone replayed a rotated token: either the client or a thief has a copy. End the family.
        log.warning("refresh token reuse; session revoked", extra={"session_id": str(session.id)})
        if session.revoked_at is None:
            revoke_session(session, reason="refresh_reuse")
            audit.record("REFRESH_TOKEN_REUSE", actor_id=session.user_id, target_user_id=session.user_id,
                         session_id=str(session.id))
        db.session.commit()
        raise invalid
    if session.revoked_at is not None or token.expires_at <= now or user is None or not user.is_active:
        raise invalid
    token.used_at = now
    session.last_used_at = now
    pair = _mint(user, session)
    return user, pair


def session_is_active(user_id: str, session_id: str) -> bool:
    """The truth the Redis deny list copies: the session exists, is the user's, is not ended, and the
    user is active. Role and password changes end every session, so they are covered too."""
    try:
        sid, uid = uuid.UUID(session_id), uuid.UUID(user_id)
    except ValueError:
        return False
    session = db.session.get(AuthSession, sid)
    if session is None or session.user_id != uid or session.revoked_at is not None:
        return False
    user = db.session.get(User, uid)
    return user is not None and user.is_active


def ensure_deny_list() -> None:
    """Redis holds a copy of the revocations. When it has none (a new Redis, or one that restarted
    without its data), copy the sessions ended within an access token's lifetime from the database,
    then write the epoch that tells verifiers the copy is whole. Without Redis there is nothing to do."""
    redis = get_redis()
    try:
        if redis.exists(DENY_LIST_EPOCH_KEY):
            return
        now = utcnow()
        ended = db.session.execute(
            select(AuthSession.id, AuthSession.revoked_reason, AuthSession.revoked_at)
            .where(AuthSession.revoked_at >= now - timedelta(seconds=DENY_TTL_SECONDS))
        ).all()
        pipe = redis.pipeline(transaction=False)
        for session_id, reason, revoked_at in ended:
            left = DENY_TTL_SECONDS - int((now - revoked_at).total_seconds())
            pipe.set(deny_key_for_session(str(session_id)), reason or "revoked", ex=max(1, left))
        pipe.set(DENY_LIST_EPOCH_KEY, str(int(time.time())))
        pipe.execute()
    except RedisError as exc:
        log.warning("deny list not refilled: Redis unavailable", extra={"error": str(exc)})
        return
    log.warning("deny list refilled from the database", extra={"sessions": len(ended)})


def check_session(user_id: str, session_id: str) -> bool:
    """What other services ask when Redis cannot answer: refill Redis if it lost the list, then
    answer from the database."""
    ensure_deny_list()
    return session_is_active(user_id, session_id)


def revoke_session(session: AuthSession, *, reason: str) -> None:
    if session.revoked_at is None:
        session.revoked_at = utcnow()
        session.revoked_reason = reason
    get_redis().set(deny_key_for_session(str(session.id)), reason, ex=DENY_TTL_SECONDS)


def revoke_all_sessions(user_id: uuid.UUID, *, reason: str) -> int:
    """End every session of a user now: refresh tokens stop working, access tokens within seconds."""
    sessions = list(db.session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    ))
    for session in sessions:
        revoke_session(session, reason=reason)
    # Tokens issued before this second are refused even if their session id was missed.
    get_redis().set(revoked_before_key(str(user_id)), str(int(time.time())), ex=DENY_TTL_SECONDS)
    return len(sessions)


def end_session_by_id(session_id: uuid.UUID, *, reason: str) -> None:
    session = db.session.get(AuthSession, session_id)
    if session is not None:
        revoke_session(session, reason=reason)


def expire_password_tokens(user_id: uuid.UUID) -> None:
    from .models import PasswordToken

    db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
