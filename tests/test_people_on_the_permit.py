"""People on the permit through the gateway (docs/domain.md, "Competencies" and "People on the permit"):
the competency register and the steps it gates; crew sign-on and sign-off, the confined-space roster, and
no close while anyone is signed on; shift handover; extensions within the type's cap, followed by the
daily cycle; the hot-work fire watch on the movable clock; the PDF read back; and the permission matrix of
every new endpoint, cross-project leaks included."""

import io
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
import requests

from devstack import matrix
from devstack.images import png_base64
from devstack.observe import wait_until
from devstack.samples import approved_sample

NY = ZoneInfo("America/New_York")  # the DOWNTOWN demo project's time zone
SIGNATURE = {"imageBase64": png_base64()}
ROLES = ["anonymous", "admin", "coordinator", "issuer.downtown", "receiver.downtown", "issuer.harbor",
         "receiver.both"]


def today():
    return datetime.now(NY).date()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def refused(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if code:
        assert error["code"] == code, error
    return error


def fields(error):
    return {d["field"] for d in error.get("details", [])}


@pytest.fixture
def people(api_of):
    return {role: api_of(role) for role in ROLES[1:] + ["receiver.harbor"]}


def day_after_tomorrow_at(hour, minute=0):
    day = (datetime.now(NY) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def confirm_day(people, permit):
    for role in ("receiver.downtown", "issuer.downtown", "coordinator"):
        answer = ok(people[role].post(f"/permits/{permit['id']}/daily-approve"))
    return answer


def active_hot_work(people, ids, clock, title="Weld brackets to C4"):
    start = day_after_tomorrow_at(7)
    clock(start)
    permit = approved_sample(people["receiver.downtown"], people["issuer.downtown"], people["coordinator"],
                             ids["projects"]["DOWNTOWN"], start, title)
    assert confirm_day(people, permit)["status"] == "ACTIVE"
    return permit


def worker(name, role="WORKER", **extra):
    return {"name": name, "company": "Acme Steel", "role": role, "acknowledged": True, "signature": SIGNATURE,
            **extra}


def on_permit(api, permit):
    return ok(api.get(f"/permits/{permit['id']}/people"))


def timeline(api, permit):
    return [e["action"] for e in ok(api.get(f"/permits/{permit['id']}/timeline"))]


def pdf_text(api, permit):
    link = ok(api.get(f"/permits/{permit['id']}/pdf"))
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(
        requests.get(link["url"], timeout=30).content)).pages)


# -- competencies --------------------------------------------------------------------------------------
def new_type(admin, name="Test competency"):
    key = f"T_{uuid.uuid4().hex[:12].upper()}"
    return ok(admin.post("/competency-types", json={"key": key, "name": name}), 201)["key"]


def grant(coordinator, user_id, key, *, valid_to=None, valid_from=None):
    now = today()
    return ok(coordinator.post("/competencies", json={
        "userId": user_id, "typeKey": key, "issuer": "Permitto Safety Academy", "number": f"N-{uuid.uuid4().hex[:6]}",
        "validFrom": (valid_from or now - timedelta(days=10)).isoformat(),
        "validTo": (valid_to or now + timedelta(days=365)).isoformat()}), 201)


