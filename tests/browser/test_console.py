"""The console on a desktop and a tablet: the administrator invites a receiver from the People screen
(the server's words beside a bad field first), who accepts through the emailed link and signs in, then is
deactivated and reactivated; a new project is made in its time zone and the receiver assigned to it; the
coordinator's live board shows an approval made elsewhere within 2 s, without a reload; operations
checks a permit's audit chain. axe checks each screen."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devstack.api_client import Api
from devstack.images import png_base64
from devstack.samples import FORMS, new_work_area

NY = ZoneInfo("America/New_York")
SET_PASSWORD = r"http://localhost:\d+/app/set-password\?token=[A-Za-z0-9_\-]+&kind=invitation"
NEW_PASSWORD = "Console-Test-Password-2026"


def api_as(gateway: str, token: str, n: int) -> Api:
    api = Api(gateway, f"10.249.0.{n}")
    api.token = token
    return api


@pytest.mark.timeout(300)
def test_people_projects_board_and_operations(open_app, gateway, tokens, ids, link_in_email):
    tag = uuid.uuid4().hex[:6]
    address = f"console-{tag}@permitto.example"

    # People: an invitation with a bad address is refused beside the field; a good one goes out.
    admin = open_app(viewport="desktop", email="admin@permitto.example", path="users")
    page = admin.page
    page.get_by_role("heading", name="People").wait_for()
    page.get_by_role("cell", name="admin@permitto.example").wait_for()
    page.locator("#f-name").fill("Cora Console")  # (the filter's "Name or email" shares the words)
    page.locator("#f-email").fill("not-an-address")
    page.locator("#f-invite-role").select_option("RECEIVER")
    page.get_by_label("Projects").select_option(label="DOWNTOWN — " + next(
        p["name"] for p in api_as(gateway, tokens["admin"], 1).get("/projects").json()["data"]
        if p["code"] == "DOWNTOWN"))
    page.get_by_role("button", name="Send the invitation").click()
    page.locator("#f-email-error").wait_for()
    admin.axe("the people screen with a refused invitation")
    page.locator("#f-email").fill(address)
    page.get_by_role("button", name="Send the invitation").click()
    admin.wait_text(f"Invitation sent to {address}.")
    admin.shot("console-people-desktop")

    # ... accepted through the emailed link; the new receiver signs in.
    invitee = open_app(viewport="desktop")
    invitee.page.goto(link_in_email(address, SET_PASSWORD))
    invitee.page.get_by_label("New password").fill(NEW_PASSWORD)
    invitee.page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    invitee.page.get_by_role("button", name="Set password").click()
    invitee.page.get_by_text("Your password is set").wait_for()
    invitee.page.get_by_role("link", name="Go to sign in").click()
    invitee.sign_in(address, NEW_PASSWORD)
    invitee.page.get_by_role("heading", name="Hello, Cora").wait_for()

    # Deactivated (the row says so) and reactivated.
    page.reload()
    row = page.get_by_role("row", name="Cora Console")
    row.get_by_role("button", name="Deactivate").click()
    admin.wait_text("Cora Console is deactivated; their sessions ended.")
    page.get_by_role("row", name="Cora Console").get_by_role("button", name="Reactivate").click()
    admin.wait_text("Cora Console is active again.")

    # Projects: a new one in its own time zone, with the receiver assigned.
    admin.go("projects")
    page.get_by_role("heading", name="New project").wait_for()
    code = f"T{tag.upper()}"
    page.locator("#f-code").fill(code)
    page.locator("#f-name").fill(f"Console test {tag}")
    page.locator("#f-timezone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create the project").click()
    admin.wait_text(f"Project {code} created.")
    project = page.locator("section.card", has=page.get_by_role("heading", name=f"{code} — Console test {tag}"))
    project.get_by_text("Europe/Berlin").wait_for()
    project.get_by_label("Assign", exact=True).select_option(label="Cora Console (Receiver)")
    project.get_by_role("button", name="Assign").click()
    project.get_by_text("Cora Console · Receiver").wait_for()
    assert " by " in project.locator("li", has_text="Cora Console").inner_text()  # who assigned them, and when
    admin.shot("console-projects-desktop")
    admin.axe("the projects screen")

    # The live board, on a tablet in the site office: an approval made elsewhere appears within 2 s.
    coordinator = open_app(viewport="tablet", email="coordinator@permitto.example", path="board")
    board = coordinator.page
    board.get_by_role("heading", name="Live on site").wait_for()
    receiver, issuer, coord = (api_as(gateway, tokens[r], n) for n, r in
                               enumerate(("receiver.downtown", "issuer.downtown", "coordinator"), start=2))
    start = datetime.now(NY) + timedelta(days=6)
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": ids["projects"]["DOWNTOWN"], "title": f"Board check {tag}",
        "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
        "workAreaId": new_work_area(coord, ids["projects"]["DOWNTOWN"]), "formData": FORMS["HW"]()}).json()["data"]
    signature = {"imageBase64": png_base64()}
    for api, verb, body in ((receiver, "submit", None), (issuer, "approve", {"signature": signature})):
        assert api.post(f"/permits/{permit['id']}/{verb}", json=body).status_code == 200
    assert board.locator(f"[data-permit='{permit['id']}']").count() == 0  # not live yet: waiting for final approval
    assert coord.post(f"/permits/{permit['id']}/approve", json={"signature": signature}).status_code == 200
    board.locator(f"[data-permit='{permit['id']}']").wait_for(timeout=2_000)  # live, with no reload
    coordinator.shot("console-board-tablet")
    coordinator.axe("the live board")

    # Operations: the permit's audit chain is intact, and its timeline can be downloaded.
    admin.go("operations")
    number = receiver.get(f"/permits/{permit['id']}").json()["data"]["number"]
    page.get_by_label("Permit number").fill(number)
    page.get_by_role("button", name="Check the chain").click()
    admin.wait_text(f"{number}: chain intact")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the timeline (CSV)").click()
    assert download.value.suggested_filename == f"timeline-{number}.csv"
    admin.shot("console-operations-desktop")
    admin.axe("the operations screen")
    for api in (receiver, issuer, coord):
        api.session.close()
