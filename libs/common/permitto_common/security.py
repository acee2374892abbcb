"""Access-token verification (RS256, public key only), the session deny list, roles and internal calls.

Only the auth service is configured with the private key, so only it can mint tokens;
every other service verifies locally with the public key and one Redis lookup. Redis holds a copy of
the revocations; auth's database holds the truth, so when Redis cannot be reached a service asks auth
(the session fallback) instead of refusing every request or accepting tokens it cannot check.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import jwt as pyjwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request
from flask_jwt_extended import view_decorators as _jwt_views
from flask_jwt_extended.exceptions import CSRFError
from redis.exceptions import RedisError

from .errors import APIError, Forbidden, error_response
from .openapi import ROLES_ATTR
from .redis_conn import get_redis, round_trip

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
SessionCheck = Callable[[str, str], bool]  # (user id, session id) -> is the session still active?
_FALLBACK_KEY = "permitto.session_fallback"

# The four roles of the permission matrix (docs/domain.md, "Roles"), as access tokens carry them:
# every service names them from here.
ADMIN, COORDINATOR, ISSUER, RECEIVER = "SUPER_ADMIN", "COORDINATOR", "ISSUER", "RECEIVER"
ROLES = (ADMIN, COORDINATOR, ISSUER, RECEIVER)
ACCESS_TOKEN_TTL = timedelta(minutes=15)
INTERNAL_TOKEN_HEADER = "X-Internal-Token"  # noqa: S105  (a header name, not a secret)


# Auth writes this beside the deny list once Redis holds all of it. A Redis that lost its data (restarted
# without persistence, or new) does not have it, and then Redis is not asked: auth's database is.
DENY_LIST_EPOCH_KEY = "permitto:deny:epoch"


def deny_key_for_session(session_id: str) -> str:
    return f"permitto:deny:sid:{session_id}"


def revoked_before_key(user_id: str) -> str:
    return f"permitto:deny:user-before:{user_id}"


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: str
    session_id: str | None
    token_id: str


class VerifiedTokens:
    """Tokens whose RS256 signature was verified, with their claims: a client sends the same access token
    for up to 15 minutes, and checking its signature again each time was a fifth of a list read's CPU.
    Only a token that verified is remembered, by its exact text; its expiry is checked on every use, and
    revocation is not remembered here at all (the deny list is read for every request). The token's
    header is kept beside its claims once it is asked for (header_of): the gateway never asks."""

    def __init__(self, *, remembered: int = 10_000) -> None:
        self._verified: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}  # claims, header
        self._remembered = remembered

    def get(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified before and not yet expired; None otherwise."""
        entry = self._live(token)
        return entry[0] if entry else None

    def header_of(self, token: str) -> dict[str, Any] | None:
        """The header of a token whose claims get() gives, None otherwise."""
        entry = self._live(token)
        if entry is None:
            return None
        claims, header = entry
        if header is None:
            header = pyjwt.get_unverified_header(token)  # the token verified: its header parses
            self._verified[token] = (claims, header)
        return header

    def _live(self, token: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        entry = self._verified.get(token)
        if entry is None or float(entry[0].get("exp", 0)) <= time.time():
            return None
        return entry

    def remember(self, token: str, claims: dict[str, Any]) -> None:
        if len(self._verified) >= self._remembered:
            self._verified.clear()  # a burst of new tokens costs one verification each again, never memory
        self._verified[token] = (claims, None)


class CachingJWTManager(JWTManager):
    """flask-jwt-extended's manager, verifying each token's signature once per process (VerifiedTokens).
    Expired tokens, and those refused, always take the library's own path, so its answers are unchanged;
    the CSRF double-submit value is compared on every request, as the library does."""

    def __init__(self, app: Flask | None = None, add_context_processor: bool = False) -> None:
        self.verified = VerifiedTokens()
        super().__init__(app, add_context_processor)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value: Any = None,
                                allow_expired: bool = False) -> dict[str, Any]:
        claims = None if allow_expired else self.verified.get(encoded_token)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            if not allow_expired:
                self.verified.remember(encoded_token, claims)
        elif csrf_value and not hmac.compare_digest(str(claims.get("csrf", "")), str(csrf_value)):
            raise CSRFError("CSRF double submit tokens do not match")
        return dict(claims)  # the caller's copy: a request cannot change what the next one reads


_library_headers = _jwt_views.get_unverified_jwt_headers  # type: ignore[attr-defined]