def test_the_register_keeps_each_persons_certificates_with_their_evidence(people, ids):
    admin, coordinator, issuer = people["admin"], people["coordinator"], people["issuer.downtown"]
    key = new_type(admin, "Scaffold inspector")
    duplicate = admin.post("/competency-types", json={"key": key, "name": "Again"})
    assert "key" in fields(refused(duplicate, 409))
    assert coordinator.post("/competency-types", json={"key": "T_NOT_ADMIN", "name": "No"}).status_code == 403
    assert key in {t["key"] for t in ok(issuer.get("/competency-types"))}

    before = ok(coordinator.get("/competencies", params={"userId": ids["users"]["issuer.downtown"]}))
    bad = coordinator.post("/competencies", json={
        "userId": ids["users"]["issuer.downtown"], "typeKey": "T_NO_SUCH_KIND", "issuer": "Academy", "number": "1",
        "validFrom": "2026-06-01", "validTo": "2026-01-01"})
    assert fields(refused(bad, 422)) == {"typeKey", "validTo"}
    assert ok(coordinator.get("/competencies", params={"userId": ids["users"]["issuer.downtown"]})) == before

    # evidence: a scan goes straight to storage, is checked, and is handed out by short-lived link
    scan = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ticket = ok(coordinator.post("/competencies/evidence-upload", json={
        "userId": ids["users"]["issuer.downtown"], "contentType": "application/pdf", "size": len(scan)}), 201)
    assert requests.put(ticket["url"], data=scan, headers=ticket["headers"], timeout=30).status_code == 200
    held = ok(coordinator.post("/competencies", json={
        "userId": ids["users"]["issuer.downtown"], "typeKey": key, "issuer": "Scaffold Board", "number": "SI-7",
        "validFrom": (today() - timedelta(days=1)).isoformat(),
        "validTo": (today() + timedelta(days=12)).isoformat(), "evidenceKey": ticket["key"]}), 201)
    assert held["state"] == "VALID"
    assert held["hasEvidence"]
    # The register counts on the UTC date (a certificate is a person's, not one project's): from 19:00 to
    # midnight in New York that is already tomorrow there.
    assert held["daysLeft"] == (date.fromisoformat(held["validTo"]) - datetime.now(UTC).date()).days
    link = ok(issuer.get(f"/competencies/{held['id']}/evidence"))
    assert requests.get(link["url"], timeout=30).content == scan

    fake = ok(coordinator.post("/competencies/evidence-upload", json={
        "userId": ids["users"]["issuer.downtown"], "contentType": "image/png", "size": 11}), 201)
    requests.put(fake["url"], data=b"not a scan!", headers=fake["headers"], timeout=30)
    posing = coordinator.post("/competencies", json={
        "userId": ids["users"]["issuer.downtown"], "typeKey": key, "issuer": "Scaffold Board", "number": "SI-8",
        "validFrom": "2026-01-01", "validTo": "2027-01-01", "evidenceKey": fake["key"]})
    assert "evidenceKey" in fields(refused(posing, 422))

    mine = ok(issuer.get("/competencies"))
    assert held["id"] in {c["id"] for c in mine}
    assert people["receiver.downtown"].get("/competencies",
                                           params={"userId": ids["users"]["issuer.downtown"]}).status_code == 404
    assert people["receiver.downtown"].get(f"/competencies/{held['id']}/evidence").status_code == 404
    soon = ok(coordinator.get("/competencies/expiring", params={"days": 30}))
    assert held["id"] in {c["id"] for c in soon}
    assert [c["validTo"] for c in soon] == sorted(c["validTo"] for c in soon)
    assert issuer.get("/competencies/expiring").status_code == 403

    revoked = ok(coordinator.post(f"/competencies/{held['id']}/revoke", json={"reason": "Failed the re-assessment"}))
    assert revoked["state"] == "REVOKED"
    assert held["id"] not in {c["id"] for c in ok(coordinator.get("/competencies/expiring"))}


def test_a_competency_running_out_is_told_to_its_holder_once(people, ids):
    coordinator, receiver = people["coordinator"], people["receiver.harbor"]
    key = new_type(people["admin"], "Banksman")
    grant(coordinator, ids["users"]["receiver.harbor"], key, valid_to=today() + timedelta(days=20))

    def notices():
        return [n for n in ok(receiver.get("/notifications", params={"limit": 100}))
                if n["type"] == "COMPETENCY_EXPIRING" and "Banksman" in n["title"]]

    found = wait_until(notices, timeout=30)
    assert len(found) == 1
    assert found[0]["permitId"] is None
    assert found[0]["link"].endswith("/competencies")
    time.sleep(4)  # a sweep runs every 3 s on the test stack: a later one tells nobody again
    assert len(notices()) == 1


@pytest.fixture
def demanding(people, ids):
    """A confined-space template whose version demands a competency of every party, and grants helper."""
    admin, coordinator = people["admin"], people["coordinator"]
    keys = {party: new_type(admin, f"Test {party}") for party in
            ("issuer", "coordinator", "receiver", "gasTester", "entrant", "attendant")}
    template = ok(coordinator.post("/templates", json={
        "type": "CSE", "name": "Confined Space Entry with competencies", "schema": {
            "sections": [{"key": "job", "title": "Job", "fields": [
                {"key": "location", "type": "text", "label": "Location", "required": True}]}],
            "competencies": keys,
            "gasTests": {"gases": [{"key": "o2", "name": "Oxygen", "kind": "oxygen", "unit": "%", "min": 19.5,
                                    "max": 23.5, "initialTest": False}]}}}), 201)
    ok(coordinator.post(f"/templates/{template['id']}/publish"))
    yield template, keys
    ok(coordinator.patch(f"/templates/{template['id']}", json={"isActive": False}))


def demanding_permit(people, ids, template, area, start):
    return ok(people["receiver.downtown"].post("/permits", json={
        "templateId": template["id"], "projectId": ids["projects"]["DOWNTOWN"], "title": "Enter sump S-3",
        "validFrom": (start - timedelta(hours=1)).isoformat(), "validTo": (start + timedelta(days=2)).isoformat(),
        "workAreaId": area(), "formData": {"location": "Sump S-3"}}), 201)


