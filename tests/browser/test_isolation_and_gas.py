"""Isolations and gas tests in the web app, by three people on three phones: the issuer adds a point to the
project's library and prepares a certificate from it on an approved confined-space permit; the coordinator
approves it; the issuer isolates and the coordinator verifies (the app offers the issuer no verification
of their own isolation); the receiver's gas test with an expired instrument is refused beside its field,
then a passing test is recorded; the coordinator's confirmation starts work; a failing test suspends it.
axe checks each screen."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devstack.api_client import Api
from devstack.samples import approved_sample

NY = ZoneInfo("America/New_York")


def at(days: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(NY) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def approved_confined_space(new_api, tokens, ids, start: datetime) -> dict:
    people = [new_api() for _ in range(3)]
    for api, role in zip(people, ("receiver.downtown", "issuer.downtown", "coordinator"), strict=True):
        api.token = tokens[role]
    return approved_sample(*people, ids["projects"]["DOWNTOWN"], start, "Clean sump pit SP-2", kind="CSE")


def confirm_as(gateway: str, token: str, permit_id: str) -> None:
    api = Api(gateway, "10.251.0.9")
    api.token = token
    try:
        answer = api.post(f"/permits/{permit_id}/daily-approve")
        assert answer.status_code == 200, answer.text
    finally:
        api.session.close()


@pytest.mark.timeout(300)
def test_isolations_and_gas_tests_from_three_phones(open_app, clock, gateway, tokens, new_api, ids):
    start = at(3, 6, 30)
    clock(start)
    permit = approved_confined_space(new_api, tokens, ids, start)
    assert permit["status"] == "PENDING_DAILY"
    tag = f"SP2-PUMP-{uuid.uuid4().hex[:4].upper()}"

    # The issuer adds the sump pump's breaker to the project's library.
    issuer = open_app(email="issuer.downtown@permitto.example")
    page = issuer.page
    # five links in the bottom bar of a 360 px phone: each fully on the screen
    width = page.viewport_size["width"]
    for link in page.locator("nav.bottom a").all():
        box = link.bounding_box()
        assert box["x"] >= 0, link.inner_text()
        assert box["x"] + box["width"] <= width, link.inner_text()
        assert link.evaluate("e => e.scrollWidth <= e.clientWidth"), link.inner_text()  # its words not cut
    page.get_by_role("link", name="Isolation points").click()
    page.get_by_role("heading", name="Isolation points").wait_for()
    page.get_by_role("button", name="Add a point").click()
    issuer.fill({"Tag": tag, "Description": "Sump pump SP-2 motor breaker", "Equipment": "SP-2, DB-B1 way 4"})
    page.get_by_label("Energy type").select_option("ELECTRICAL")
    issuer.fill({"How it is isolated": "Open way 4 at DB-B1, fit a lock-off clip",
                 "How the isolation is proven": "Press start at the pit; test dead at the motor"})
    page.get_by_role("button", name="Add the point").click()
    issuer.wait_text(f"Added {tag}.")
    issuer.shot("isolation-library-phone")
    issuer.axe("the isolation library")

    # ... and prepares the permit's certificate from it.
    issuer.go(f"permits/{permit['id']}")
    page.get_by_role("heading", name="Isolations").wait_for()
    page.get_by_role("button", name="Prepare a certificate").click()
    page.get_by_label(tag, exact=False).check()
    page.get_by_role("button", name="Prepare the certificate").click()
    issuer.wait_text("Waiting for approval")
    assert page.get_by_role("button", name="Approve the certificate").count() == 0  # not by who prepared it

    coordinator = open_app(email="coordinator@permitto.example", path=f"permits/{permit['id']}")
    cpage = coordinator.page
    cpage.get_by_role("button", name="Approve the certificate").click()
    cpage.locator(".certificate .badge", has_text="Approved").wait_for()

    # The issuer isolates; verifying is for somebody else.
    issuer.go(f"permits/{permit['id']}")
    point = page.locator(".points > li", has_text=tag)
    point.get_by_role("button", name="Record isolated").click()
    issuer.fill({"Lock number": "L-204", "Tag number": "T-204"})
    point.get_by_role("button", name="Record isolated").click()
    point.get_by_text("Isolated, not verified").wait_for()
    assert point.get_by_role("button", name="Verify (try / test)").count() == 0
    issuer.shot("isolation-isolated-phone")
    issuer.axe("a point isolated")

    coordinator.go(f"permits/{permit['id']}")
    cpoint = cpage.locator(".points > li", has_text=tag)
    cpoint.get_by_role("button", name="Verify (try / test)").click()
    cpage.get_by_label("How it was tried and tested", exact=False).fill(
        "Pressed start at the pit: nothing; dead at the motor")
    cpoint.get_by_role("button", name="Verify (try / test)").click()
    cpoint.get_by_text("Isolated and verified").wait_for()

    # The receiver tests the air: an instrument past its calibration is refused beside its field.
    receiver = open_app(email="receiver.downtown@permitto.example", path=f"permits/{permit['id']}")
    rpage = receiver.page
    rpage.get_by_role("button", name="Record a gas test").click()
    receiver.fill({"Oxygen": "20.9", "Flammables": "0", "Hydrogen sulphide": "0", "Carbon monoxide": "2",
                   "Instrument id": "GD-0042", "Where it was taken": "Pit floor"})
    rpage.get_by_label("Calibration due").fill((start - timedelta(days=2)).strftime("%Y-%m-%d"))
    rpage.get_by_role("button", name="Save the reading").click()
    error = rpage.locator("#f-calibrationDue-error")
    error.wait_for()
    assert "calibration ran out" in error.inner_text()
    receiver.shot("gas-test-refused-phone")
    receiver.axe("a refused gas test")
    rpage.get_by_label("Calibration due").fill((start + timedelta(days=60)).strftime("%Y-%m-%d"))
    rpage.get_by_role("button", name="Save the reading").click()
    receiver.wait_text("the atmosphere tested safe")

    # The day's confirmations: with the points verified and the air safe, work starts.
    confirm_as(gateway, tokens["receiver.downtown"], permit["id"])
    confirm_as(gateway, tokens["issuer.downtown"], permit["id"])
    coordinator.go(f"permits/{permit['id']}")
    cpage.get_by_role("button", name="Confirm today").click()
    cpage.locator(".badge[data-status='ACTIVE']").first.wait_for()
    coordinator.shot("permit-active-with-isolations-phone")
    coordinator.axe("an active permit with its isolations and gas tests")

    # A failing test stops work at once.
    receiver.go(f"permits/{permit['id']}")
    rpage.get_by_role("button", name="Record a gas test").click()
    receiver.fill({"Oxygen": "18.1", "Flammables": "0", "Hydrogen sulphide": "0", "Carbon monoxide": "2",
                   "Instrument id": "GD-0042"})
    rpage.get_by_label("Calibration due").fill((start + timedelta(days=60)).strftime("%Y-%m-%d"))
    rpage.get_by_role("button", name="Save the reading").click()
    receiver.wait_text("the test FAILED")
    rpage.locator(".badge[data-status='SUSPENDED']").first.wait_for()
    receiver.wait_text("Gas test failed: Oxygen 18.1")
    receiver.shot("gas-test-failed-suspended-phone")
    receiver.axe("a permit suspended by a gas test")
