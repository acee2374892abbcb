"""Isolations (lockout / tagout) and gas testing through the gateway (docs/domain.md, "Isolations" and
"Gas testing"): work starts only with every point isolated and verified by another person and the air
tested safe; a failing test stops work at once and tells everyone once; an overdue re-test stops it
within a minute even after the scheduler was down; points come off only when the work is over, and a
permit closes only when it holds none; the PDF carries both; and the permission matrix of every new
endpoint, cross-project leaks included."""

import io
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest

from devstack import matrix
from devstack.images import png_base64
from devstack.observe import emails_about, wait_until
from devstack.samples import approved_sample

NY = ZoneInfo("America/New_York")  # the DOWNTOWN demo project's time zone
SIGNATURE = {"imageBase64": png_base64()}
CALIBRATED = (datetime.now(NY).date() + timedelta(days=90)).isoformat()
SAFE = [{"gas": "o2", "value": 20.9}, {"gas": "lel", "value": 0}, {"gas": "h2s", "value": 0},
        {"gas": "co", "value": 3}]
LOW_OXYGEN = [{"gas": "o2", "value": 18.2}, {"gas": "lel", "value": 0}, {"gas": "h2s", "value": 0},
              {"gas": "co", "value": 3}]


@pytest.fixture
def people(api_of):
    return {role: api_of(role) for role in ("receiver.downtown", "issuer.downtown", "coordinator", "admin",
                                            "issuer.harbor", "receiver.both")}