def test_each_party_acts_only_with_a_valid_competency(people, ids, demanding, area, clock):
    template, keys = demanding
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    start = day_after_tomorrow_at(7)
    clock(start)
    permit = demanding_permit(people, ids, template, area, start)

    missing = refused(receiver.post(f"/permits/{permit['id']}/submit"), 409, "NOT_COMPETENT")
    assert "needs a valid 'Test receiver' competency" in missing["message"]
    assert ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "DRAFT"
    expired = grant(coordinator, ids["users"]["receiver.downtown"], keys["receiver"],
                    valid_from=today() - timedelta(days=400), valid_to=today() - timedelta(days=1))
    assert expired["state"] == "EXPIRED"
    refused(receiver.post(f"/permits/{permit['id']}/submit"), 409, "NOT_COMPETENT")
    receiving = grant(coordinator, ids["users"]["receiver.downtown"], keys["receiver"])
    ok(receiver.post(f"/permits/{permit['id']}/submit"))

    refused(issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}), 409, "NOT_COMPETENT")
    assert ok(issuer.get(f"/permits/{permit['id']}"))["signatures"] == []  # a refused approval leaves nothing
    # valid today, but not on the service's (moved) date: the clock decides, as the sweeps' does
    grant(coordinator, ids["users"]["issuer.downtown"], keys["issuer"], valid_to=today() + timedelta(days=1))
    refused(issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}), 409, "NOT_COMPETENT")
    grant(coordinator, ids["users"]["issuer.downtown"], keys["issuer"])
    ok(issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}))
    refused(coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}), 409,
            "NOT_COMPETENT")
    grant(coordinator, ids["users"]["coordinator"], keys["coordinator"])
    assert ok(coordinator.post(f"/permits/{permit['id']}/approve",
                               json={"signature": SIGNATURE}))["status"] == "PENDING_DAILY"

    # the daily confirmation: a revoked certificate stops the receiver's tap, and it is not offered
    ok(coordinator.post(f"/competencies/{receiving['id']}/revoke", json={"reason": "Suspended pending retraining"}))
    refused(receiver.post(f"/permits/{permit['id']}/daily-approve"), 409, "NOT_COMPETENT")
    assert "daily-approve" not in ok(receiver.get(f"/permits/{permit['id']}"))["allowedActions"]
    grant(coordinator, ids["users"]["receiver.downtown"], keys["receiver"])
    assert "daily-approve" in ok(receiver.get(f"/permits/{permit['id']}"))["allowedActions"]

    reading = {"instrumentId": "GD-9", "calibrationDue": (today() + timedelta(days=60)).isoformat(),
               "values": [{"gas": "o2", "value": 20.9}]}
    refused(issuer.post(f"/permits/{permit['id']}/gas-readings", json=reading), 409, "NOT_COMPETENT")
    grant(coordinator, ids["users"]["issuer.downtown"], keys["gasTester"])
    ok(issuer.post(f"/permits/{permit['id']}/gas-readings", json=reading), 201)

    # entrants and attendants need not be users: their certificate's number and expiry are given
    bare = refused(receiver.post(f"/permits/{permit['id']}/crew", json=worker("Ana Entrant", "ENTRANT")), 422)
    assert fields(bare) == {"crew.competencyRef", "crew.competencyValidTo"}
    lapsed = receiver.post(f"/permits/{permit['id']}/crew", json=worker(
        "Ana Entrant", "ENTRANT", competencyRef="CSE-1",
        competencyValidTo=(today() - timedelta(days=3)).isoformat()))
    assert "ran out" in refused(lapsed, 422)["details"][0]["message"]
    assert on_permit(receiver, permit)["crew"] == []
    signed = ok(receiver.post(f"/permits/{permit['id']}/crew", json=worker(
        "Ana Entrant", "ENTRANT", competencyRef="CSE-1",
        competencyValidTo=(today() + timedelta(days=90)).isoformat())), 201)
    assert signed["onPermit"] == 1


