"""People on the permit in the web app, on phones: the receiver signs a worker on (refused beside the box
until the worker confirms the hazards), asks for more time, which the issuer and then the coordinator
approve; hands the permit to the next shift, whose receiver accepts with a signature before the issuer
acknowledges; and the coordinator's competency register with what runs out soon. axe checks each screen."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devstack.api_client import Api
from devstack.browser import draw_signature
from devstack.samples import approved_sample

NY = ZoneInfo("America/New_York")


def at(days: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(NY) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


@pytest.mark.timeout(300)
def test_crew_extension_and_handover_from_phones(open_app, clock, gateway, tokens, new_api, ids):
    start = at(4, 6, 30)
    clock(start)
    people = [new_api() for _ in range(3)]
    for api, role in zip(people, ("receiver.downtown", "issuer.downtown", "coordinator"), strict=True):
        api.token = tokens[role]
    permit = approved_sample(*people, ids["projects"]["DOWNTOWN"], start, "Weld the roof steel")
    for api in people:
        assert api.post(f"/permits/{permit['id']}/daily-approve").status_code == 200
    path = f"permits/{permit['id']}"

    # The receiver signs a worker on: the worker must confirm the hazards first, in the server's words.
    receiver = open_app(email="receiver.downtown@permitto.example", path=path)
    page = receiver.page
    page.get_by_role("heading", name="People on the permit").wait_for()
    page.get_by_role("button", name="Sign a worker on").click()
    form = page.get_by_role("form", name="Sign a worker on")
    receiver.fill({"Name": "Dee Welder", "Company": "Acme Steel"})
    draw_signature(page)
    form.get_by_role("button", name="Sign on").click()
    error = page.locator("#f-acknowledged-error")
    error.wait_for()
    assert "confirm they read the permit's hazards" in error.inner_text()
    receiver.axe("a refused sign-on")
    form.get_by_label("I have read this permit's hazards", exact=False).check()
    form.get_by_role("button", name="Sign on").click()
    receiver.wait_text("Dee Welder is signed on.")
    assert page.get_by_test_id("on-permit").inner_text() == "1"
    receiver.shot("crew-signed-on-phone")
    receiver.axe("a permit with its crew")

    # More time: asked by the holder, approved by the issuer and then the coordinator.
    page.get_by_role("button", name="Ask for more time").click()
    new_end = datetime.fromisoformat(permit["validTo"]).astimezone(NY) + timedelta(days=1)
    page.get_by_label("New end").fill(new_end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Why").fill("The crane is late; two more days of welding")
    page.get_by_role("button", name="Ask", exact=True).click()
    receiver.wait_text("the issuer, then the coordinator decide")
    receiver.shot("extension-asked-phone")
    issuer = open_app(email="issuer.downtown@permitto.example", path=path)
    issuer.page.get_by_role("button", name="Approve the extension").click()
    issuer.wait_text("Extension approved.")
    coordinator = open_app(email="coordinator@permitto.example", path=path)
    coordinator.page.get_by_role("button", name="Approve the extension").click()
    coordinator.wait_text("Extension approved.")
    check = Api(gateway, "10.251.0.20")
    check.token = tokens["receiver.downtown"]
    answer = check.get(f"/permits/{permit['id']}").json()["data"]
    check.session.close()
    assert datetime.fromisoformat(answer["validTo"]) == new_end

    # The shift changes: the worker signs off, the holder hands over; the next receiver accepts and signs;
    # the issuer acknowledges.
    receiver.go(path)
    page.get_by_role("button", name="Sign off Dee Welder").click()
    receiver.wait_text("Dee Welder is signed off.")
    page.get_by_role("button", name="Hand over to the next shift").click()
    page.get_by_label("Incoming holder").select_option(label="Björn Receiver")
    page.get_by_label("Handover note").fill("Roof steel half welded; grinder guard replaced; no isolations")
    draw_signature(page)
    page.get_by_role("button", name="Hand over", exact=True).click()
    receiver.wait_text("the incoming holder signs next")
    receiver.axe("a handover asked for")
    incoming = open_app(email="receiver.both@permitto.example", path=path)
    ipage = incoming.page
    ipage.get_by_role("button", name="Accept the handover").wait_for()
    incoming.shot("handover-to-accept-phone")
    incoming.axe("a handover waiting for its incoming holder")
    draw_signature(ipage)
    ipage.get_by_role("button", name="Accept the handover").click()
    incoming.wait_text("You accepted the handover.")
    issuer.go(path)
    issuer.page.get_by_role("button", name="Acknowledge the handover").click()
    issuer.wait_text("Handover acknowledged.")
    issuer.page.get_by_text("Holder: Björn Receiver").wait_for()
    issuer.shot("handover-done-phone")
    incoming.go(path)
    ipage.get_by_role("button", name="Request close-out").wait_for()  # the new holder's to do now

    # The register: the coordinator sees what runs out soon and records a certificate.
    coordinator.go("competencies")
    cpage = coordinator.page
    cpage.get_by_role("heading", name="Running out within 30 days").wait_for()
    cpage.get_by_text("Fire watch").first.wait_for()  # the demo's receiver's certificate runs out in 20 days
    coordinator.axe("the competency register")
    cpage.get_by_role("button", name="Record", exact=True).click()
    cpage.locator("#f-userId-error").wait_for()  # the server's words beside each field
    cpage.get_by_label("Person").select_option(label="Björn Receiver (receiver.both@permitto.example)")
    cpage.locator("#f-typeKey").select_option(label="Fire watch")
    coordinator.fill({"Issued by": "City Fire Service", "Certificate number": "FW-9001"})
    cpage.get_by_label("Valid from").fill(start.strftime("%Y-%m-%d"))
    cpage.get_by_label("Valid until").fill((start + timedelta(days=365)).strftime("%Y-%m-%d"))
    cpage.get_by_role("button", name="Record", exact=True).click()
    coordinator.wait_text("Recorded: Fire watch for Björn Receiver.")
    coordinator.shot("competencies-phone")
    incoming.go("competencies")
    ipage.get_by_text("FW-9001", exact=False).wait_for()
    incoming.axe("a receiver's own competencies")