def day_after_tomorrow_at(hour, minute=0):
    day = (datetime.now(NY) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def new_point(api, ids, energy="ELECTRICAL", project="DOWNTOWN"):
    return ok(api.post("/isolation-points", json={
        "projectId": ids["projects"][project], "tag": f"T-{uuid.uuid4().hex[:8].upper()}",
        "description": "Pump P-7 motor breaker", "equipment": "P-7, MCC-1 bucket 3", "energyType": energy,
        "method": "Open the breaker, lock and tag it", "verification": "Try to start at the local station"}), 201)


def confined_space(people, ids, start, title="Inspect tank T-7"):
    return approved_sample(people["receiver.downtown"], people["issuer.downtown"], people["coordinator"],
                           ids["projects"]["DOWNTOWN"], start, title, kind="CSE")


def reading(api, permit, values=SAFE, calibration_due=CALIBRATED):
    return api.post(f"/permits/{permit['id']}/gas-readings", json={
        "instrumentId": "GD-0042", "calibrationDue": calibration_due, "location": "Manway, 1 m down",
        "values": values})


def certificate_for(people, ids, permit, points=2):
    issuer, coordinator = people["issuer.downtown"], people["coordinator"]
    made = [new_point(issuer, ids) for _ in range(points)]
    cert = ok(issuer.post("/isolation-certificates", json={
        "projectId": ids["projects"]["DOWNTOWN"], "title": "Tank T-7 isolations",
        "pointIds": [p["id"] for p in made], "permitIds": [permit["id"]] if permit else []}), 201)
    cert = ok(coordinator.post(f"/isolation-certificates/{cert['id']}/approve"))
    return cert, made


def isolate_and_verify(people, cert, point, lock="L-1"):
    issuer, coordinator = people["issuer.downtown"], people["coordinator"]
    path = f"/isolation-certificates/{cert['id']}/points/{point['id']}"
    ok(issuer.post(path + "/isolate", json={"lockNumber": lock, "tagNumber": f"TAG-{lock}"}))
    return ok(coordinator.post(path + "/verify", json={"method": "Tried to start at the local station: dead"}))


def confirm_day(people, permit):
    for role in ("receiver.downtown", "issuer.downtown"):
        ok(people[role].post(f"/permits/{permit['id']}/daily-approve"))
    return people["coordinator"].post(f"/permits/{permit['id']}/daily-approve")


def active_confined_space(people, ids, clock, title="Inspect tank T-7"):
    start = day_after_tomorrow_at(6)
    clock(start)
    permit = confined_space(people, ids, start, title)
    cert, points = certificate_for(people, ids, permit)
    for n, point in enumerate(points):
        isolate_and_verify(people, cert, point, lock=f"L-{n + 1}")
    ok(reading(people["receiver.downtown"], permit), 201)
    assert ok(confirm_day(people, permit))["status"] == "ACTIVE"
    return permit, cert, points


def timeline(api, permit):
    return [e["action"] for e in api.get(f"/permits/{permit['id']}/timeline").json()["data"]]


def test_work_starts_only_when_points_are_isolated_verified_and_the_air_tested(people, ids, clock):
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    start = day_after_tomorrow_at(6)
    clock(start)
    permit = confined_space(people, ids, start)
    assert permit["status"] == "PENDING_DAILY"
    assert permit["isolationRequired"] is True
    assert [g["key"] for g in permit["gasTests"]["gases"]] == ["o2", "lel", "h2s", "co"]

    blocked = confirm_day(people, permit)  # no certificate, no gas test: the day's confirmation cannot start work
    assert blocked.status_code == 409, blocked.text
    error = blocked.json()["error"]
    assert error["code"] == "NOT_SAFE_TO_START"
    assert {d["field"] for d in error["details"]} == {"isolation", "gasTest"}
    assert ok(coordinator.get(f"/permits/{permit['id']}"))["status"] == "PENDING_DAILY"

    points = [new_point(issuer, ids), new_point(issuer, ids, "HYDRAULIC")]
    cert = ok(issuer.post("/isolation-certificates", json={
        "projectId": ids["projects"]["DOWNTOWN"], "title": "Tank T-7 isolations",
        "pointIds": [p["id"] for p in points], "permitIds": [permit["id"]]}), 201)
    assert cert["status"] == "PENDING_APPROVAL"
    own = issuer.post(f"/isolation-certificates/{cert['id']}/approve")
    assert own.status_code == 403  # who prepared it does not approve it
    early = issuer.post(f"/isolation-certificates/{cert['id']}/points/{points[0]['id']}/isolate",
                        json={"lockNumber": "L-1", "tagNumber": "TAG-1"})
    assert early.status_code == 409  # points are isolated under an approved certificate
    cert = ok(coordinator.post(f"/isolation-certificates/{cert['id']}/approve"))

    path = f"/isolation-certificates/{cert['id']}/points/{points[0]['id']}"
    ok(issuer.post(path + "/isolate", json={"lockNumber": "L-1", "tagNumber": "TAG-1"}))
    same = issuer.post(path + "/verify", json={"method": "Tried to start it myself"})
    assert same.status_code == 403
    assert "Separation of duties" in same.json()["error"]["message"]
    ok(coordinator.post(path + "/verify", json={"method": "Pressed start at the local station: nothing"}))
    blocked = coordinator.post(f"/permits/{permit['id']}/daily-approve")
    assert blocked.status_code == 409
    messages = [d["message"] for d in blocked.json()["error"]["details"]]
    assert f"{points[1]['tag']} is not isolated" in messages
    isolate_and_verify(people, cert, points[1], lock="L-2")

    blocked = coordinator.post(f"/permits/{permit['id']}/daily-approve")
    assert [d["field"] for d in blocked.json()["error"]["details"]] == ["gasTest"]  # isolations are done now

    expired = reading(receiver, permit, calibration_due=(start.date() - timedelta(days=1)).isoformat())
    assert expired.status_code == 422
    assert [d["field"] for d in expired.json()["error"]["details"]] == ["calibrationDue"]
    missing = receiver.post(f"/permits/{permit['id']}/gas-readings", json={
        "instrumentId": "GD-0042", "calibrationDue": CALIBRATED, "values": SAFE[:2]})
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["error"]["details"]} == {"values.h2s", "values.co"}
    assert ok(receiver.get(f"/permits/{permit['id']}/gas-readings")) == []  # a refused reading changes nothing

    failing = ok(reading(receiver, permit, LOW_OXYGEN), 201)
    assert failing["passed"] is False
    assert [v["pass"] for v in failing["values"]] == [False, True, True, True]
    assert coordinator.post(f"/permits/{permit['id']}/daily-approve").status_code == 409  # the last test failed
    passing = ok(reading(receiver, permit), 201)
    assert passing["passed"] is True
    assert passing["tester"]["name"]
    assert ok(coordinator.post(f"/permits/{permit['id']}/daily-approve"))["status"] == "ACTIVE"

    changed = ok(issuer.put(f"/isolation-certificates/{cert['id']}/points",
                            json={"pointIds": [points[0]["id"], points[1]["id"], new_point(issuer, ids)["id"]]}))
    assert changed["status"] == "PENDING_APPROVAL"  # a changed certificate goes back for approval
    dropped = issuer.put(f"/isolation-certificates/{cert['id']}/points", json={"pointIds": [points[1]["id"]]})
    assert dropped.status_code == 422  # an isolated point is removed before it leaves the certificate
    actions = timeline(receiver, permit)
    for action in ("isolation_certificate_linked", "isolation_certificate_approved", "point_isolated",
                   "point_verified", "gas_reading", "activate", "isolation_points_changed"):
        assert action in actions, action
    assert ok(receiver.get(f"/permits/{permit['id']}/audit/verify"))["valid"] is True