def test_crew_sign_on_roster_and_no_close_while_anyone_is_on(people, ids, demanding, area, clock):
    template, keys = demanding
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    for who, party in (("receiver.downtown", "receiver"), ("issuer.downtown", "issuer"),
                       ("coordinator", "coordinator")):
        grant(coordinator, ids["users"][who], keys[party])
    start = day_after_tomorrow_at(7)
    clock(start)
    permit = demanding_permit(people, ids, template, area, start)
    for api, verb, body in ((receiver, "submit", None), (issuer, "approve", {"signature": SIGNATURE}),
                            (coordinator, "approve", {"signature": SIGNATURE})):
        ok(api.post(f"/permits/{permit['id']}/{verb}", json=body))
    valid = (today() + timedelta(days=90)).isoformat()
    entrant = worker("Ben Entrant", "ENTRANT", competencyRef="CSE-2", competencyValidTo=valid)
    ok(receiver.post(f"/permits/{permit['id']}/crew", json=entrant), 201)
    again = receiver.post(f"/permits/{permit['id']}/crew", json={**entrant, "name": "ben entrant"})
    assert "name" in fields(refused(again, 409, "ALREADY_SIGNED_ON"))
    assert people["receiver.both"].post(f"/permits/{permit['id']}/crew", json=worker("X Y")).status_code == 404
    assert people["issuer.harbor"].get(f"/permits/{permit['id']}/people").status_code == 404
    unacknowledged = receiver.post(f"/permits/{permit['id']}/crew", json={**worker("Cy Worker"), "acknowledged": False})
    assert "acknowledged" in fields(refused(unacknowledged, 422))
    hot = receiver.post(f"/permits/{permit['id']}/crew", json=worker("Cy Worker", "ENTRANT"))
    assert "crew.competencyRef" in fields(refused(hot, 422))

    ben = on_permit(receiver, permit)["crew"][0]
    member = f"/permits/{permit['id']}/crew/{ben['id']}"
    refused(receiver.post(member + "/enter"), 409, "INVALID_STATE")  # not ACTIVE yet
    assert confirm_day(people, permit)["status"] == "ACTIVE"
    refused(receiver.post(member + "/enter"), 409, "NO_ATTENDANT")
    ok(issuer.post(f"/permits/{permit['id']}/crew", json=worker(
        "Carl Attendant", "ATTENDANT", competencyRef="ATT-1", competencyValidTo=valid)), 201)
    inside = ok(receiver.post(member + "/enter"))
    assert inside["inside"] == 1
    assert inside["onPermit"] == 2
    refused(receiver.post(member + "/sign-off"), 409, "STILL_INSIDE")
    out = ok(receiver.post(member + "/exit"))
    assert out["inside"] == 0
    entries = out["crew"][0]["entries"]
    assert len(entries) == 1
    assert entries[0]["exitedAt"] is not None

    ok(receiver.post(f"/permits/{permit['id']}/request-closeout", json={"reason": "Sump inspected"}))
    held = refused(coordinator.post(f"/permits/{permit['id']}/close",
                                    json={"completionNotes": "Inspection done", "signature": SIGNATURE}), 409,
                   "CREW_STILL_SIGNED_ON")
    assert [d["message"] for d in held["details"]] == ["Ben Entrant is still signed on",
                                                       "Carl Attendant is still signed on"]
    for m in on_permit(receiver, permit)["crew"]:
        ok(receiver.post(f"/permits/{permit['id']}/crew/{m['id']}/sign-off"))
    ok(coordinator.post(f"/permits/{permit['id']}/close",
                        json={"completionNotes": "Inspection done", "signature": SIGNATURE}))
    steps = timeline(receiver, permit)
    for action in ("crew_sign_on", "crew_entry", "crew_exit", "crew_sign_off", "close"):
        assert action in steps, action
    text = pdf_text(coordinator, permit)
    for expected in ("Crew", "Ben Entrant", "Carl Attendant", "CSE-2", "entrant", "in "):
        assert expected in text, expected


def test_the_work_day_ends_with_a_warning_when_someone_is_still_signed_on(people, ids, clock, mailbox):
    receiver = people["receiver.downtown"]
    permit = active_hot_work(people, ids, clock, title="Cut openings in deck 3")
    ok(receiver.post(f"/permits/{permit['id']}/crew", json=worker("Dee Welder")), 201)
    clock(day_after_tomorrow_at(17, 5))  # past the work day's end (17:00)
    assert wait_until(lambda: ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "PENDING_DAILY", timeout=30)
    warned = wait_until(lambda: [n for n in ok(receiver.get("/notifications", params={"limit": 50}))
                                 if n["type"] == "CREW_STILL_SIGNED_ON" and n["permitId"] == permit["id"]],
                        timeout=30)
    assert warned, "the holder is warned that the day ended with a worker signed on"
    assert "Dee Welder" in warned[0]["body"]


