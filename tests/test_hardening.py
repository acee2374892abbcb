"""What a new user's slips and a hostile client used to break, through the gateway only: each answer is
the one error envelope with the field and the reason, and nothing changed behind it."""

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from devstack.images import photo, png_base64
from devstack.samples import complete_hot_work

SIGNATURE = {"imageBase64": png_base64()}
NY = ZoneInfo("America/New_York")  # the DOWNTOWN demo project's time zone


@pytest.fixture(scope="module")
def hot_work(gateway, tokens, area):
    """The hot-work template, and where to make each permit's fresh work area."""
    from devstack.api_client import Api

    api = Api(gateway, "10.252.0.1")
    api.token = tokens["receiver.downtown"]
    template = next(t["id"] for t in api.get("/templates").json()["data"] if t["type"] == "HW")
    api.session.close()
    return {"template": template, "area": area}


def new_permit(api, hot_work, ids, *, start=None, days=2, **overrides):
    start = start or datetime.now(UTC) + timedelta(hours=1)
    body = {"templateId": hot_work["template"], "projectId": ids["projects"]["DOWNTOWN"], "title": "Weld brackets C4",
            "validFrom": start.isoformat(), "validTo": (start + timedelta(days=days)).isoformat(),
            "workAreaId": hot_work["area"](), "formData": complete_hot_work(), **overrides}
    return api.post("/permits", json=body)


def refused(response, status, field):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["requestId"]
    fields = [d["field"] for d in body["error"].get("details", [])]
    assert field in fields, body
    return next(d["message"] for d in body["error"]["details"] if d["field"] == field)


def raw_post(api, path, text, method="POST"):
    return api.request(method, path, data=text.encode(), headers={"Content-Type": "application/json"})


def permits_of(api):
    return api.get("/permits", params={"limit": 100}).json()["meta"]["total"]


# 1 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [("POST", "/auth/login"), ("POST", "/permits"),
                                             ("POST", "/files/upload-url"), ("PATCH", "/notifications/preferences")])
def test_a_deeply_nested_body_is_a_422_everywhere_even_anonymously(new_api, tokens, method, path):
    api = new_api()
    if path != "/auth/login":
        api.token = tokens["receiver.downtown"]
    nested = '{"a": ' * 100_000 + "1" + "}" * 100_000
    message = refused(raw_post(api, path, nested, method), 422, "body")
    assert "nested too deeply" in message
    # just past the limit too, where Python's parser would still cope
    message = refused(raw_post(api, path, "[" * 40 + "]" * 40, method), 422, "body")
    assert "at most 32 levels" in message


# 2 ------------------------------------------------------------------------------------------------------
def test_valid_to_before_valid_from_is_a_422_naming_valid_to(api_of, hot_work, ids):
    receiver = api_of("receiver.downtown")
    before = permits_of(receiver)
    start = datetime.now(UTC) + timedelta(hours=1)
    response = new_permit(receiver, hot_work, ids, start=start, days=-1)
    assert refused(response, 422, "validTo") == "must be after validFrom"
    # a local time without an offset (the project's zone) against one with an offset is no 500 either
    naive = new_permit(receiver, hot_work, ids, validFrom="2027-03-02T09:00:00",
                       validTo="2027-03-01T09:00:00+00:00")
    assert refused(naive, 422, "validTo") == "must be after validFrom"
    assert permits_of(receiver) == before

    draft = new_permit(receiver, hot_work, ids).json()["data"]
    bad = receiver.patch(f"/permits/{draft['id']}", json={"version": draft["version"],
                                                         "validTo": (start - timedelta(days=1)).isoformat()})
    assert refused(bad, 422, "validTo") == "must be after validFrom"
    kept = receiver.get(f"/permits/{draft['id']}").json()["data"]
    assert (kept["version"], kept["validTo"]) == (draft["version"], draft["validTo"])


# 3 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_a_422(api_of, hot_work, ids, number):
    receiver = api_of("receiver.downtown")
    before = permits_of(receiver)
    start = datetime.now(UTC) + timedelta(hours=1)
    body = json.dumps({"templateId": hot_work["template"], "projectId": ids["projects"]["DOWNTOWN"], "title": "Weld",
                       "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
                       "formData": {**complete_hot_work(), "lel_percent": "__N__"}})
    message = refused(raw_post(receiver, "/permits", body.replace('"__N__"', number)), 422, "body")
    assert "number" in message
    assert permits_of(receiver) == before


