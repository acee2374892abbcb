"""Accounts and tokens end to end through the gateway: login, refresh rotation and reuse, logout,
lockout, reset and invitation by email, revocation, browser cookies with CSRF, token attacks."""

import base64
import json
import re
import subprocess
import sys
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.api_client import unique_email

PASSWORD = "Correct-Horse-42-battery"


def link_token(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"token=([A-Za-z0-9_\-]+)", text).group(1)


@pytest.fixture
def member(new_api, tokens, ids, mailbox):
    """A brand-new receiver on DOWNTOWN who accepted the invitation and set a password."""
    admin = new_api()
    admin.token = tokens["admin"]
    email = unique_email("member")
    created = admin.post("/users", json={"email": email, "name": "Mia Member", "role": "RECEIVER",
                                        "projectIds": [ids["projects"]["DOWNTOWN"]]})
    assert created.status_code == 201, created.text
    [invite] = mailbox(email)
    assert invite["Subject"] == "You are invited to Permitto"
    anon = new_api()
    accepted = anon.post("/auth/reset-password", json={"token": link_token(invite), "password": PASSWORD})
    assert accepted.status_code == 200
    return {"id": created.json()["data"]["id"], "email": email}


def test_invited_user_sets_password_once_and_logs_in(new_api, member, mailbox):
    api = new_api()
    data = api.login(member["email"], PASSWORD)
    assert data["user"]["email"] == member["email"]
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 900
    me = api.get("/auth/me").json()["data"]
    assert me["role"] == "RECEIVER"
    assert [p["code"] for p in me["projects"]] == ["DOWNTOWN"]
    [invite] = mailbox(member["email"])
    again = new_api().post("/auth/reset-password", json={"token": link_token(invite), "password": PASSWORD + "x"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_TOKEN"


def test_access_token_claims_and_lifetime(new_api, member, system):
    data = new_api().login(member["email"], PASSWORD)
    public = (system.var_dir / "keys" / "jwt-public.pem").read_text()
    claims = jwt.decode(data["accessToken"], public, algorithms=["RS256"])
    assert claims["sub"] == member["id"]
    assert claims["role"] == "RECEIVER"
    assert claims["jti"]
    assert claims["sid"]
    assert claims["exp"] - claims["iat"] == 900
    assert jwt.get_unverified_header(data["accessToken"])["alg"] == "RS256"


def test_refresh_rotates_and_reuse_revokes_the_family(new_api, member, auth_db):
    api = new_api()
    first = api.login(member["email"], PASSWORD)
    second = api.post("/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert second.status_code == 200
    second = second.json()["data"]
    assert second["refreshToken"] != first["refreshToken"]
    assert api.get("/auth/me", token=second["accessToken"]).status_code == 200

    replay = api.post("/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert replay.status_code == 401
    # the whole family is gone: the newer refresh token and its access token stop working
    assert api.post("/auth/refresh", json={"refreshToken": second["refreshToken"]}).status_code == 401
    assert api.get("/auth/me", token=second["accessToken"]).status_code == 401
    rows = auth_db.execute("SELECT action FROM account_audit WHERE target_user_id = %s", (member["id"],)).fetchall()
    assert ("REFRESH_TOKEN_REUSE",) in rows
    stored = auth_db.execute("SELECT token_hash FROM refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id"
                             " WHERE s.user_id = %s", (member["id"],)).fetchall()
    assert stored
    assert all(len(h) == 64 and h != first["refreshToken"] for (h,) in stored)


def test_logout_ends_the_session_at_once(new_api, member):
    api = new_api()
    data = api.login(member["email"], PASSWORD)
    assert api.post("/auth/logout").status_code == 200
    assert api.get("/auth/me").status_code == 401
    assert api.post("/auth/refresh", json={"refreshToken": data["refreshToken"]}).status_code == 401


def test_wrong_passwords_lock_the_account_and_the_lock_is_audited(new_api, member, auth_db):
    api = new_api()
    for _ in range(5):
        wrong = api.post("/auth/login", json={"email": member["email"], "password": "Wrong-password-1"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["message"] == "The email or password is wrong."
    locked = api.post("/auth/login", json={"email": member["email"], "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 60
    assert locked.json()["error"]["code"] == "RATE_LIMITED"
    audit = auth_db.execute("SELECT details FROM account_audit WHERE action = 'ACCOUNT_LOCKED'"
                            " AND target_user_id = %s", (member["id"],)).fetchall()
    assert len(audit) == 1


def test_unknown_email_and_wrong_password_answer_alike(new_api, member):
    api = new_api()
    unknown = api.post("/auth/login", json={"email": unique_email("ghost"), "password": PASSWORD})
    wrong = api.post("/auth/login", json={"email": member["email"], "password": "Not-the-password-9"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]


def test_login_is_rate_limited_per_address(new_api):
    # The limit counts in fixed 5-minute windows: 31 slow logins that straddle a window's end are counted
    # in two windows, so start in a fresh one when the current one is nearly over.
    left = 300 - time.time() % 300
    if left < 60:
        time.sleep(left + 0.5)
    api = new_api()
    statuses = [api.post("/auth/login", json={"email": unique_email("spray"), "password": "x"}).status_code
                for _ in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_forgot_password_never_reveals_and_reset_ends_sessions(new_api, member, mailbox):
    api = new_api()
    old = api.login(member["email"], PASSWORD)
    known = api.post("/auth/forgot-password", json={"email": member["email"].upper()})
    unknown = api.post("/auth/forgot-password", json={"email": unique_email("nobody")})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    reset = next(m for m in mailbox(member["email"], count=2) if m["Subject"] == "Reset your Permitto password")
    weak = api.post("/auth/reset-password", json={"token": link_token(reset), "password": "short"})
    assert weak.status_code == 422
    assert weak.json()["error"]["details"][0]["field"] == "password"
    done = api.post("/auth/reset-password", json={"token": link_token(reset), "password": "Brand-new-pass-77"})
    assert done.status_code == 200
    time.sleep(1.1)  # tokens issued in the second of a revocation stay valid by design
    assert api.get("/auth/me", token=old["accessToken"]).status_code == 401
    assert new_api().login(member["email"], "Brand-new-pass-77")


def test_role_change_and_deactivation_revoke_sessions_within_seconds(new_api, member, tokens):
    api = new_api()
    data = api.login(member["email"], PASSWORD)
    admin = new_api()
    admin.token = tokens["admin"]
    assert admin.patch(f"/users/{member['id']}", json={"role": "ISSUER"}).status_code == 200
    assert api.get("/auth/me", token=data["accessToken"]).status_code == 401
    time.sleep(1.1)
    fresh = api.login(member["email"], PASSWORD)
    assert fresh["user"]["role"] == "ISSUER"
    assert admin.delete(f"/users/{member['id']}").status_code == 200
    assert api.get("/auth/me", token=fresh["accessToken"]).status_code == 401
    assert api.post("/auth/refresh", json={"refreshToken": fresh["refreshToken"]}).status_code == 401
    relogin = new_api().post("/auth/login", json={"email": member["email"], "password": PASSWORD})
    assert relogin.status_code == 401
    # history keeps the name
    assert admin.get(f"/users/{member['id']}").json()["data"]["name"] == "Mia Member"


def test_browser_mode_uses_httponly_cookies_and_csrf(new_api, member):
    api = new_api()
    response = api.post("/auth/login", json={"email": member["email"], "password": PASSWORD},
                        headers={"X-Auth-Mode": "cookie"})
    assert response.status_code == 200
    assert "accessToken" not in response.json()["data"]
    assert "refreshToken" not in response.json()["data"]
    cookies = response.headers.get("Set-Cookie", "")
    set_cookies = response.raw.headers.getlist("Set-Cookie")
    by_name = {c.split("=", 1)[0]: c for c in set_cookies}
    for name in ("access_token_cookie", "permitto_refresh"):
        assert "HttpOnly" in by_name[name]
        assert "Secure" in by_name[name]
        assert "SameSite=Strict" in by_name[name]
    assert "HttpOnly" not in by_name["csrf_access_token"]
    assert cookies
    jar = {name: value.split(";", 1)[0].split("=", 1)[1] for name, value in by_name.items()}
    cookie_header = "; ".join(f"{k}={v}" for k, v in jar.items())
    # reads need only the cookie
    assert api.get("/auth/me", headers={"Cookie": cookie_header}).status_code == 200
    # an unsafe request without the CSRF header is refused; with it, it passes
    denied = api.post("/auth/logout", headers={"Cookie": cookie_header})
    assert denied.status_code == 401
    assert "CSRF" in denied.json()["error"]["message"]
    refresh_denied = api.post("/auth/refresh", json={}, headers={"Cookie": cookie_header})
    assert refresh_denied.status_code == 403
    refreshed = api.post("/auth/refresh", json={}, headers={"Cookie": cookie_header,
                                                             "X-CSRF-Token": jar["permitto_refresh_csrf"]})
    assert refreshed.status_code == 200
    ok = api.post("/auth/logout", headers={"Cookie": cookie_header, "X-CSRF-TOKEN": jar["csrf_access_token"]})
    assert ok.status_code == 200


def _forge(claims: dict, key, algorithm: str, headers: dict | None = None) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_and_tampered_tokens_are_refused(new_api, member, system):
    api = new_api()
    good = api.login(member["email"], PASSWORD)["accessToken"]
    private_pem = (system.var_dir / "keys" / "jwt-private.pem").read_bytes()
    public_pem = (system.var_dir / "keys" / "jwt-public.pem").read_bytes()
    claims = jwt.decode(good, public_pem, algorithms=["RS256"])
    now = int(time.time())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header, payload, signature = good.split(".")
    tampered_payload = _b64({**claims, "role": "SUPER_ADMIN"})
    attacks = {
        "expired": _forge({**claims, "iat": now - 3600, "nbf": now - 3600, "exp": now - 60}, private_pem, "RS256"),
        "wrong signature": _forge(claims, other_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), "RS256"),
        "alg none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + ".",
        "HS256 with the public key": header_hs256(claims, public_pem),
        "tampered claims": f"{header}.{tampered_payload}.{signature}",
        "garbage": "not.a.token",
    }
    for name, token in attacks.items():
        response = api.get("/auth/me", token=token)
        assert response.status_code == 401, name
        body = response.json()
        assert body["success"] is False, name
        assert body["error"]["code"] == "UNAUTHORIZED", name
    assert api.get("/auth/me", token=good).status_code == 200


def header_hs256(claims: dict, public_pem: bytes) -> str:
    import hashlib
    import hmac

    head = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(claims)
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


BAD_INPUT = [
    ("POST", "/auth/login", {"email": "", "password": ""}, {"email", "password"}),
    ("POST", "/auth/login", {"email": "a@b.example"}, {"password"}),
    ("POST", "/auth/forgot-password", {"email": "not-an-email"}, {"email"}),
    ("POST", "/auth/reset-password", {"token": "short", "password": 5}, {"token", "password"}),
    ("POST", "/users", {"email": "nope", "name": "x", "role": "KING"}, {"email", "name", "role"}),
    ("POST", "/users", {"email": "ok@site.example", "name": "Okay Name", "role": "RECEIVER",
                        "projectIds": ["not-a-uuid"]}, {"projectIds[0]"}),
    ("POST", "/users", {"email": "ok@site.example", "name": "Okay", "role": "RECEIVER", "extra": 1}, {"extra"}),
    ("POST", "/projects", {"code": "lower", "name": "", "timezone": "Mars/Olympus"}, {"code", "name", "timezone"}),
    ("PATCH", "/projects/{DOWNTOWN}", {"timezone": "Nowhere/City", "isActive": "maybe"}, {"timezone", "isActive"}),
    ("PATCH", "/users/{receiver.harbor}", {"role": "EMPEROR", "email": "bad"}, {"role", "email"}),
    ("PATCH", "/users/{receiver.harbor}", {}, {"body"}),
    ("POST", "/projects/{DOWNTOWN}/users", {"userId": "12"}, {"userId"}),
    ("GET", "/users?limit=1000&role=KING&active=perhaps", None, {"limit", "role", "active"}),
]


@pytest.mark.parametrize(("method", "path", "body", "fields"), BAD_INPUT, ids=[f"{m} {p}" for m, p, *_ in BAD_INPUT])
def test_bad_input_is_a_422_naming_every_field_and_writes_nothing(method, path, body, fields, new_api, tokens, ids,
                                                                   auth_db):
    admin = new_api()
    admin.token = tokens["admin"]
    names = {**ids["projects"], **ids["users"]}
    url = re.sub(r"\{([^}]+)\}", lambda m: names[m.group(1)], path)
    before = auth_db.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM projects),"
                             " (SELECT count(*) FROM account_audit)").fetchone()
    response = admin.request(method, url, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {detail["field"] for detail in error["details"]} == fields
    assert all(detail["message"] for detail in error["details"])
    after = auth_db.execute("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM projects),"
                            " (SELECT count(*) FROM account_audit)").fetchone()
    assert before == after


def test_duplicate_email_is_a_409_whatever_the_case(new_api, tokens, member):
    admin = new_api()
    admin.token = tokens["admin"]
    response = admin.post("/users", json={"email": member["email"].upper(), "name": "Twin", "role": "RECEIVER"})
    assert response.status_code == 409
    assert response.json()["error"]["details"] == [{"field": "email", "message": "already in use"}]


def test_account_changes_are_audited_and_the_audit_cannot_be_edited(member, auth_db):
    actions = {a for (a,) in auth_db.execute(
        "SELECT action FROM account_audit WHERE target_user_id = %s", (member["id"],))}
    assert {"USER_CREATED", "PROJECT_ASSIGNED", "PASSWORD_SET"} <= actions
    import psycopg

    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        auth_db.execute("UPDATE account_audit SET action = 'X' WHERE target_user_id = %s", (member["id"],))
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        auth_db.execute("DELETE FROM account_audit")


def test_jwks_publishes_the_verification_key(new_api, system):
    keys = new_api().get("/auth/jwks.json").json()["data"]["keys"]
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["kty"] == "RSA"
    public = serialization.load_pem_public_key((system.var_dir / "keys" / "jwt-public.pem").read_bytes())
    n = int.from_bytes(base64.urlsafe_b64decode(keys[0]["n"] + "=="), "big")
    assert n == public.public_numbers().n


def test_internal_routes_are_not_reachable_through_the_gateway(new_api, tokens, ids, system):
    api = new_api()
    api.token = tokens["admin"]
    uid = ids["users"]["admin"]
    assert api.session.get(f"{api.base.rsplit('/api/v1', 1)[0]}/internal/users/{uid}", timeout=10).status_code == 404
    assert api.get(f"/../internal/users/{uid}").status_code == 404
    forged = api.get("/auth/me", headers={"X-Internal-Token": system.endpoints.internal_token})
    assert forged.status_code == 200  # the header is dropped at the gateway; nothing more is granted


def test_create_admin_command_makes_the_first_admin(system, new_api):
    email = unique_email("first-admin")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "create-admin", "--email", email, "--name", "First Admin",
         "--password", "First-admin-pass-1"],
        env=system.env_for("auth"), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert new_api().login(email, "First-admin-pass-1")["user"]["role"] == "SUPER_ADMIN"
    weak = subprocess.run(
        [sys.executable, "-m", "flask", "create-admin", "--email", unique_email("x"), "--name", "X", "--password", "x"],
        env=system.env_for("auth"), capture_output=True, text=True, timeout=60,
    )
    assert weak.returncode != 0
    assert "password needs" in weak.stderr


def test_internal_endpoints_answer_services_with_the_token(system, ids):
    import requests

    base = system.endpoints.service_url("auth")
    uid = ids["users"]["issuer.downtown"]
    assert requests.get(f"{base}/internal/users/{uid}", timeout=10).status_code == 403
    headers = {"X-Internal-Token": system.endpoints.internal_token}
    user = requests.get(f"{base}/internal/users/{uid}", headers=headers, timeout=10).json()["data"]
    assert user["role"] == "ISSUER"
    assert user["isActive"] is True
    project = ids["projects"]["DOWNTOWN"]
    issuers = requests.get(f"{base}/internal/projects/{project}/users", params={"role": "ISSUER"},
                           headers=headers, timeout=10).json()["data"]
    assert uid in {u["id"] for u in issuers}
    project_ids = requests.get(f"{base}/internal/users/{uid}/project-ids", headers=headers, timeout=10).json()["data"]
    assert project in project_ids
    assert uuid.UUID(project)