def test_a_handover_needs_both_holders_signatures_and_the_issuers_acknowledgement(people, ids, clock):
    receiver, issuer, other = people["receiver.downtown"], people["issuer.downtown"], people["receiver.both"]
    permit = active_hot_work(people, ids, clock, title="Grind rails on level 4")
    base = f"/permits/{permit['id']}/handovers"
    cannot = refused(other.post(base, json={"toUserId": ids["users"]["receiver.both"], "note": "Shift change",
                                            "signature": SIGNATURE}), 404)  # not theirs: it does not exist
    assert cannot["code"] == "NOT_FOUND"
    wrong = receiver.post(base, json={"toUserId": ids["users"]["receiver.harbor"], "note": "Shift change",
                                      "signature": SIGNATURE})
    assert "toUserId" in fields(refused(wrong, 422))  # not a receiver of the permit's project
    assert "toUserId" in fields(refused(receiver.post(base, json={
        "toUserId": ids["users"]["issuer.downtown"], "note": "Shift change", "signature": SIGNATURE}), 422))

    asked = ok(receiver.post(base, json={"toUserId": ids["users"]["receiver.both"],
                                         "note": "Two brackets left; grinder guard replaced", "signature": SIGNATURE}),
               201)
    handover = asked["handovers"][0]
    assert handover["status"] == "REQUESTED"
    assert handover["snapshot"]["isolations"] == []
    refused(receiver.post(base, json={"toUserId": ids["users"]["receiver.both"], "note": "Again",
                                      "signature": SIGNATURE}), 409, "HANDOVER_OPEN")
    # the incoming holder sees the permit now, and is told
    assert ok(other.get(f"/permits/{permit['id']}"))["id"] == permit["id"]
    assert wait_until(lambda: [n for n in ok(other.get("/notifications", params={"limit": 50}))
                               if n["type"] == "HANDOVER_REQUESTED" and n["permitId"] == permit["id"]], timeout=30)
    step = f"{base}/{handover['id']}"
    refused(issuer.post(step + "/acknowledge"), 409, "INVALID_STATE")  # the incoming holder accepts first
    assert receiver.post(step + "/accept", json={"signature": SIGNATURE}).status_code == 403
    assert issuer.post(step + "/cancel").status_code == 403  # only the outgoing or the incoming holder
    ok(other.post(step + "/accept", json={"signature": SIGNATURE}))
    assert people["issuer.harbor"].post(step + "/acknowledge").status_code == 404
    assert people["coordinator"].post(step + "/acknowledge").status_code == 403
    done = ok(issuer.post(step + "/acknowledge"))
    assert done["handovers"][0]["status"] == "DONE"
    assert done["holder"]["id"] == ids["users"]["receiver.both"]

    # the new holder owns every rule now: close-out is theirs, not the old holder's
    assert receiver.post(f"/permits/{permit['id']}/request-closeout", json={}).status_code == 403
    assert "request-closeout" in ok(other.get(f"/permits/{permit['id']}"))["allowedActions"]
    assert ok(receiver.get(f"/permits/{permit['id']}"))["id"] == permit["id"]  # the old holder still reads it
    assert [s for s in timeline(issuer, permit) if s.startswith("hand")] == [
        "handover_requested", "handover_accepted", "handed_over"]
    text = pdf_text(issuer, permit)
    assert "Handovers" in text
    assert "grinder guard replaced" in text


def test_an_extension_is_approved_by_issuer_then_coordinator_within_the_cap(people, ids, clock):
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    permit = active_hot_work(people, ids, clock, title="Weld handrails on level 9")
    base = f"/permits/{permit['id']}/extensions"
    valid_from = datetime.fromisoformat(permit["validFrom"])
    too_far = receiver.post(base, json={"validTo": (valid_from + timedelta(days=7, hours=1)).isoformat(),
                                        "reason": "The steel arrives late"})
    error = refused(too_far, 422)
    assert "validTo" in fields(error)
    assert "at most 7 days in all" in error["details"][0]["message"]
    earlier = receiver.post(base, json={"validTo": permit["validFrom"], "reason": "The steel arrives late"})
    assert "validTo" in fields(refused(earlier, 422))
    assert issuer.post(base, json={"validTo": (valid_from + timedelta(days=4)).isoformat(),
                                   "reason": "Not mine"}).status_code == 403

    new_end = valid_from + timedelta(days=4)
    asked = ok(receiver.post(base, json={"validTo": new_end.isoformat(), "reason": "The steel arrives late"}), 201)
    extension = asked["extensions"][0]
    assert datetime.fromisoformat(asked["maxValidTo"]) == valid_from + timedelta(days=7)
    step = f"{base}/{extension['id']}"
    refused(coordinator.post(step + "/approve"), 409, "OUT_OF_ORDER")  # an issuer first
    assert people["issuer.harbor"].post(step + "/approve").status_code == 404
    ok(issuer.post(step + "/approve"))
    approved = ok(coordinator.post(step + "/approve"))
    assert approved["extensions"][0]["status"] == "APPROVED"
    extended = ok(receiver.get(f"/permits/{permit['id']}"))
    assert datetime.fromisoformat(extended["validTo"]) == new_end
    assert extended["expiryWarnedAt"] is None  # the warning follows the new end

    # the daily cycle follows the new end: on the day after the old end, a work day opens instead of expiry
    old_end = datetime.fromisoformat(permit["validTo"])
    clock((old_end + timedelta(days=1)).astimezone(NY).replace(hour=7, minute=10))
    assert wait_until(lambda: ok(receiver.get(f"/permits/{permit['id']}"))["status"] in (
        "PENDING_DAILY", "SUSPENDED"), timeout=30)
    days = ok(receiver.get(f"/permits/{permit['id']}/days"))
    assert days[-1]["workDate"] == (old_end + timedelta(days=1)).astimezone(NY).date().isoformat()

    second = ok(receiver.post(base, json={"validTo": (new_end + timedelta(days=1)).isoformat(),
                                          "reason": "Rain delay"}), 201)["extensions"][-1]
    refusal = ok(issuer.post(f"{base}/{second['id']}/refuse", json={"reason": "Re-plan with a new permit"}))
    assert refusal["extensions"][-1]["status"] == "REFUSED"
    assert datetime.fromisoformat(ok(receiver.get(f"/permits/{permit['id']}"))["validTo"]) == new_end
    # and the expiry warning is given for the new end, a day before it
    clock(new_end - timedelta(hours=23))
    assert wait_until(lambda: ok(receiver.get(f"/permits/{permit['id']}"))["expiryWarnedAt"], timeout=30)
    text = pdf_text(coordinator, permit)
    assert "Extensions" in text
    assert "The steel arrives late" in text
    assert "Re-plan" in text


