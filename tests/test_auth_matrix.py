"""The permission matrix of docs/domain.md, "Roles" for accounts and projects, every endpoint against every role,
through the gateway. Allowed calls succeed; the rest get 403, or 404 where existence must not leak."""

import re
import uuid

import pytest

from devstack.api_client import unique_email

ROLES = ["anonymous", "admin", "coordinator", "issuer.downtown", "receiver.downtown"]


def _case(method, path, body, expected):
    """expected: one status per role in ROLES."""
    return pytest.param(method, path, body, dict(zip(ROLES, expected, strict=True)), id=f"{method} {path}")


def body_user(role):
    return lambda ids: {"email": unique_email(role.lower()), "name": f"New {role.title()}", "role": role}


CASES = [
    _case("GET", "/auth/me", None, [401, 200, 200, 200, 200]),
    _case("GET", "/users", None, [401, 200, 200, 200, 403]),
    _case("POST", "/users", body_user("SUPER_ADMIN"), [401, 201, 403, 403, 403]),
    _case("POST", "/users", body_user("COORDINATOR"), [401, 201, 403, 403, 403]),
    _case("POST", "/users", body_user("ISSUER"), [401, 201, 201, 403, 403]),
    _case("POST", "/users", body_user("RECEIVER"), [401, 201, 201, 201, 403]),
    _case("GET", "/users/{self}", None, [401, 200, 200, 200, 200]),
    _case("GET", "/users/{issuer.harbor}", None, [401, 200, 200, 404, 404]),
    _case("GET", "/users/{receiver.harbor}", None, [401, 200, 200, 200, 404]),
    _case("GET", "/users/{issuer.downtown}", None, [401, 200, 200, 200, 404]),
    _case("PATCH", "/users/{fresh_receiver}", lambda ids: {"role": "ISSUER"}, [401, 200, 403, 403, 404]),
    _case("PATCH", "/users/{fresh_receiver}", lambda ids: {"name": "Renamed Person"}, [401, 200, 200, 403, 404]),
    _case("PATCH", "/users/{self}", lambda ids: {"name": "Still Me"}, [401, 200, 200, 200, 200]),
    _case("DELETE", "/users/{fresh_receiver}", None, [401, 200, 200, 403, 403]),
    _case("DELETE", "/users/{fresh_issuer}", None, [401, 200, 200, 403, 403]),
    _case("GET", "/projects", None, [401, 200, 200, 200, 200]),
    _case("POST", "/projects", lambda ids: {"code": "P" + uuid.uuid4().hex[:8].upper(), "name": "New site",
                                             "timezone": "Europe/Paris"}, [401, 201, 403, 403, 403]),
    _case("GET", "/projects/{DOWNTOWN}", None, [401, 200, 200, 200, 200]),
    _case("GET", "/projects/{HARBOR}", None, [401, 200, 200, 404, 404]),
    _case("PATCH", "/projects/{DOWNTOWN}", lambda ids: {"name": "Downtown Tower — 42-storey office build"},
          [401, 200, 403, 403, 403]),
    _case("GET", "/projects/{DOWNTOWN}/users", None, [401, 200, 200, 200, 200]),
    _case("GET", "/projects/{HARBOR}/users", None, [401, 200, 200, 404, 404]),
    _case("POST", "/projects/{DOWNTOWN}/users", lambda ids: {"userId": ids["fresh_receiver"]},
          [401, 201, 201, 201, 403]),
    _case("POST", "/projects/{DOWNTOWN}/users", lambda ids: {"userId": ids["fresh_issuer"]},
          [401, 201, 201, 403, 403]),
    _case("POST", "/projects/{HARBOR}/users", lambda ids: {"userId": ids["fresh_receiver"]},
          [401, 201, 201, 404, 403]),
    _case("DELETE", "/projects/{DOWNTOWN}/users/{receiver.both}", None, [401, 200, 200, 200, 403]),
    _case("DELETE", "/projects/{DOWNTOWN}/users/{issuer.downtown}", None, [401, 200, 200, 403, 403]),
    _case("GET", "/users/{self}/projects", None, [401, 200, 200, 200, 200]),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(role, method, path, body, expected, new_api, tokens, ids, demo, system):
    admin = new_api()
    admin.token = tokens["admin"]
    # Fresh targets for each case, so one case's change never decides another's outcome.
    fresh = {}
    for key, fresh_role in (("fresh_receiver", "RECEIVER"), ("fresh_issuer", "ISSUER")):
        created = admin.post("/users", json={"email": unique_email(key), "name": key.replace("_", " ").title(),
                                            "role": fresh_role, "projectIds": [ids["projects"]["DOWNTOWN"]]})
        assert created.status_code == 201, created.text
        fresh[key] = created.json()["data"]["id"]
    # receiver.both and issuer.downtown are re-assigned after a DELETE case removed them.
    for key in ("receiver.both", "issuer.downtown"):
        admin.post(f"/projects/{ids['projects']['DOWNTOWN']}/users", json={"userId": ids["users"][key]})

    names = {**ids["projects"], **ids["users"], **fresh,
             "self": ids["users"].get(role, ids["users"]["admin"])}
    url = re.sub(r"\{([^}]+)\}", lambda m: names[m.group(1)], path)
    api = new_api()
    api.token = tokens.get(role)
    payload = body({**ids, **fresh}) if body else None
    response = api.request(method, url, json=payload)
    want = expected[role]
    assert response.status_code == want, f"{role} {method} {url}: {response.status_code} {response.text[:300]}"
    envelope = response.json()
    assert envelope["success"] is (want < 400)
    if want >= 400:
        assert envelope["error"]["code"] in {"UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"}
    # Leave no extra people on the demo projects: they would receive every later test's notifications.
    created = [response.json()["data"]["id"]] if (method == "POST" and path == "/users" and want == 201) else []
    for user_id in [*fresh.values(), *created]:
        admin.delete(f"/users/{user_id}")
    if role == "anonymous":
        return
    # Restore demo state changed by a case above.
    if method == "PATCH" and path == "/users/{self}":
        import json as _json

        original = {u["email"].split("@")[0]: u["name"] for u in _json.loads(
            (system.var_dir / "demo-users.json").read_text())}
        admin.patch(f"/users/{names['self']}", json={"name": original[role]})
    if "{DOWNTOWN}/users/{" in path:
        admin.post(f"/projects/{ids['projects']['DOWNTOWN']}/users", json={"userId": url.rsplit("/", 1)[1]})


def test_issuer_sees_only_his_projects(new_api, tokens):
    api = new_api()
    api.token = tokens["issuer.downtown"]
    codes = {p["code"] for p in api.get("/projects").json()["data"]}
    assert codes == {"DOWNTOWN"}


def test_receiver_cannot_list_or_find_other_users(new_api, tokens, ids):
    api = new_api()
    api.token = tokens["receiver.downtown"]
    assert api.get("/users").status_code == 403
    assert api.get(f"/users/{ids['users']['receiver.harbor']}").status_code == 404
    assert api.get(f"/users/{uuid.uuid4()}").status_code == 404


def test_user_list_filters_search_and_pages(new_api, tokens, ids):
    admin = new_api()
    admin.token = tokens["admin"]
    receivers = admin.get("/users", params={"role": "RECEIVER", "projectId": ids["projects"]["HARBOR"]}).json()
    emails = {u["email"] for u in receivers["data"]}
    assert {"receiver.harbor@permitto.example", "receiver.both@permitto.example"} <= emails
    assert all(u["role"] == "RECEIVER" for u in receivers["data"])
    found = admin.get("/users", params={"q": "INGRID"}).json()["data"]
    assert [u["email"] for u in found] == ["issuer.harbor@permitto.example"]
    page = admin.get("/users", params={"limit": 2, "page": 2}).json()
    assert page["meta"]["page"] == 2
    assert page["meta"]["limit"] == 2
    assert page["meta"]["total"] >= 7
    assert len(page["data"]) == 2
    first = admin.get("/users", params={"limit": 2, "page": 1}).json()["data"]
    assert {u["id"] for u in first}.isdisjoint({u["id"] for u in page["data"]})
    inactive = admin.get("/users", params={"active": "false"}).json()["data"]
    assert all(u["isActive"] is False for u in inactive)
