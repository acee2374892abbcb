"""/api/v1/auth: login, refresh, logout, password reset, me, and the public key set."""

from __future__ import annotations

import base64
import hmac
import secrets

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Blueprint, Response, current_app, request
from flask_jwt_extended import set_access_cookies, unset_jwt_cookies

from permitto_common.errors import APIError, Forbidden, Unauthorized, success
from permitto_common.openapi import documented
from permitto_common.security import current_identity, require_auth
from permitto_common.validation import parse_body

from .. import accounts, sessions
from ..extensions import db
from ..schemas import (
    ChangePasswordBody,
    ForgotPasswordBody,
    JwksOut,
    LoggedOut,
    LoginBody,
    MeOut,
    MessageOut,
    RefreshBody,
    ResetPasswordBody,
    TokensOut,
    UserOut,
    user_out,
)
from . import actor

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")

REFRESH_COOKIE = "permitto_refresh"
REFRESH_CSRF_COOKIE = "permitto_refresh_csrf"
REFRESH_COOKIE_PATH = "/api/v1/auth"


def _cookie_mode() -> bool:
    return request.headers.get("X-Auth-Mode", "").lower() == "cookie"


def _token_response(user_data: UserOut, pair: sessions.TokenPair, status: int = 200) -> Response:
    if not _cookie_mode():
        tokens: TokensOut = {"accessToken": pair.access_token, "refreshToken": pair.refresh_token,
                             "tokenType": "Bearer", "expiresIn": pair.expires_in, "user": user_data}
        return success(tokens, status=status)
    # Browser mode: tokens never reach JavaScript; unsafe requests must echo the CSRF cookies as headers.
    browser: TokensOut = {"expiresIn": pair.expires_in, "user": user_data}
    response = success(browser, status=status)
    set_access_cookies(response, pair.access_token)
    secure = current_app.config["JWT_COOKIE_SECURE"]
    response.set_cookie(REFRESH_COOKIE, pair.refresh_token, expires=pair.refresh_expires_at, httponly=True,
                        secure=secure, samesite="Strict", path=REFRESH_COOKIE_PATH)
    response.set_cookie(REFRESH_CSRF_COOKIE, secrets.token_urlsafe(24), expires=pair.refresh_expires_at,
                        httponly=False, secure=secure, samesite="Strict", path="/")
    return response


def _refresh_token_from_request(body: RefreshBody) -> str:
    if body.refresh_token:
        return body.refresh_token
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise Unauthorized("No refresh token was given.")
    expected = request.cookies.get(REFRESH_CSRF_COOKIE, "")
    given = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(expected, given):
        raise Forbidden("The X-CSRF-Token header must repeat the permitto_refresh_csrf cookie.")
    return cookie


@bp.post("/login")
@documented("Log in with email and password", body=LoginBody, response=TokensOut)
def login() -> Response:
    body = parse_body(LoginBody)
    user, pair = accounts.login(body.email, body.password, ip=request.remote_addr,
                                user_agent=request.headers.get("User-Agent"))
    return _token_response(user_out(user), pair)


@bp.post("/refresh")
@documented("Exchange a refresh token for a new pair (rotation)", body=RefreshBody, response=TokensOut)
def refresh() -> Response:
    body = parse_body(RefreshBody)
    user, pair = sessions.rotate(_refresh_token_from_request(body))
    db.session.commit()
    return _token_response(user_out(user), pair)


@bp.post("/logout")
@documented("End this session", response=LoggedOut)
@require_auth()
def logout() -> Response:
    identity = current_identity()
    if identity.session_id:
        import uuid

        sessions.end_session_by_id(uuid.UUID(identity.session_id), reason="logout")
        db.session.commit()
    answer: LoggedOut = {"loggedOut": True}
    response = success(answer)
    unset_jwt_cookies(response)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.delete_cookie(REFRESH_CSRF_COOKIE, path="/")
    return response


@bp.post("/forgot-password")
@documented("Send a password reset link", body=ForgotPasswordBody, response=MessageOut, status=202)
def forgot_password() -> Response:
    body = parse_body(ForgotPasswordBody)
    accounts.forgot_password(body.email, ip=request.remote_addr)
    return success({"message": "If this email belongs to an account, a reset link is on its way."}, status=202)


@bp.post("/reset-password")
@documented("Set a new password with a reset or invitation token", body=ResetPasswordBody, response=MessageOut)
def reset_password() -> Response:
    body = parse_body(ResetPasswordBody)
    accounts.reset_password(body.token, body.password)
    return success({"message": "Your password is set. Log in with it."})


@bp.post("/change-password")
@documented("Change my password (ends every session)", body=ChangePasswordBody, response=MessageOut)
@require_auth()
def change_password() -> Response:
    body = parse_body(ChangePasswordBody)
    accounts.change_password(actor(), body.current_password, body.new_password)
    return success({"message": "Password changed. Every session was ended; log in again."})


@bp.get("/me")
@documented("Who I am, with my projects", response=MeOut)
@require_auth()
def me() -> Response:
    from ..directory import projects_of
    from ..schemas import project_out

    user = actor()
    answer: MeOut = {**user_out(user), "projects": [project_out(p) for p in projects_of(user)]}
    return success(answer)


@bp.get("/jwks.json")
@documented("The public key of access tokens, as a JSON Web Key Set", response=JwksOut)
def jwks() -> Response:
    """The public key as a JSON Web Key Set, for verifiers that fetch it once instead of configuring it."""
    key = load_pem_public_key(current_app.config["JWT_PUBLIC_KEY"].encode())
    if not isinstance(key, RSAPublicKey):
        raise APIError("The configured public key is not an RSA key.", status=500)
    numbers = key.public_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    answer: JwksOut = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "n": b64(numbers.n), "e": b64(numbers.e)}]}
    return success(answer)