def test_hot_work_closes_only_after_the_fire_watch_ran_its_time_and_signed_clear(people, ids, clock):
    receiver, coordinator = people["receiver.downtown"], people["coordinator"]
    permit = active_hot_work(people, ids, clock, title="Weld tank bracket")
    unnamed = refused(receiver.post(f"/permits/{permit['id']}/request-closeout", json={}), 422)
    assert fields(unnamed) == {"fireWatch"}
    assert ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "ACTIVE"
    stopped_at = day_after_tomorrow_at(11)
    clock(stopped_at)
    asked = ok(receiver.post(f"/permits/{permit['id']}/request-closeout", json={
        "reason": "Bracket welded", "fireWatch": {"name": "Fred Watch", "company": "Acme Steel"}}))
    assert asked["status"] == "PENDING_CLOSEOUT"
    watch = on_permit(receiver, permit)["fireWatch"]
    assert watch["minutes"] == 60
    assert watch["watcherName"] == "Fred Watch (Acme Steel)"
    assert datetime.fromisoformat(watch["endsAt"]) - datetime.fromisoformat(watch["startedAt"]) == timedelta(hours=1)

    close = {"completionNotes": "Bracket welded and inspected", "signature": SIGNATURE}
    early = refused(coordinator.post(f"/permits/{permit['id']}/close", json=close), 409, "FIRE_WATCH_NOT_DONE")
    assert "the fire watch runs until" in early["message"]
    clear = {"signature": SIGNATURE, "note": "No smoke, no hot spots; area cool"}
    refused(receiver.post(f"/permits/{permit['id']}/fire-watch/clear", json=clear), 409, "FIRE_WATCH_RUNNING")
    clock(stopped_at + timedelta(minutes=61))
    refused(coordinator.post(f"/permits/{permit['id']}/close", json=close), 409, "FIRE_WATCH_NOT_DONE")
    assert people["receiver.both"].post(f"/permits/{permit['id']}/fire-watch/clear", json=clear).status_code == 404
    cleared = ok(receiver.post(f"/permits/{permit['id']}/fire-watch/clear", json=clear))
    assert cleared["fireWatch"]["clearedAt"] is not None
    assert ok(coordinator.post(f"/permits/{permit['id']}/close", json=close))["status"] == "CLOSED"
    text = pdf_text(coordinator, permit)
    assert "Fire watch" in text
    assert "Fred Watch (Acme Steel)" in text
    assert "60 minutes" in text
    assert "area cool" in text


def test_expired_hot_work_waits_for_a_fire_watch_to_be_named(people, ids, clock):
    receiver, coordinator = people["receiver.downtown"], people["coordinator"]
    permit = active_hot_work(people, ids, clock, title="Torch-on roofing, block C")
    ended = datetime.fromisoformat(permit["validTo"])
    clock(ended + timedelta(minutes=5))
    assert wait_until(lambda: ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "PENDING_CLOSEOUT",
                      timeout=30)
    watch = on_permit(receiver, permit)["fireWatch"]
    assert watch["startedAt"] is None
    close = {"completionNotes": "Roof sealed and checked", "signature": SIGNATURE}
    unnamed = refused(coordinator.post(f"/permits/{permit['id']}/close", json=close), 409, "FIRE_WATCH_NOT_DONE")
    assert "no fire watch is named yet" in unnamed["message"]
    named = ok(receiver.post(f"/permits/{permit['id']}/fire-watch", json={"name": "Gus Watch", "company": "Roofers"}))
    assert named["fireWatch"]["watcherName"] == "Gus Watch (Roofers)"
    refused(receiver.post(f"/permits/{permit['id']}/fire-watch", json={"name": "Other", "company": "Roofers"}), 409,
            "ALREADY_NAMED")
    clock(ended + timedelta(minutes=66))
    ok(coordinator.post(f"/permits/{permit['id']}/fire-watch/clear",
                        json={"signature": SIGNATURE, "note": "Roof cool to the touch"}))
    assert ok(coordinator.post(f"/permits/{permit['id']}/close", json=close))["status"] == "CLOSED"