@pytest.fixture
def push_service():
    """A local server speaking the Web Push protocol's receiving side; what it got, decrypted later."""
    import threading

    from flask import Flask, request
    from werkzeug.serving import make_server

    from devstack.engines import free_port

    received = []
    service = Flask("push-service")

    @service.post("/push/<token>")
    def deliver(token):
        received.append(request.get_data())
        return "", 201

    server = make_server("127.0.0.1", free_port(), service, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/push/{uuid.uuid4().hex}", received
    server.shutdown()


def subscribe(api, endpoint):
    """A browser's push subscription: its P-256 key pair and auth secret; returns what decrypts a push."""
    import base64
    import os

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    key, secret = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    ok(api.post("/notifications/push-subscriptions", json={
        "endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(secret)}, "expirationTime": None}), 201)
    return key, secret


def test_a_failing_reading_stops_work_at_once_and_tells_everyone_once(people, ids, clock, system, push_service):
    import json

    import http_ece

    receiver, coordinator = people["receiver.downtown"], people["coordinator"]
    permit, _, _ = active_confined_space(people, ids, clock, title="Clean tank T-8")
    endpoint, pushed = push_service
    key, secret = subscribe(receiver, endpoint)
    ok(reading(receiver, permit, LOW_OXYGEN), 201)
    now = ok(receiver.get(f"/permits/{permit['id']}"))
    assert now["status"] == "SUSPENDED"
    assert now["suspensionKind"] == "GAS"
    assert "Oxygen 18.2 % vol" in now["suspensionReason"]

    def told():
        found = {}
        for role in ("receiver.downtown", "issuer.downtown", "coordinator"):
            rows = people[role].get("/notifications", params={"limit": 100}).json()["data"]
            found[role] = [n for n in rows if n["type"] == "PERMIT_SUSPENDED" and n["permitId"] == permit["id"]]
        return found if all(found.values()) else None

    found = wait_until(told, timeout=30)
    assert found, "everyone on the permit is told"
    time.sleep(2)
    found = told()
    assert all(len(rows) == 1 for rows in found.values()), found  # once each
    assert "Gas test failed" in found["receiver.downtown"][0]["body"]
    mails = wait_until(lambda: [m for m in emails_about(system.endpoints.mail_dir, now["number"])
                                if "suspended" in m[1]] or None, timeout=30)
    assert mails
    time.sleep(2)
    mails = [m for m in emails_about(system.endpoints.mail_dir, now["number"]) if "suspended" in m[1]]
    recipients = [m[0] for m in mails]
    assert {"receiver.downtown@permitto.example", "issuer.downtown@permitto.example",
            "coordinator@permitto.example"} <= set(recipients)
    assert len(recipients) == len(set(recipients)), recipients  # each person once

    def suspensions():
        messages = [json.loads(http_ece.decrypt(body, private_key=key, auth_secret=secret, version="aes128gcm"))
                    for body in pushed]
        return [m for m in messages if m["type"] == "PERMIT_SUSPENDED" and now["number"] in m["title"]] or None

    assert wait_until(suspensions, timeout=30), "the receiver's phone is told by Web Push"
    assert len(suspensions()) == 1

    refused = coordinator.post(f"/permits/{permit['id']}/reinstate", json={"reason": "Ventilated the tank"})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"][0]["field"] == "gasTest"
    ok(reading(receiver, permit), 201)
    back = ok(coordinator.post(f"/permits/{permit['id']}/reinstate", json={"reason": "Ventilated; retested safe"}))
    assert back["status"] == "ACTIVE"  # the day's confirmations stand: work resumes


def test_an_overdue_retest_suspends_within_a_minute_even_after_the_scheduler_was_down(people, ids, clock, system):
    receiver = people["receiver.downtown"]
    permit, _, _ = active_confined_space(people, ids, clock, title="Inspect tank T-9")
    readings = ok(receiver.get(f"/permits/{permit['id']}/gas-readings"))
    taken = datetime.fromisoformat(readings[-1]["takenAt"])
    system.stop_process("permits-scheduler")
    try:
        clock(taken + timedelta(minutes=121))  # the template re-tests every 120 minutes
        time.sleep(5)
        assert ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "ACTIVE"
    finally:
        system.restart_process("permits-scheduler")
    started = time.monotonic()
    assert wait_until(lambda: ok(receiver.get(f"/permits/{permit['id']}"))["status"] == "SUSPENDED", timeout=60)
    assert time.monotonic() - started < 60
    time.sleep(5)  # later sweeps do not suspend again
    now = ok(receiver.get(f"/permits/{permit['id']}"))
    assert now["suspensionKind"] == "RETEST"
    assert timeline(receiver, permit).count("retest_suspend") == 1


def test_points_come_off_only_when_the_work_is_over_and_a_permit_closes_holding_none(people, ids, clock):
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    permit, cert, points = active_confined_space(people, ids, clock, title="Repair agitator T-10")
    path = f"/isolation-certificates/{cert['id']}/points/{points[0]['id']}"
    in_use = issuer.post(path + "/deisolate")
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "POINT_IN_USE"
    with_lock = ok(receiver.post(path + "/locks", json={"workerName": "Ana Entrant", "lockNumber": "PL-7"}))
    lock = with_lock["points"][0]["locks"][0]
    assert lock["workerName"] == "Ana Entrant"
    assert lock["removedAt"] is None

    ok(receiver.post(f"/permits/{permit['id']}/request-closeout", json={"reason": "Agitator repaired"}))
    held = coordinator.post(f"/permits/{permit['id']}/close",
                            json={"completionNotes": "Work complete", "signature": SIGNATURE})
    assert held.status_code == 409
    assert held.json()["error"]["code"] == "POINTS_STILL_ISOLATED"
    locks_on = issuer.post(path + "/deisolate")
    assert locks_on.status_code == 409
    assert locks_on.json()["error"]["code"] == "LOCKS_ON"
    assert coordinator.post(path + f"/locks/{lock['id']}/remove").status_code == 200  # a coordinator, by procedure
    ok(issuer.post(path + "/deisolate"))

    # the other point is handed to a follow-on permit instead: it stays isolated, and this permit may close
    follow_on = confined_space(people, ids, day_after_tomorrow_at(6), title="Re-commission agitator T-10")
    ok(issuer.post(f"/isolation-certificates/{cert['id']}/permits", json={"permitId": follow_on["id"]}))
    closed = ok(coordinator.post(f"/permits/{permit['id']}/close",
                                 json={"completionNotes": "Work complete", "signature": SIGNATURE}))
    assert closed["status"] == "CLOSED"
    second = f"/isolation-certificates/{cert['id']}/points/{points[1]['id']}/deisolate"
    assert issuer.post(second).status_code == 409  # the follow-on permit still depends on it
    ok(coordinator.post(f"/permits/{follow_on['id']}/cancel", json={"reason": "Not needed after all"}))
    after = ok(issuer.post(second))
    assert [p["state"] for p in after["points"]] == ["REMOVED", "REMOVED"]

    link = ok(coordinator.get(f"/permits/{permit['id']}/pdf"))
    import requests

    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(
        requests.get(link["url"], timeout=30).content)).pages)
    for expected in ("Isolations (lockout / tagout)", points[0]["tag"], "L-1 / TAG-L-1", "Ana Entrant: PL-7",
                     "Chloé Coordinator", "Gas tests", "GD-0042", "Oxygen (% vol)"):
        assert expected in text, expected


# -- the permission matrix ---------------------------------------------------------------------------
ROLES = ["anonymous", "admin", "coordinator", "issuer.downtown", "receiver.downtown", "issuer.harbor",
         "receiver.both"]


@pytest.fixture(scope="module")
def world(gateway, tokens, ids):
    """An approved confined-space permit of receiver.downtown (its days still ahead) and library points."""
    people = matrix.signed_in(gateway, tokens, ROLES, "10.252.0")
    start = datetime.now(NY) + timedelta(days=5)
    permit = confined_space(people, ids, start, title="Matrix tank")
    yield {"people": people, "permit": permit}
    for api in people.values():
        api.session.close()


def _fresh_certificate(world, ids, *, preparer="issuer.downtown", linked=True, isolated=False, verified=False):
    people = {**world["people"]}
    issuer, coordinator = people["issuer.downtown"], people["coordinator"]
    point = new_point(issuer, ids)
    cert = ok(people[preparer].post("/isolation-certificates", json={
        "projectId": ids["projects"]["DOWNTOWN"], "title": "Matrix isolations", "pointIds": [point["id"]],
        "permitIds": [world["permit"]["id"]] if linked else []}), 201)
    if isolated:
        approver = coordinator if preparer != "coordinator" else issuer
        ok(approver.post(f"/isolation-certificates/{cert['id']}/approve"))
        ok(coordinator.post(f"/isolation-certificates/{cert['id']}/points/{point['id']}/isolate",
                            json={"lockNumber": "M-1", "tagNumber": "MT-1"}))
        if verified:
            ok(issuer.post(f"/isolation-certificates/{cert['id']}/points/{point['id']}/verify",
                           json={"method": "Tried and tested: dead"}))
    return cert, point


def case_list_points(world, ids):
    return "GET", f"/isolation-points?projectId={ids['projects']['DOWNTOWN']}", None


def case_create_point(world, ids):
    return "POST", "/isolation-points", {
        "projectId": ids["projects"]["DOWNTOWN"], "tag": f"X-{uuid.uuid4().hex[:8]}", "description": "Valve V-1",
        "equipment": "Line 1", "energyType": "CHEMICAL", "method": "Close and lock", "verification": "Bleed it"}


def case_update_point(world, ids):
    return "PATCH", f"/isolation-points/{new_point(world['people']['issuer.downtown'], ids)['id']}", {
        "description": "Valve V-1 (renamed)"}


def case_create_certificate(world, ids):
    point = new_point(world["people"]["issuer.downtown"], ids)
    return "POST", "/isolation-certificates", {"projectId": ids["projects"]["DOWNTOWN"], "title": "Matrix",
                                               "pointIds": [point["id"]], "permitIds": [world["permit"]["id"]]}


def case_get_certificate(world, ids):
    return "GET", f"/isolation-certificates/{_fresh_certificate(world, ids)[0]['id']}", None


def case_change_points(world, ids):
    cert, _ = _fresh_certificate(world, ids)
    return "PUT", f"/isolation-certificates/{cert['id']}/points", {
        "pointIds": [new_point(world["people"]["issuer.downtown"], ids)["id"]]}


def case_approve(world, ids):
    # prepared by a coordinator: the issuer may approve it, the coordinator not (separation of duties)
    cert, _ = _fresh_certificate(world, ids, preparer="coordinator")
    return "POST", f"/isolation-certificates/{cert['id']}/approve", {}


def case_link(world, ids):
    cert, _ = _fresh_certificate(world, ids, linked=False)
    return "POST", f"/isolation-certificates/{cert['id']}/permits", {"permitId": world["permit"]["id"]}


def case_isolate(world, ids):
    cert, point = _fresh_certificate(world, ids, preparer="coordinator")
    ok(world["people"]["issuer.downtown"].post(f"/isolation-certificates/{cert['id']}/approve"))
    return "POST", f"/isolation-certificates/{cert['id']}/points/{point['id']}/isolate", {
        "lockNumber": "M-2", "tagNumber": "MT-2"}


def case_verify(world, ids):
    # isolated by the coordinator: only an issuer may verify it
    cert, point = _fresh_certificate(world, ids, isolated=True)
    return "POST", f"/isolation-certificates/{cert['id']}/points/{point['id']}/verify", {"method": "Tried: dead"}


def case_apply_lock(world, ids):
    cert, point = _fresh_certificate(world, ids, isolated=True, verified=True)
    return "POST", f"/isolation-certificates/{cert['id']}/points/{point['id']}/locks", {
        "workerName": "Matrix Worker", "lockNumber": "PL-1"}


def case_remove_lock(world, ids):
    cert, point = _fresh_certificate(world, ids, isolated=True, verified=True)
    with_lock = ok(world["people"]["coordinator"].post(
        f"/isolation-certificates/{cert['id']}/points/{point['id']}/locks",
        json={"workerName": "Matrix Worker", "lockNumber": "PL-2"}))
    lock = with_lock["points"][0]["locks"][0]["id"]
    return "POST", f"/isolation-certificates/{cert['id']}/points/{point['id']}/locks/{lock}/remove", {}


def case_deisolate(world, ids):
    # a certificate that protects no permit: its point may come off (a receiver does not see it at all)
    cert, point = _fresh_certificate(world, ids, linked=False, isolated=True, verified=True)
    return "POST", f"/isolation-certificates/{cert['id']}/points/{point['id']}/deisolate", {}


def case_permit_isolations(world, ids):
    return "GET", f"/permits/{world['permit']['id']}/isolations", None


def case_list_readings(world, ids):
    return "GET", f"/permits/{world['permit']['id']}/gas-readings", None


def case_record_reading(world, ids):
    return "POST", f"/permits/{world['permit']['id']}/gas-readings", {
        "instrumentId": "GD-1", "calibrationDue": CALIBRATED, "values": SAFE}


#         anonymous admin coord issuer.dt receiver.dt issuer.harbor receiver.both
MATRIX = [
    (case_list_points, [401, 200, 200, 200, 200, 404, 200]),
    (case_create_point, [401, 403, 201, 201, 403, 404, 403]),
    (case_update_point, [401, 403, 200, 200, 403, 404, 403]),
    (case_create_certificate, [401, 403, 201, 201, 403, 404, 403]),
    (case_get_certificate, [401, 200, 200, 200, 200, 404, 404]),
    (case_change_points, [401, 403, 200, 200, 403, 404, 404]),
    (case_approve, [401, 403, 403, 200, 403, 404, 404]),
    (case_link, [401, 403, 200, 200, 404, 404, 404]),
    (case_isolate, [401, 403, 200, 200, 403, 404, 404]),
    (case_verify, [401, 403, 403, 200, 403, 404, 404]),
    (case_apply_lock, [401, 403, 200, 200, 200, 404, 404]),
    (case_remove_lock, [401, 403, 200, 403, 403, 404, 404]),
    (case_deisolate, [401, 403, 200, 200, 404, 404, 404]),
    (case_permit_isolations, [401, 200, 200, 200, 200, 404, 404]),
    (case_list_readings, [401, 200, 200, 200, 200, 404, 404]),
    (case_record_reading, [401, 403, 201, 201, 201, 404, 404]),
]


@pytest.mark.parametrize(("make", "expected"), matrix.cases(MATRIX, ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(make, expected, role, world, ids, gateway, new_api):
    case = make(world, ids)
    api = new_api() if role == "anonymous" else world["people"][role]
    matrix.check(api, role, case, expected)


def test_the_demo_projects_come_with_isolation_libraries(people, ids):
    downtown = ok(people["issuer.downtown"].get("/isolation-points", params={"projectId": ids["projects"]["DOWNTOWN"]}))
    assert {"DB-L12-01", "MCC-2-F07", "CHW-V-031"} <= {p["tag"] for p in downtown}
    harbor = ok(people["coordinator"].get("/isolation-points", params={"projectId": ids["projects"]["HARBOR"]}))
    tags = {p["tag"]: p for p in harbor}
    assert tags["V-101A"]["energyType"] == "CHEMICAL"
    assert len({p["energyType"] for p in harbor}) >= 4  # electrical, chemical, thermal, mechanical, pneumatic
    assert people["issuer.downtown"].get("/isolation-points",
                                         params={"projectId": ids["projects"]["HARBOR"]}).status_code == 404
