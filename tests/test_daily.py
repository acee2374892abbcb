"""The daily cycle end to end through the gateway, with the permits service's clock moved by the test:
a scheduler stopped over 08:00 catches up and suspends once; ordered one-tap and bulk confirmations;
manual suspend and reinstate; close-out; and the PDF read back (text and QR code)."""

import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
import requests

from devstack.images import png_base64
from devstack.observe import qr_codes_of_pdf
from devstack.samples import approved_sample, stand_down_hot_work

NY = ZoneInfo("America/New_York")  # the DOWNTOWN demo project's time zone
SIGNATURE = {"imageBase64": png_base64()}


@pytest.fixture
def people(api_of):
    return {role: api_of(role) for role in ("receiver.downtown", "issuer.downtown", "coordinator",
                                                  "receiver.both")}


def tomorrow_at(hour, minute=0):
    day = (datetime.now(NY) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def approved_permit(people, ids, start, receiver="receiver.downtown", title="Weld brackets C4"):
    return approved_sample(people[receiver], people["issuer.downtown"], people["coordinator"],
                             ids["projects"]["DOWNTOWN"], start, title)


def status_of(api, permit):
    return api.get(f"/permits/{permit['id']}").json()["data"]["status"]


def wait_for(api, permit, status, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status_of(api, permit) == status:
            return
        time.sleep(0.3)
    raise AssertionError(f"permit is {status_of(api, permit)}, not {status}, after {timeout} s")


def timeline(api, permit):
    return [e["action"] for e in api.get(f"/permits/{permit['id']}/timeline").json()["data"]]


def test_scheduler_down_over_the_deadline_catches_up_once_then_confirmations_reactivate(system, clock, people, ids):
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    start = tomorrow_at(6)
    clock(start)
    permit = approved_permit(people, ids, start)
    assert permit["status"] == "PENDING_DAILY"  # validity had begun: the first day opened at approval

    system.stop_process("permits-scheduler")
    try:
        clock(tomorrow_at(9, 7))  # the first day is due at 09:00: the 08:00 work start plus the grace
        time.sleep(5)  # more than a sweep period: nothing runs the sweep now
        assert status_of(receiver, permit) == "PENDING_DAILY"
    finally:
        system.restart_process("permits-scheduler")
    wait_for(receiver, permit, "SUSPENDED")
    time.sleep(7)  # further sweeps must not suspend again
    assert timeline(receiver, permit).count("deadline_suspend") == 1

    out_of_order = issuer.post(f"/permits/{permit['id']}/daily-approve")
    assert out_of_order.status_code == 409
    assert out_of_order.json()["error"]["code"] == "OUT_OF_ORDER"
    assert receiver.post(f"/permits/{permit['id']}/daily-approve").status_code == 200
    again = receiver.post(f"/permits/{permit['id']}/daily-approve")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_CONFIRMED"
    assert issuer.post(f"/permits/{permit['id']}/daily-approve").status_code == 200
    active = coordinator.post(f"/permits/{permit['id']}/daily-approve")
    assert active.json()["data"]["status"] == "ACTIVE"
    [day] = receiver.get(f"/permits/{permit['id']}/days").json()["data"]
    assert day["complete"] is True
    assert day["issuer"]["name"]
    assert timeline(receiver, permit)[-1] == "activate"


def test_bulk_confirmation_reports_each_permit(clock, people, ids):
    start = tomorrow_at(6, 30)
    clock(start)
    mine = [approved_permit(people, ids, start) for _ in range(2)]
    theirs = approved_permit(people, ids, start, receiver="receiver.both")
    response = people["receiver.downtown"].post("/permits/daily-approve",
                                                json={"permitIds": [p["id"] for p in mine] + [theirs["id"]]})
    assert response.status_code == 200
    results = {r["permitId"]: r for r in response.json()["data"]}
    assert all(results[p["id"]]["ok"] for p in mine)
    assert results[theirs["id"]]["ok"] is False
    assert results[theirs["id"]]["error"]["status"] == 404  # another receiver's permit does not exist for you
    assert response.json()["meta"] == {"confirmed": 2, "failed": 1}
    pending = people["issuer.downtown"].get("/permits/pending-actions").json()["data"]["dailyConfirmations"]
    assert {p["id"] for p in mine} <= {p["id"] for p in pending}

    # What waits for whom, in order (receiver, issuer, coordinator): each permit is listed to the one
    # person whose tap is next, never to another, never to someone it waits for next after them.
    def waiting(who):
        answer = people[who].get("/permits/pending-actions")
        assert answer.status_code == 200, answer.text
        return {p["id"] for p in answer.json()["data"]["dailyConfirmations"]}

    ours = {p["id"] for p in [*mine, theirs]}
    assert waiting("receiver.downtown") & ours == set()  # confirmed already; theirs is not theirs to see
    assert waiting("receiver.both") & ours == {theirs["id"]}  # its own receiver has not tapped yet
    assert waiting("issuer.downtown") & ours == {p["id"] for p in mine}
    assert waiting("coordinator") & ours == set()  # out of order: the issuer is next for all three
    assert people["issuer.downtown"].post(f"/permits/{mine[0]['id']}/daily-approve").status_code == 200
    assert waiting("issuer.downtown") & ours == {mine[1]["id"]}
    assert waiting("coordinator") & ours == {mine[0]["id"]}


def test_suspend_reinstate_closeout_and_the_pdf(system, clock, people, ids):
    receiver, issuer, coordinator = people["receiver.downtown"], people["issuer.downtown"], people["coordinator"]
    start = tomorrow_at(6)
    clock(start)
    permit = approved_permit(people, ids, start, title="Сварка — façade Ω north")
    for api in (receiver, issuer, coordinator):
        assert api.post(f"/permits/{permit['id']}/daily-approve").status_code == 200
    assert status_of(receiver, permit) == "ACTIVE"
    assert issuer.post(f"/permits/{permit['id']}/suspend", json={}).status_code == 422
    suspended = issuer.post(f"/permits/{permit['id']}/suspend", json={"reason": "Gas alarm on level 12"})
    assert suspended.json()["data"]["status"] == "SUSPENDED"
    assert suspended.json()["data"]["suspensionKind"] == "MANUAL"
    reinstated = coordinator.post(f"/permits/{permit['id']}/reinstate", json={"reason": "Area re-tested: 0 % LEL"})
    assert reinstated.json()["data"]["status"] == "ACTIVE"  # today's confirmations were complete
    refused = receiver.post(f"/permits/{permit['id']}/close", json={"signature": SIGNATURE,
                                                                    "completionNotes": "I say it is done."})
    assert refused.status_code == 403
    unwatched = receiver.post(f"/permits/{permit['id']}/request-closeout", json={})
    assert unwatched.status_code == 422  # hot work names its fire watch
    requested = stand_down_hot_work(receiver, permit, clock, start + timedelta(hours=3))
    assert requested["status"] == "PENDING_CLOSEOUT"
    no_notes = coordinator.post(f"/permits/{permit['id']}/close", json={"signature": SIGNATURE})
    assert no_notes.status_code == 422
    closed = coordinator.post(f"/permits/{permit['id']}/close", json={
        "signature": SIGNATURE, "completionNotes": "Work complete, area left clean; fire watch ended 16:45."})
    assert closed.status_code == 200, closed.text
    assert closed.json()["data"]["status"] == "CLOSED"
    assert closed.json()["data"]["closeoutNotes"].startswith("Work complete")

    started = time.perf_counter()
    link = receiver.get(f"/permits/{permit['id']}/pdf")
    assert link.status_code == 200, link.text
    assert time.perf_counter() - started < 15
    data = requests.get(link.json()["data"]["url"], timeout=30).content
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    number = closed.json()["data"]["number"]
    for expected in (number, "Сварка — façade Ω north", "DOWNTOWN", "Hot Work", "Gas test", "Fire watch",
                     "Level 12, grid C4", "☑", "Daily re-approval", "Work complete, area left clean",
                     "Rafael Receiver", "Coordinator", "Issuer"):
        assert expected in text, expected
    qr_codes = qr_codes_of_pdf(data)
    assert any("/verify/" in code for code in qr_codes), qr_codes  # the public check (tests/test_areas_and_simops.py)
    assert "pdf_viewed" in timeline(receiver, permit)
    other = people["receiver.both"]
    assert other.get(f"/permits/{permit['id']}/pdf").status_code == 404


def test_analytics_for_coordinators_only(people, new_api, tokens):
    summary = people["coordinator"].get("/permits/analytics").json()["data"]
    assert summary["projects"]
    assert summary["approvalTime"]["approved"] >= 1
    assert "rate" in summary["dailyCompliance"]
    assert people["issuer.downtown"].get("/permits/analytics").status_code == 403
