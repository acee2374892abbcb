"""Templates and the permit lifecycle through the gateway: every transition, the forbidden ones,
separation of duties, numbers under concurrency, visibility, idempotency, timeline and audit chain."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from devstack import matrix
from devstack.images import png_base64
from devstack.samples import complete_hot_work

SIGNATURE = {"imageBase64": png_base64()}


@pytest.fixture(scope="session")
def templates(gateway, tokens):
    from devstack.api_client import Api

    api = Api(gateway, "10.251.0.1")
    api.token = tokens["receiver.downtown"]
    rows = api.get("/templates").json()["data"]
    api.session.close()
    return {row["type"]: row["id"] for row in rows}


@pytest.fixture
def draft(api_of, templates, ids, area):
    """Make a hot-work draft on a project (DOWNTOWN unless told) as a receiver, in a fresh work area."""

    def make(receiver="receiver.downtown", project="DOWNTOWN", data=None, **overrides):
        start = datetime.now(UTC) + timedelta(hours=1)
        body = {"templateId": templates["HW"], "projectId": ids["projects"][project], "title": "Weld brackets C4",
                "validFrom": start.isoformat(), "validTo": (start + timedelta(days=2)).isoformat(),
                "workAreaId": area(project), "formData": complete_hot_work() if data is None else data,
                **overrides}
        response = api_of(receiver).post("/permits", json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    return make


def act(api, permit, verb, **body):
    payload = body or ({"signature": SIGNATURE} if verb == "approve" else {})
    return api.post(f"/permits/{permit['id']}/{verb}", json=payload)


def test_receivers_see_published_templates_and_coordinators_build_new_versions(api_of, templates):
    receiver, coordinator = api_of("receiver.downtown"), api_of("coordinator")
    assert set(templates) == {"HW", "CSE", "WAH", "EW"}
    hot = receiver.get(f"/templates/{templates['HW']}").json()["data"]
    assert hot["version"]["status"] == "PUBLISHED"
    assert hot["version"]["schema"]["sections"][0]["key"] == "job"
    assert receiver.post("/templates", json={}).status_code == 403

    schema = {"sections": [{"key": "s", "title": "S", "fields": [
        {"key": "meter", "type": "select", "label": "Meter"}]}]}
    bad = coordinator.post("/templates", json={"type": "HW", "name": "Bad one", "schema": schema})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "schema.sections[0].fields[0]"
    assert "field 'meter': a select needs options" in bad.json()["error"]["details"][0]["message"]

    schema["sections"][0]["fields"][0] = {"key": "note", "type": "text", "label": "Note", "required": True}
    created = coordinator.post("/templates", json={"type": "EW", "name": f"EW variant {uuid.uuid4().hex[:6]}",
                                                  "schema": schema}).json()["data"]
    assert created["draftVersion"] == 1
    assert created["publishedVersion"] is None
    assert receiver.get(f"/templates/{created['id']}").status_code == 404  # drafts are not for receivers
    published = coordinator.post(f"/templates/{created['id']}/publish").json()["data"]
    assert published["publishedVersion"] == 1
    assert coordinator.post(f"/templates/{created['id']}/publish").status_code == 409
    schema["sections"][0]["fields"].append({"key": "extra", "type": "number", "label": "Extra", "min": 0})
    edited = coordinator.patch(f"/templates/{created['id']}", json={"schema": schema}).json()["data"]
    assert edited["draftVersion"] == 2
    assert edited["publishedVersion"] == 1
    v1 = receiver.get(f"/templates/{created['id']}/versions/1").json()["data"]["version"]["schema"]
    assert [f["key"] for f in v1["sections"][0]["fields"]] == ["note"]  # version 1 stays frozen
    coordinator.patch(f"/templates/{created['id']}", json={"isActive": False})


def test_the_happy_path_with_numbers_timeline_and_audit_chain(api_of, draft, system):
    receiver, issuer, coordinator = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("coordinator")
    permit = draft(data={"workers": 2})
    assert permit["status"] == "DRAFT"
    assert permit["number"] is None

    incomplete = act(receiver, permit, "submit")
    assert incomplete.status_code == 422
    missing = {d["field"] for d in incomplete.json()["error"]["details"]}
    assert {"formData.location", "formData.lel_percent", "formData.fire_watch_name"} <= missing

    stale = receiver.patch(f"/permits/{permit['id']}", json={"formData": complete_hot_work()},
                           headers={"If-Match": '"999"'})
    assert stale.status_code == 412
    assert receiver.patch(f"/permits/{permit['id']}", json={"formData": {"workers": 3}}).status_code == 428
    saved = receiver.patch(f"/permits/{permit['id']}", json={"formData": complete_hot_work()},
                           headers={"If-Match": f'"{permit["version"]}"'})
    assert saved.status_code == 200
    assert saved.headers["ETag"] == f'"{permit["version"] + 1}"'
    step = receiver.post(f"/permits/{permit['id']}/validate", json={"sections": ["gas_test"]}).json()["data"]
    assert step == {"valid": True, "problems": []}

    submitted = act(receiver, permit, "submit").json()["data"]
    assert submitted["status"] == "SUBMITTED"
    assert submitted["number"].startswith(f"DOWNTOWN-HW-{datetime.now(UTC).year}-")
    assert receiver.patch(f"/permits/{permit['id']}", json={"title": "Changed after submit", "version": 9}
                          ).status_code == 409

    approved_once = act(issuer, permit, "approve", signature=SIGNATURE, comment="Checked on site")
    assert approved_once.status_code == 200, approved_once.text
    assert approved_once.json()["data"]["status"] == "ISSUER_APPROVED"
    final = act(coordinator, permit, "approve").json()["data"]
    assert final["status"] == "APPROVED"
    assert [s["role"] for s in final["signatures"]] == ["ISSUER", "COORDINATOR"]

    timeline = receiver.get(f"/permits/{permit['id']}/timeline").json()["data"]
    assert [e["action"] for e in timeline] == ["created", "updated", "submit", "issuer_approve", "final_approve"]
    assert timeline[3]["actor"]["name"] == issuer.get("/auth/me").json()["data"]["name"]
    assert timeline[3]["comment"] == "Checked on site"
    assert timeline[4]["fromStatus"] == "ISSUER_APPROVED"
    assert timeline[4]["toStatus"] == "APPROVED"
    assert receiver.get(f"/permits/{permit['id']}/audit/verify").json()["data"]["valid"] is True

    with psycopg.connect(system.endpoints.database_urls["permits"].replace("+psycopg", "")) as conn:
        events = [r[0] for r in conn.execute(
            "SELECT event_type FROM outbox_events WHERE permit_id = %s ORDER BY created_at", (permit["id"],))]
    assert events == ["PERMIT_SUBMITTED", "PERMIT_ISSUER_APPROVED", "PERMIT_APPROVED"]


def test_rejection_needs_a_reason_and_revision_keeps_the_number(api_of, draft):
    receiver, issuer, coordinator = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("coordinator")
    permit = draft()
    number = act(receiver, permit, "submit").json()["data"]["number"]
    no_reason = issuer.post(f"/permits/{permit['id']}/reject", json={})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["details"][0]["field"] == "reason"
    rejected = issuer.post(f"/permits/{permit['id']}/reject", json={"reason": "Gas test is older than 2 hours"})
    assert rejected.json()["data"]["status"] == "REJECTED_ISSUER"
    assert rejected.json()["data"]["rejectionReason"] == "Gas test is older than 2 hours"
    revised = act(receiver, permit, "revise").json()["data"]
    assert revised["status"] == "DRAFT"
    assert revised["number"] == number
    again = act(receiver, permit, "submit").json()["data"]
    assert again["number"] == number
    act(issuer, permit, "approve")
    final_reject = coordinator.post(f"/permits/{permit['id']}/reject", json={"reason": "Fire watch too short"})
    assert final_reject.json()["data"]["status"] == "REJECTED_COORD"
    assert act(receiver, permit, "revise").json()["data"]["status"] == "DRAFT"


FORBIDDEN = [
    # (state reached by these steps, actor, verb, expected status, expected error code)
    ([], "receiver.downtown", "approve", 403, "FORBIDDEN"),
    ([], "issuer.downtown", "submit", 404, "NOT_FOUND"),  # drafts are the receiver's own
    ([], "issuer.downtown", "approve", 404, "NOT_FOUND"),  # an issuer does not see drafts
    (["submit"], "receiver.downtown", "submit", 409, "INVALID_STATE"),
    (["submit"], "coordinator", "approve", 409, "INVALID_STATE"),
    (["submit"], "issuer.harbor", "approve", 404, "NOT_FOUND"),
    (["submit"], "receiver.downtown", "revise", 409, "INVALID_STATE"),
    (["submit"], "receiver.downtown", "cancel", 409, "INVALID_STATE"),
    (["submit", "issuer"], "issuer.downtown", "approve", 409, "INVALID_STATE"),
    (["submit", "issuer", "final"], "coordinator", "approve", 409, "INVALID_STATE"),
    (["submit", "issuer", "final"], "issuer.downtown", "reject", 409, "INVALID_STATE"),
    (["submit", "issuer", "final"], "receiver.downtown", "submit", 409, "INVALID_STATE"),
    (["cancel"], "receiver.downtown", "submit", 409, "INVALID_STATE"),
    (["submit", "cancel_c"], "coordinator", "cancel", 409, "INVALID_STATE"),
]


@pytest.mark.parametrize(("steps", "actor", "verb", "status", "code"), FORBIDDEN,
                         ids=[f"{'+'.join(s) or 'draft'}:{a}:{v}" for s, a, v, *_ in FORBIDDEN])
def test_forbidden_transitions(steps, actor, verb, status, code, api_of, draft):
    receiver, issuer, coordinator = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("coordinator")
    permit = draft()
    for step in steps:
        response = {
            "submit": lambda: act(receiver, permit, "submit"),
            "issuer": lambda: act(issuer, permit, "approve"),
            "final": lambda: act(coordinator, permit, "approve"),
            "cancel": lambda: act(receiver, permit, "cancel"),
            "cancel_c": lambda: act(coordinator, permit, "cancel", reason="Scope changed, not needed"),
        }[step]()
        assert response.status_code == 200, (step, response.text)
    before = api_of("admin").get(f"/permits/{permit['id']}").json()["data"]
    body = {"reason": "A good enough reason"} if verb in ("reject", "cancel") else {}
    response = act(api_of(actor), permit, verb, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    if code == "INVALID_STATE":
        assert before["status"] in response.json()["error"]["message"]
        assert {"field": "status", "message": before["status"]} in response.json()["error"]["details"]
    after = api_of("admin").get(f"/permits/{permit['id']}").json()["data"]
    assert after["status"] == before["status"]
    assert after["version"] == before["version"]


def test_coordinator_cancels_any_live_permit_with_a_reason(api_of, draft):
    coordinator, receiver = api_of("coordinator"), api_of("receiver.downtown")
    permit = draft()
    act(receiver, permit, "submit")
    assert coordinator.post(f"/permits/{permit['id']}/cancel", json={}).status_code == 422
    cancelled = act(coordinator, permit, "cancel", reason="Work postponed to next month")
    assert cancelled.json()["data"]["status"] == "CANCELLED"


def test_separation_of_duties(api_of, new_api, ids, mailbox, area):
    from devstack.api_client import unique_email

    admin = api_of("admin")
    email = unique_email("promoted")
    user = admin.post("/users", json={"email": email, "name": "Pat Promoted", "role": "RECEIVER",
                                     "projectIds": [ids["projects"]["DOWNTOWN"]]}).json()["data"]
    import re

    token = re.search(r"token=([\w-]+)", mailbox(email)[0].get_body(("plain",)).get_content()).group(1)
    new_api().post("/auth/reset-password", json={"token": token, "password": "Promoted-pass-123"})
    receiver = new_api()
    receiver.login(email, "Promoted-pass-123")
    start = datetime.now(UTC) + timedelta(hours=1)
    templates_list = receiver.get("/templates").json()["data"]
    hw = next(t["id"] for t in templates_list if t["type"] == "HW")
    permit = receiver.post("/permits", json={"templateId": hw, "projectId": ids["projects"]["DOWNTOWN"],
                                             "title": "My own permit", "validFrom": start.isoformat(),
                                             "validTo": (start + timedelta(days=1)).isoformat(),
                                             "workAreaId": area(), "formData": complete_hot_work()}).json()["data"]
    assert act(receiver, permit, "submit").status_code == 200
    admin.patch(f"/users/{user['id']}", json={"role": "ISSUER"})
    import time

    time.sleep(1.1)
    promoted = new_api()
    promoted.login(email, "Promoted-pass-123")
    own = act(promoted, permit, "approve")
    assert own.status_code == 403
    assert "Separation of duties" in own.json()["error"]["message"]


def test_fifty_parallel_submits_get_fifty_consecutive_numbers(api_of, draft, templates, ids):
    receiver = api_of("receiver.both")
    permits = [draft(receiver="receiver.both", project="HARBOR") for _ in range(50)]
    for permit in permits:
        permit["type"] = "HW"

    def submit(permit):
        api = api_of("receiver.both")
        response = act(api, permit, "submit")
        api.session.close()
        return response

    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(submit, permits))
    assert [r.status_code for r in responses] == [200] * 50
    numbers = sorted(r.json()["data"]["number"] for r in responses)
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert len(set(numbers)) == 50
    assert seqs == list(range(seqs[0], seqs[0] + 50))  # consecutive: no gap, no duplicate
    receiver.session.close()


def test_ten_parallel_approvals_make_one_transition(api_of, draft):
    receiver = api_of("receiver.downtown")
    permit = draft()
    act(receiver, permit, "submit")

    def approve(_):
        api = api_of("issuer.downtown")
        response = act(api, permit, "approve")
        api.session.close()
        return response.status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(approve, range(10)))
    assert sorted(statuses) == [200] + [409] * 9
    timeline = receiver.get(f"/permits/{permit['id']}/timeline").json()["data"]
    assert [e["action"] for e in timeline].count("issuer_approve") == 1
    assert len(receiver.get(f"/permits/{permit['id']}").json()["data"]["signatures"]) == 1


def test_a_retried_request_with_the_same_idempotency_key_acts_once(api_of, templates, ids):
    receiver = api_of("receiver.downtown")
    start = datetime.now(UTC) + timedelta(hours=1)
    body = {"templateId": templates["HW"], "projectId": ids["projects"]["DOWNTOWN"], "title": "Retry me",
            "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat()}
    key = {"Idempotency-Key": f"phone-{uuid.uuid4()}"}
    first = receiver.post("/permits", json=body, headers=key)
    second = receiver.post("/permits", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    other = receiver.post("/permits", json={**body, "title": "Different"}, headers=key)
    assert other.status_code == 422


def test_visibility_through_list_get_and_timeline(api_of, draft):
    mine = draft()
    act(api_of("receiver.downtown"), mine, "submit")
    harbor = draft(receiver="receiver.harbor", project="HARBOR")
    act(api_of("receiver.harbor"), harbor, "submit")
    other_receiver, harbor_issuer = api_of("receiver.harbor"), api_of("issuer.harbor")
    for api in (other_receiver, harbor_issuer):
        assert api.get(f"/permits/{mine['id']}").status_code == 404
        assert api.get(f"/permits/{mine['id']}/timeline").status_code == 404
        listed = {p["id"] for p in api.get("/permits", params={"limit": 100}).json()["data"]}
        assert mine["id"] not in listed
    harbor_ids = {p["projectId"] for p in harbor_issuer.get("/permits", params={"limit": 100}).json()["data"]}
    assert harbor_ids == {harbor["projectId"]}
    receiver = api_of("receiver.downtown")
    others = [p for p in receiver.get("/permits", params={"limit": 100}).json()["data"]
              if p["requesterId"] != mine["requesterId"]]
    for other in others:  # a receiver sees only the permits they hold, and those handed over by or to them
        handovers = receiver.get(f"/permits/{other['id']}/people").json()["data"]["handovers"]
        assert mine["requesterId"] in {h[side]["id"] for h in handovers for side in ("fromUser", "toUser")}
    assert api_of("coordinator").get(f"/permits/{mine['id']}").status_code == 200


def test_listing_filters_sorts_and_pages_with_a_cursor(api_of, draft):
    receiver = api_of("receiver.downtown")
    for _ in range(5):
        act(receiver, draft(), "submit")
    issuer = api_of("issuer.downtown")
    page1 = issuer.get("/permits", params={"status": "SUBMITTED", "type": "HW", "limit": 3}).json()
    assert len(page1["data"]) == 3
    assert all(p["status"] == "SUBMITTED" for p in page1["data"])
    page2 = issuer.get("/permits", params={"status": "SUBMITTED", "type": "HW", "limit": 3,
                                           "cursor": page1["meta"]["nextCursor"]}).json()
    assert {p["id"] for p in page1["data"]}.isdisjoint({p["id"] for p in page2["data"]})
    # The total is the same on every page; when the first page holds them all, it is that page's length.
    everything = issuer.get("/permits", params={"status": "SUBMITTED", "type": "HW", "limit": 100}).json()
    assert everything["meta"]["nextCursor"] is None
    assert page1["meta"]["total"] == page2["meta"]["total"] == everything["meta"]["total"] == len(everything["data"])
    assert everything["meta"]["total"] >= 5
    assert everything["meta"]["totalIsCapped"] is False
    stamps = [p["submittedAt"] for p in page1["data"] + page2["data"]]
    assert stamps == sorted(stamps, reverse=True)
    number = page1["data"][0]["number"]
    found = issuer.get("/permits", params={"q": number.lower()}).json()["data"]
    assert [p["number"] for p in found] == [number]
    by_status = issuer.get("/permits", params={"sort": "status", "limit": 50}).json()["data"]
    assert [p["status"] for p in by_status] == sorted(p["status"] for p in by_status)
    bad = issuer.get("/permits", params={"cursor": "garbage", "sort": "sideways"})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"sort"}


def test_a_later_page_that_comes_back_empty_still_says_how_many_there_are(api_of, draft):
    receiver, coordinator = api_of("receiver.downtown"), api_of("coordinator")
    title = f"Pipe rack {uuid.uuid4().hex[:8]}"
    made = [draft(title=title) for _ in range(3)]
    for permit in made:
        act(receiver, permit, "submit")
    first = coordinator.get("/permits", params={"q": title, "limit": 2}).json()
    assert len(first["data"]) == 2
    assert first["meta"]["total"] == 3  # the page and its count in one read
    last = next(p for p in made if p["id"] not in {row["id"] for row in first["data"]})
    assert act(coordinator, last, "cancel", reason="Not needed after all").status_code == 200
    rest = coordinator.get("/permits", params={"q": title, "limit": 2, "status": "SUBMITTED",
                                              "cursor": first["meta"]["nextCursor"]}).json()
    assert rest["data"] == []  # what was left of the list went while the phone read the first page
    assert (rest["meta"]["total"], rest["meta"]["totalIsCapped"], rest["meta"]["nextCursor"]) == (2, False, None)


def test_pending_actions_per_role(api_of, draft):
    permit = draft()
    act(api_of("receiver.downtown"), permit, "submit")
    issuer_pending = api_of("issuer.downtown").get("/permits/pending-actions").json()["data"]
    assert permit["id"] in {p["id"] for p in issuer_pending["permits"]}
    act(api_of("issuer.downtown"), permit, "approve")
    coordinator_pending = api_of("coordinator").get("/permits/pending-actions").json()["data"]
    assert permit["id"] in {p["id"] for p in coordinator_pending["permits"]}
    assert permit["id"] not in {p["id"] for p in api_of("issuer.downtown").get(
        "/permits/pending-actions").json()["data"]["permits"]}


def test_drafts_are_checked_for_project_and_validity(api_of, templates, ids, draft):
    receiver = api_of("receiver.downtown")
    start = datetime.now(UTC) + timedelta(hours=1)
    base = {"templateId": templates["HW"], "title": "Checks", "validFrom": start.isoformat(),
            "validTo": (start + timedelta(days=1)).isoformat()}
    harbor = receiver.post("/permits", json={**base, "projectId": ids["projects"]["HARBOR"]})
    assert harbor.status_code == 422
    assert harbor.json()["error"]["details"][0]["field"] == "projectId"
    assert api_of("issuer.downtown").post("/permits", json={**base, "projectId": ids["projects"]["DOWNTOWN"]}
                                           ).status_code == 403
    long = draft(validTo=(start + timedelta(days=9)).isoformat(), workStart="05:00", workEnd="04:00")
    problems = act(receiver, long, "submit").json()["error"]["details"]
    assert {"field": "validTo",
            "message": "a permit of this type is valid for at most 7 days in all, extensions included"} in problems
    assert {"field": "workEnd", "message": "must be after workStart"} in problems


# -- the console's endpoints: analytics and the template builder ------------------------------------
CONSOLE_ROLES = ["anonymous", "admin", "coordinator", "issuer.downtown", "receiver.downtown", "issuer.harbor"]
_DRAFT_TEMPLATE: list[str] = []
ONE_FIELD = {"sections": [{"key": "job", "title": "Job",
                           "fields": [{"key": "where", "type": "text", "label": "Where"}]}]}


def _draft_template(api_of) -> str:
    """One draft template of the coordinator's, made once: drafts are for coordinators and administrators."""
    if not _DRAFT_TEMPLATE:
        made = api_of("coordinator").post("/templates", json={
            "type": "WAH", "name": f"Matrix draft {uuid.uuid4().hex[:6]}", "schema": ONE_FIELD})
        assert made.status_code == 201, made.text
        _DRAFT_TEMPLATE.append(made.json()["data"]["id"])
    return _DRAFT_TEMPLATE[0]