def test_a_template_cannot_keep_a_fire_watch_under_30_minutes(people):
    answer = people["coordinator"].post("/templates", json={"type": "HW", "name": "Hot Work (short watch)", "schema": {
        "sections": [{"key": "job", "title": "Job", "fields": [{"key": "x", "type": "text", "label": "X"}]}],
        "hotWork": {"fireWatchMinutes": 20}}})
    assert "schema.hotWork.fireWatchMinutes" in fields(refused(answer, 422))


# -- the permission matrix ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(gateway, tokens, ids):
    """An approved hot-work permit of receiver.downtown (its days ahead), made once for the matrix."""
    people = matrix.signed_in(gateway, tokens, ROLES, "10.253.0")
    start = datetime.now(NY) + timedelta(days=5)
    permit = approved_sample(people["receiver.downtown"], people["issuer.downtown"], people["coordinator"],
                             ids["projects"]["DOWNTOWN"], start, "Matrix hot work")
    admin = people["admin"]
    key = new_type(admin, "Matrix competency")
    held = grant(people["coordinator"], ids["users"]["issuer.downtown"], key)
    yield {"people": people, "permit": permit, "key": key, "held": held}
    for api in people.values():
        api.session.close()


def _path(world, rest=""):
    return f"/permits/{world['permit']['id']}{rest}"


def _crew_member(world):
    answer = ok(world["people"]["coordinator"].post(_path(world, "/crew"), json=worker(f"W {uuid.uuid4().hex[:6]}")),
                201)
    return next(m for m in answer["crew"] if m["onPermit"])


def _extension(world):
    permit, receiver = world["permit"], world["people"]["receiver.downtown"]
    for e in on_permit(receiver, permit)["extensions"]:
        if e["status"] in ("REQUESTED", "ISSUER_APPROVED"):
            ok(receiver.post(_path(world, f"/extensions/{e['id']}/withdraw")))
    end = datetime.fromisoformat(permit["validTo"]) + timedelta(hours=1)
    return ok(receiver.post(_path(world, "/extensions"), json={"validTo": end.isoformat(),
                                                               "reason": "Matrix request"}), 201)["extensions"][-1]


def case_types(world, ids):
    return "GET", "/competency-types", None


def case_create_type(world, ids):
    return "POST", "/competency-types", {"key": f"M_{uuid.uuid4().hex[:10].upper()}", "name": "Matrix kind"}


def case_list_own(world, ids):
    return "GET", "/competencies", None


def case_list_other(world, ids):
    return "GET", f"/competencies?userId={ids['users']['issuer.downtown']}", None


def case_expiring(world, ids):
    return "GET", "/competencies/expiring", None


def case_record(world, ids):
    return "POST", "/competencies", {"userId": ids["users"]["receiver.both"], "typeKey": world["key"],
                                     "issuer": "Academy", "number": "M-1", "validFrom": "2026-01-01",
                                     "validTo": "2030-01-01"}


def case_evidence_upload(world, ids):
    return "POST", "/competencies/evidence-upload", {"userId": ids["users"]["receiver.both"],
                                                     "contentType": "application/pdf", "size": 100}


def case_evidence(world, ids):
    return "GET", f"/competencies/{world['held']['id']}/evidence", None  # no evidence on file: 404 for all who see it


def case_revoke(world, ids):
    held = grant(world["people"]["coordinator"], ids["users"]["issuer.downtown"], world["key"])
    return "POST", f"/competencies/{held['id']}/revoke", {"reason": "Matrix revocation"}


def case_people(world, ids):
    return "GET", _path(world, "/people"), None


def case_sign_on(world, ids):
    return "POST", _path(world, "/crew"), worker(f"M {uuid.uuid4().hex[:6]}")


def case_sign_off(world, ids):
    return "POST", _path(world, f"/crew/{_crew_member(world)['id']}/sign-off"), {}


def case_enter(world, ids):
    # a hot-work permit has no entrants: who may record entries gets 409, who may not 403 / 404
    return "POST", _path(world, f"/crew/{_crew_member(world)['id']}/enter"), {}


def case_exit(world, ids):
    return "POST", _path(world, f"/crew/{_crew_member(world)['id']}/exit"), {}