def _remembered_headers(encoded_token: str) -> dict[str, Any]:
    """flask-jwt-extended reads a token's header again after decoding the token, on every request, and
    PyJWT checks every character of the whole token to do it: a tenth of a permit read's CPU. For a token
    this process verified, the header remembered with its claims is the same dict; any other token takes
    the library's own path."""
    manager = current_app.extensions.get("flask-jwt-extended")
    header = manager.verified.header_of(encoded_token) if isinstance(manager, CachingJWTManager) else None
    return dict(header) if header is not None else _library_headers(encoded_token)


def init_jwt(app: Flask, jwt: JWTManager, *, public_key: str, private_key: str | None = None) -> None:
    app.config.update(
        JWT_ALGORITHM="RS256",
        # Only RS256 is accepted: "none", and HS256 keyed with the public key, are refused.
        JWT_DECODE_ALGORITHMS=["RS256"],
        JWT_PUBLIC_KEY=public_key,
        JWT_ACCESS_TOKEN_EXPIRES=ACCESS_TOKEN_TTL,
        JWT_TOKEN_LOCATION=["headers", "cookies"],
        JWT_COOKIE_SECURE=app.config.get("JWT_COOKIE_SECURE", True),
        JWT_COOKIE_SAMESITE="Strict",
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_ACCESS_COOKIE_PATH="/",
        JWT_ERROR_MESSAGE_KEY="message",
    )
    if private_key:
        app.config["JWT_PRIVATE_KEY"] = private_key
    jwt.init_app(app)
    _jwt_views.get_unverified_jwt_headers = _remembered_headers  # type: ignore[attr-defined]  # the library's request flow looks it up here
    # Parsed once: by default the PEM would be parsed again for every request's token.
    verifying_key = load_pem_public_key(public_key.encode())
    jwt.decode_key_loader(lambda _header, _payload: verifying_key)

    def unauthorized(message: str) -> Response:
        return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda reason: unauthorized("Authentication required: " + reason.rstrip(".") + "."))
    jwt.invalid_token_loader(lambda reason: unauthorized("The access token is not valid."))
    jwt.expired_token_loader(lambda _h, _p: unauthorized("The access token has expired."))
    jwt.revoked_token_loader(lambda _h, _p: unauthorized("The session of this token was ended."))
    jwt.needs_fresh_token_loader(lambda _h, _p: unauthorized("A fresh login is required."))
    jwt.user_lookup_error_loader(lambda _h, _p: unauthorized("The user of this token no longer exists."))

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return is_token_revoked(payload, request.headers.get(SESSION_CHECKED_HEADER))


def revocation_keys(payload: dict[str, Any]) -> list[str]:
    """The keys to read for this token: the deny list's epoch, its user's revoked-before time, its session."""
    keys = [DENY_LIST_EPOCH_KEY, revoked_before_key(str(payload.get("sub")))]
    if payload.get("sid"):
        keys.append(deny_key_for_session(str(payload["sid"])))
    return keys


def revoked_by(values: list[Any], payload: dict[str, Any]) -> bool | None:
    """Judge a token from what Redis held at revocation_keys(payload); None when Redis does not hold
    the deny list at all (no epoch), so it cannot say."""
    epoch, revoked_before, session_denied = (list(values) + [None, None, None])[:3]
    if epoch is None:
        return None
    if session_denied is not None:
        return True
    return revoked_before is not None and float(payload.get("iat", 0)) < float(revoked_before)


def revocation_verdict(values: list[Any] | None, payload: dict[str, Any], cause: Exception | None = None,
                       *, app: Flask | None = None) -> bool:
    """Is the token revoked, from what Redis held at revocation_keys(payload)? When Redis could not be
    read (values None, cause the error) or holds no deny list, auth is asked instead (the fallback
    `app` holds, the current app's unless given)."""
    verdict = None if values is None else revoked_by(values, payload)
    return _revoked_by_fallback(app or current_app, payload, cause) if verdict is None else verdict


# The gateway's word that it read the deny list for this very token a moment ago and found its session
# active: "<unix time>:<HMAC-SHA256 of the token's jti and that time, keyed by the internal token>". A
# service that gets it fresh and genuine skips its own read of the same keys; anything else (no word, a
# stale or a forged one, a call that did not come through the gateway) reads them as before. The gateway
# never passes a client's copy of the header on.
SESSION_CHECKED_HEADER = "X-Session-Checked"
SESSION_CHECK_FRESH_SECONDS = 2.0


def _session_check_mac(key: str, jti: str, stamp: str) -> str:
    return hmac.new(key.encode(), f"{jti}|{stamp}".encode(), "sha256").hexdigest()