# 4 ------------------------------------------------------------------------------------------------------
def test_single_line_fields_refuse_line_breaks_and_control_characters(api_of, hot_work, ids):
    receiver = api_of("receiver.downtown")
    before = permits_of(receiver)
    for title in ("Weld\nBcc: everyone@example.com", "Weld\u2028brackets", "Weld\rbrackets"):
        assert "single line" in refused(new_permit(receiver, hot_work, ids, title=title), 422, "title")
    assert "control characters" in refused(new_permit(receiver, hot_work, ids, title="Weld \x07 bell"), 422,
                                           "title")
    form = {**complete_hot_work(), "gas_tester": "Sam\nGas"}
    assert "single line" in refused(new_permit(receiver, hot_work, ids, formData=form), 422, "formData.gas_tester")
    assert permits_of(receiver) == before


def test_a_reason_may_span_lines_and_every_email_still_goes_out(api_of, hot_work, ids, mailbox, demo):
    receiver, issuer = api_of("receiver.downtown"), api_of("issuer.downtown")
    # The Unicode title is allowed, and the subject stays one header whatever it holds.
    permit = new_permit(receiver, hot_work, ids, title="Schweißen — Halle 3 «Süd»").json()["data"]
    permit = receiver.post(f"/permits/{permit['id']}/submit").json()["data"]
    rejected = issuer.post(f"/permits/{permit['id']}/reject",
                           json={"reason": "Two problems:\n1. no fire blanket\n2. the extinguisher is out of date"})
    assert rejected.status_code == 200, rejected.text
    email = demo["receiver.downtown"][0]
    mails = [m for m in mailbox(email, count=1, timeout=20) if permit["number"] in str(m["Subject"])]
    deadline = time.monotonic() + 20
    while not any("rejected" in str(m["Subject"]).lower() for m in mails) and time.monotonic() < deadline:
        mails = [m for m in mailbox(email, count=1) if permit["number"] in str(m["Subject"])]
        time.sleep(0.2)
    subject = next(str(m["Subject"]) for m in mails if "rejected" in str(m["Subject"]).lower())
    assert "Schweißen — Halle 3 «Süd»" in subject
    assert "\n" not in subject


# 5 ------------------------------------------------------------------------------------------------------
def test_an_over_long_url_is_the_envelope_not_an_html_page(gateway, api_of):
    response = api_of("receiver.downtown").get("/permits", params={"q": "x" * 9000})
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "URI_TOO_LONG"
    huge_header = requests.get(gateway + "/api/v1/permits", headers={"X-Filler": "y" * 20000}, timeout=10)
    assert huge_header.status_code in (400, 431)
    assert huge_header.json()["success"] is False


# 6 ------------------------------------------------------------------------------------------------------
def test_allowed_actions_name_exactly_what_this_user_may_do_now(system, clock, api_of, hot_work, ids):
    receiver, issuer, coordinator = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("coordinator")
    other_receiver, other_issuer = api_of("receiver.both"), api_of("issuer.harbor")
    start = datetime.now(NY).replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=1)
    clock(start)
    permit = new_permit(receiver, hot_work, ids, start=start - timedelta(hours=1)).json()["data"]
    assert permit["allowedActions"] == ["cancel", "submit"]
    submitted = receiver.post(f"/permits/{permit['id']}/submit").json()["data"]
    assert submitted["allowedActions"] == []  # the receiver waits now
    assert issuer.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"] == ["approve", "reject"]
    assert other_issuer.get(f"/permits/{permit['id']}").status_code == 404
    assert coordinator.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"] == ["cancel"]
    issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    approved = coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}).json()["data"]
    assert approved["status"] == "PENDING_DAILY"
    mine = receiver.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"]
    assert mine == ["daily-approve", "request-closeout"]
    # the issuer's turn comes after the receiver's: not offered before, offered after
    assert "daily-approve" not in issuer.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"]
    confirmed = receiver.post(f"/permits/{permit['id']}/daily-approve").json()["data"]
    assert confirmed["allowedActions"] == ["request-closeout"]
    assert "daily-approve" in issuer.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"]
    assert other_receiver.get(f"/permits/{permit['id']}").status_code == 404
    # every verb offered works, none of the others does
    offered = issuer.get(f"/permits/{permit['id']}").json()["data"]["allowedActions"]
    assert offered == ["daily-approve", "suspend"]
    assert issuer.post(f"/permits/{permit['id']}/daily-approve").status_code == 200
    assert issuer.post(f"/permits/{permit['id']}/request-closeout").status_code == 403