def case_analytics(api_of, ids):
    return "GET", "/permits/analytics", None


def case_analytics_of_a_project(api_of, ids):
    return "GET", f"/permits/analytics?projectId={ids['projects']['DOWNTOWN']}&from=2026-01-01&to=2026-12-31", None


def case_list_templates(api_of, ids):
    return "GET", "/templates", None


def case_get_draft_template(api_of, ids):
    return "GET", f"/templates/{_draft_template(api_of)}", None


def case_get_draft_version(api_of, ids):
    return "GET", f"/templates/{_draft_template(api_of)}/versions/1", None


def case_create_template(api_of, ids):
    return "POST", "/templates", {"type": "WAH", "name": f"Matrix {uuid.uuid4().hex[:6]}", "schema": ONE_FIELD}


def case_edit_draft(api_of, ids):
    return "PATCH", f"/templates/{_draft_template(api_of)}", {"description": "Edited by the matrix"}


def case_publish_without_a_draft(api_of, ids):
    hot_work = next(t["id"] for t in api_of("coordinator").get("/templates").json()["data"] if t["name"] == "Hot Work")
    return "POST", f"/templates/{hot_work}/publish", {}


#        anonymous admin coordinator issuer.downtown receiver.downtown issuer.harbor
CONSOLE_MATRIX = [
    (case_analytics, [401, 200, 200, 403, 403, 403]),
    (case_analytics_of_a_project, [401, 200, 200, 403, 403, 403]),
    (case_list_templates, [401, 200, 200, 200, 200, 200]),
    (case_get_draft_template, [401, 200, 200, 404, 404, 404]),
    (case_get_draft_version, [401, 200, 200, 404, 404, 404]),
    (case_create_template, [401, 403, 201, 403, 403, 403]),
    (case_edit_draft, [401, 403, 200, 403, 403, 403]),
    (case_publish_without_a_draft, [401, 403, 409, 403, 403, 403]),
]


@pytest.mark.parametrize(("make", "expected"), matrix.cases(CONSOLE_MATRIX, CONSOLE_ROLES))
@pytest.mark.parametrize("role", CONSOLE_ROLES)
def test_console_matrix(make, expected, role, api_of, ids, new_api):
    case = make(api_of, ids)
    api = new_api() if role == "anonymous" else api_of(role)
    matrix.check(api, role, case, expected)
