"""Login with lockout, password reset and invitations, password changes."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from permitto_common.database import utcnow
from permitto_common.errors import APIError, Unauthorized, ValidationFailed, field_error
from permitto_common.ratelimit import Limit, RateLimited, enforce, hit
from permitto_common.redis_conn import get_redis

from . import audit
from .extensions import db
from .mail import send_account_email
from .models import PasswordToken, User
from .passwords import dummy_hash, hash_password, needs_rehash, policy_problems, verify_password
from .sessions import TokenPair, expire_password_tokens, hash_token, revoke_all_sessions, start_session

LOGIN_PER_IP = Limit("login-ip", 30, 300)
RESET_PER_IP = Limit("reset-ip", 10, 900)
RESET_PER_EMAIL = Limit("reset-email", 3, 3600)
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
INVITE_TTL = timedelta(hours=72)
RESET_TTL = timedelta(hours=1)

def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def check_password_policy(password: str, field: str = "password") -> None:
    problems = policy_problems(password)
    if problems:
        raise ValidationFailed([field_error(field, "The password needs " + ", ".join(problems) + ".")])


def login(email: str, password: str, *, ip: str | None, user_agent: str | None) -> tuple[User, TokenPair]:
    redis = get_redis()
    enforce(redis, LOGIN_PER_IP, ip or "unknown", "Too many login attempts from this address; try again later.")
    account_key = email.strip().lower()
    lock_key = f"permitto:auth:lock:{account_key}"
    locked_for = redis.ttl(lock_key)
    if locked_for and locked_for > 0:
        raise RateLimited(f"Too many failed logins; this account is locked for {locked_for // 60 + 1} minutes.",
                          locked_for)

    user = find_by_email(email)
    # Verifying against a dummy when the email is unknown keeps the timing of both answers alike.
    valid = verify_password(user.password_hash if user else dummy_hash(), password)
    if not valid or user is None or not user.is_active:
        failures_key = f"permitto:auth:failures:{account_key}"
        pipe = redis.pipeline()
        pipe.incr(failures_key)
        pipe.expire(failures_key, FAILURE_WINDOW_SECONDS)
        failures = int(pipe.execute()[0])
        if failures >= MAX_FAILURES:
            redis.set(lock_key, "1", ex=LOCK_SECONDS)
            redis.delete(failures_key)
            audit.record("ACCOUNT_LOCKED", actor_id=None, target_user_id=user.id if user else None,
                         email=account_key, failures=failures, lock_seconds=LOCK_SECONDS)
            db.session.commit()
        raise Unauthorized("The email or password is wrong.")

    redis.delete(f"permitto:auth:failures:{account_key}")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # committed with the sign-in
    pair = start_session(user, ip=ip, user_agent=user_agent)
    audit.record("LOGIN", actor_id=user.id, target_user_id=user.id, session_id=str(pair.session_id))
    db.session.commit()
    return user, pair


def issue_password_token(user: User, purpose: str) -> None:
    raw = secrets.token_urlsafe(32)
    ttl = INVITE_TTL if purpose == "INVITE" else RESET_TTL
    expires_at = utcnow() + ttl
    expire_password_tokens(user.id)  # only the newest link works
    db.session.add(PasswordToken(user_id=user.id, purpose=purpose, token_hash=hash_token(raw), expires_at=expires_at))
    send_account_email(kind="invitation" if purpose == "INVITE" else "password_reset", to=user.email,
                       name=user.name, token=raw, expires_at=expires_at)


def forgot_password(email: str, *, ip: str | None) -> None:
    """Always the same answer, whether the email exists or not."""
    redis = get_redis()
    enforce(redis, RESET_PER_IP, ip or "unknown", "Too many reset requests; try again later.")
    allowed, _ = hit(redis, RESET_PER_EMAIL, email.strip().lower())
    user = find_by_email(email)
    if not allowed or user is None or not user.is_active:
        return
    issue_password_token(user, "RESET")
    audit.record("PASSWORD_RESET_REQUESTED", actor_id=None, target_user_id=user.id)
    db.session.commit()


def reset_password(raw_token: str, new_password: str) -> User:
    check_password_policy(new_password)
    token = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == hash_token(raw_token)).with_for_update()
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise APIError("This link is not valid any more. Ask for a new one.", status=400, code="INVALID_TOKEN",
                       details=[field_error("token", "unknown, used or expired")])
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise APIError("This account is not active.", status=400, code="INVALID_TOKEN")
    token.used_at = utcnow()
    user.password_hash = hash_password(new_password)
    revoke_all_sessions(user.id, reason="password_set")
    audit.record("PASSWORD_SET", actor_id=user.id, target_user_id=user.id, via=token.purpose.lower())
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationFailed([field_error("currentPassword", "The current password is wrong.")])
    check_password_policy(new, "newPassword")
    user.password_hash = hash_password(new)
    revoke_all_sessions(user.id, reason="password_changed")
    audit.record("PASSWORD_CHANGED", actor_id=user.id, target_user_id=user.id)
    db.session.commit()


def user_or_401(user_id: str) -> User:
    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None or not user.is_active:
        raise Unauthorized("The user of this token is not active.")
    return user