def case_handover(world, ids):
    # an approved permit is not handed over before its work starts: the holder gets 409, others 403 / 404
    return "POST", _path(world, "/handovers"), {"toUserId": ids["users"]["receiver.both"], "note": "Shift change",
                                                "signature": SIGNATURE}


def case_handover_step(world, ids):
    return "POST", _path(world, f"/handovers/{uuid.uuid4()}/accept"), {"signature": SIGNATURE}


def case_handover_acknowledge(world, ids):
    return "POST", _path(world, f"/handovers/{uuid.uuid4()}/acknowledge"), {}


def case_handover_cancel(world, ids):
    return "POST", _path(world, f"/handovers/{uuid.uuid4()}/cancel"), {}


def case_extension(world, ids):
    receiver = world["people"]["receiver.downtown"]
    for e in on_permit(receiver, world["permit"])["extensions"]:
        if e["status"] in ("REQUESTED", "ISSUER_APPROVED"):
            ok(receiver.post(_path(world, f"/extensions/{e['id']}/withdraw")))
    end = datetime.fromisoformat(world["permit"]["validTo"]) + timedelta(hours=2)
    return "POST", _path(world, "/extensions"), {"validTo": end.isoformat(), "reason": "Matrix request"}


def case_extension_approve(world, ids):
    return "POST", _path(world, f"/extensions/{_extension(world)['id']}/approve"), {}


def case_extension_refuse(world, ids):
    return "POST", _path(world, f"/extensions/{_extension(world)['id']}/refuse"), {"reason": "Matrix refusal"}


def case_extension_withdraw(world, ids):
    return "POST", _path(world, f"/extensions/{_extension(world)['id']}/withdraw"), {}


def case_fire_watch(world, ids):
    # the work has not stopped: nobody has a fire watch to name yet (404 to all who may see the permit)
    return "POST", _path(world, "/fire-watch"), {"name": "Fred Watch", "company": "Acme Steel"}


def case_fire_watch_clear(world, ids):
    return "POST", _path(world, "/fire-watch/clear"), {"signature": SIGNATURE, "note": "Area checked and cool"}


#         anonymous admin coord issuer.dt receiver.dt issuer.harbor receiver.both
MATRIX = [
    (case_types, [401, 200, 200, 200, 200, 200, 200]),
    (case_create_type, [401, 201, 403, 403, 403, 403, 403]),
    (case_list_own, [401, 200, 200, 200, 200, 200, 200]),
    (case_list_other, [401, 200, 200, 200, 404, 404, 404]),
    (case_expiring, [401, 200, 200, 403, 403, 403, 403]),
    (case_record, [401, 201, 201, 403, 403, 403, 403]),
    (case_evidence_upload, [401, 201, 201, 403, 403, 403, 403]),
    (case_evidence, [401, 404, 404, 404, 404, 404, 404]),
    (case_revoke, [401, 200, 200, 403, 403, 403, 403]),
    (case_people, [401, 200, 200, 200, 200, 404, 404]),
    (case_sign_on, [401, 403, 201, 201, 201, 404, 404]),
    (case_sign_off, [401, 403, 200, 200, 200, 404, 404]),
    (case_enter, [401, 403, 409, 409, 409, 404, 404]),
    (case_exit, [401, 403, 409, 409, 409, 404, 404]),
    (case_handover, [401, 403, 403, 403, 409, 404, 404]),
    (case_handover_step, [401, 404, 404, 404, 404, 404, 404]),
    (case_handover_acknowledge, [401, 404, 404, 404, 404, 404, 404]),
    (case_handover_cancel, [401, 404, 404, 404, 404, 404, 404]),
    (case_extension, [401, 403, 403, 403, 201, 404, 404]),
    (case_extension_approve, [401, 403, 409, 200, 403, 404, 404]),
    (case_extension_refuse, [401, 403, 200, 200, 403, 404, 404]),
    (case_extension_withdraw, [401, 403, 403, 403, 200, 404, 404]),
    (case_fire_watch, [401, 403, 404, 404, 404, 404, 404]),
    (case_fire_watch_clear, [401, 403, 404, 404, 404, 404, 404]),
]


@pytest.mark.parametrize(("make", "expected"), matrix.cases(MATRIX, ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(make, expected, role, world, ids, new_api):
    case = make(world, ids)
    api = new_api() if role == "anonymous" else world["people"][role]
    matrix.check(api, role, case, expected)


def test_the_demo_people_hold_competencies(people, ids):
    mine = ok(people["issuer.downtown"].get("/competencies"))
    assert {"AUTH_ISSUER_HW", "GAS_TESTER"} <= {c["type"]["key"] for c in mine}
    soon = ok(people["coordinator"].get("/competencies/expiring"))
    assert any(c["type"]["key"] == "FIRE_WATCH" and c["userId"] == ids["users"]["receiver.downtown"] for c in soon)