# 7 ------------------------------------------------------------------------------------------------------
def test_a_permit_approved_after_its_work_start_is_not_suspended_at_once(system, clock, api_of, hot_work, ids):
    receiver, issuer, coordinator = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("coordinator")
    day = (datetime.now(NY) + timedelta(days=1)).date()
    clock(datetime(day.year, day.month, day.day, 6, tzinfo=NY))
    permit = new_permit(receiver, hot_work, ids, start=datetime(day.year, day.month, day.day, 6, tzinfo=NY)
                        ).json()["data"]
    receiver.post(f"/permits/{permit['id']}/submit")
    issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    approved_at = datetime(day.year, day.month, day.day, 9, 30, tzinfo=NY)  # work starts at 08:00
    clock(approved_at)
    final = coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}).json()["data"]
    assert final["status"] == "PENDING_DAILY"
    [first_day] = receiver.get(f"/permits/{permit['id']}/days").json()["data"]
    grace = receiver.get(f"/projects/{ids['projects']['DOWNTOWN']}").json()["data"]["firstDayGraceMinutes"]
    assert grace == 60
    due = datetime.fromisoformat(first_day["deadlineAt"]) - (approved_at + timedelta(minutes=grace))
    assert abs(due.total_seconds()) < 2  # the moved clock still ticks
    time.sleep(4)  # a sweep runs: still nothing is due
    assert receiver.get(f"/permits/{permit['id']}").json()["data"]["status"] == "PENDING_DAILY"
    clock(approved_at + timedelta(minutes=grace, seconds=5))
    deadline = time.monotonic() + 15
    while receiver.get(f"/permits/{permit['id']}").json()["data"]["status"] != "SUSPENDED":
        assert time.monotonic() < deadline, "the first day's deadline never suspended the permit"
        time.sleep(0.3)


def test_only_an_administrator_sets_the_grace_and_it_is_checked(api_of, ids):
    project = ids["projects"]["HARBOR"]
    assert api_of("coordinator").patch(f"/projects/{project}", json={"firstDayGraceMinutes": 30}).status_code == 403
    assert "less than or equal to 480" in refused(
        api_of("admin").patch(f"/projects/{project}", json={"firstDayGraceMinutes": 481}), 422, "firstDayGraceMinutes")
    changed = api_of("admin").patch(f"/projects/{project}", json={"firstDayGraceMinutes": 45})
    assert changed.json()["data"]["firstDayGraceMinutes"] == 45
    api_of("admin").patch(f"/projects/{project}", json={"firstDayGraceMinutes": 60})


# 9 ------------------------------------------------------------------------------------------------------
def test_a_file_keeps_the_name_its_user_gave(api_of, hot_work, ids):
    receiver = api_of("receiver.downtown")
    permit = new_permit(receiver, hot_work, ids).json()["data"]
    data = photo("jpeg")
    ticket = receiver.post("/files/upload-url", json={"permitId": permit["id"], "fileName": "../Schweißnaht Ø 3.jpg",
                                                      "contentType": "image/jpeg", "size": len(data)}).json()["data"]
    assert ticket["key"].isascii()  # the storage key is sanitised, the name is not
    assert requests.put(ticket["url"], data=data, headers={"Content-Type": "image/jpeg"}, timeout=30).ok
    stored = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).json()["data"]
    assert stored["name"] == "Schweißnaht Ø 3.jpg"
    listed = receiver.get(f"/permits/{permit['id']}/files").json()["data"]
    assert [f["name"] for f in listed] == ["Schweißnaht Ø 3.jpg"]
    download = requests.get(stored["downloadUrl"], timeout=30)
    assert download.content == data
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''Schwei%C3%9Fnaht%20%C3%98%203.jpg" in disposition
    assert 'filename="Schwei_naht_3.jpg"' in disposition


# 10 -----------------------------------------------------------------------------------------------------
def test_a_removed_assignment_stops_counting_at_once(api_of, hot_work, ids):
    receiver, issuer, admin = api_of("receiver.downtown"), api_of("issuer.downtown"), api_of("admin")
    downtown, issuer_id = ids["projects"]["DOWNTOWN"], ids["users"]["issuer.downtown"]
    permit = new_permit(receiver, hot_work, ids).json()["data"]
    receiver.post(f"/permits/{permit['id']}/submit")
    assert issuer.get(f"/permits/{permit['id']}").status_code == 200  # the membership is cached now
    assert admin.delete(f"/projects/{downtown}/users/{issuer_id}").status_code in (200, 204)
    try:
        approval = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
        assert approval.status_code in (403, 404), approval.text
        assert receiver.get(f"/permits/{permit['id']}").json()["data"]["status"] == "SUBMITTED"
    finally:
        assert admin.post(f"/projects/{downtown}/users", json={"userId": issuer_id}).status_code in (200, 201)
    assert issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}).status_code == 200


def test_a_deactivated_project_takes_no_new_permit_at_once(api_of, hot_work, ids):
    receiver, admin = api_of("receiver.downtown"), api_of("admin")
    downtown = ids["projects"]["DOWNTOWN"]
    assert new_permit(receiver, hot_work, ids).status_code == 201  # the project is cached now
    assert admin.patch(f"/projects/{downtown}", json={"isActive": False}).status_code == 200
    try:
        assert "inactive" in refused(new_permit(receiver, hot_work, ids), 422, "projectId")
    finally:
        admin.patch(f"/projects/{downtown}", json={"isActive": True})
    assert new_permit(receiver, hot_work, ids).status_code == 201