def session_checked_word(key: str, payload: dict[str, Any], *, at: float | None = None) -> str:
    """What the gateway sends beside a request whose session it has just found active."""
    stamp = f"{time.time() if at is None else at:.3f}"
    return f"{stamp}:{_session_check_mac(key, str(payload.get('jti', '')), stamp)}"


def session_checked_by_edge(word: str | None, payload: dict[str, Any], key: str) -> bool:
    """Whether the gateway found this token's session active within the last SESSION_CHECK_FRESH_SECONDS."""
    if not word or not key or not payload.get("jti"):
        return False
    stamp, _, mac = word.partition(":")
    try:
        at = float(stamp)
    except ValueError:
        return False
    now = time.time()
    if not now - SESSION_CHECK_FRESH_SECONDS <= at <= now + 1.0:  # a second's leeway for the clocks
        return False
    # as bytes: compare_digest refuses a str with any character outside ASCII, which a header may hold
    expected = _session_check_mac(key, str(payload["jti"]), stamp)
    return hmac.compare_digest(mac.encode("utf-8", "replace"), expected.encode())


def is_token_revoked(payload: dict[str, Any], edge_word: str | None = None) -> bool:
    """Revoked if its session was ended, or its user was revoked after it was issued. With the gateway's
    fresh word for this token (SESSION_CHECKED_HEADER), the deny list was just read: not again."""
    if edge_word is not None and session_checked_by_edge(edge_word, payload, current_app.config["INTERNAL_API_TOKEN"]):
        return False
    try:
        values = round_trip(get_redis(), [("MGET", *revocation_keys(payload))])[0]  # lean: once a request
    except RedisError as exc:
        return revocation_verdict(None, payload, exc)
    return revocation_verdict(values, payload)


class SessionFallback:
    """Asks the source of truth whether a session is active, remembering answers for a few seconds so
    an outage of Redis does not become one call to auth per request. Revocations cannot be written
    while Redis is down (auth refuses them, changing nothing); a Redis without the deny list is
    refilled by auth on the first question, after which Redis is read again."""

    def __init__(self, check: SessionCheck, *, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.check = check
        self.ttl = ttl
        self.max_entries = max_entries
        self._answers: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def is_active(self, user_id: str, session_id: str) -> bool:
        key = (user_id, session_id)
        now = time.monotonic()
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        active = self.check(user_id, session_id)
        log.warning("session checked with auth: Redis unreachable or without the deny list",
                    extra={"session_id": session_id})
        with self._lock:
            if len(self._answers) >= self.max_entries:
                self._answers.clear()
            self._answers[key] = (active, now + self.ttl)
        return active


def set_session_fallback(app: Flask, check: SessionCheck) -> None:
    app.extensions[_FALLBACK_KEY] = SessionFallback(check)


def _revoked_by_fallback(app: Flask, payload: dict[str, Any], cause: Exception | None) -> bool:
    fallback: SessionFallback | None = app.extensions.get(_FALLBACK_KEY)
    session_id = payload.get("sid")
    if fallback is None or not session_id:
        # Fail closed: a permit system must not accept a token it cannot check.
        raise APIError("Sessions cannot be checked right now; try again shortly.", status=503) from cause
    try:
        active = fallback.is_active(str(payload.get("sub")), str(session_id))
    except Exception as exc:
        log.warning("session check failed on both Redis and its fallback", extra={"error": str(exc)})
        raise APIError("Sessions cannot be checked right now; try again shortly.", status=503) from cause
    return not active


# Where a request answered outside Flask's request handling (fast_reads) keeps its verified claims.
CLAIMS_KEY = "permitto_claims"


def current_identity() -> Identity:
    claims = g.get(CLAIMS_KEY) or get_jwt()
    return Identity(
        user_id=str(claims["sub"]),
        role=str(claims.get("role", "")),
        session_id=claims.get("sid"),
        token_id=str(claims.get("jti", "")),
    )


def require_auth(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Verify the access token; with roles given, the caller's role must be one of them."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            verify_jwt_in_request()
            if roles and current_identity().role not in roles:
                raise Forbidden("Your role does not allow this action.")
            return view(*args, **kwargs)

        setattr(wrapper, ROLES_ATTR, roles)  # the API document says who may call it
        return wrapper

    return decorator


def require_internal(view: Callable[P, R]) -> Callable[P, R]:
    """Service-to-service endpoints: a shared secret header, compared in constant time."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        expected = current_app.config["INTERNAL_API_TOKEN"]
        given = request.headers.get(INTERNAL_TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Forbidden("Internal endpoint.")
        return view(*args, **kwargs)

    return wrapper
