"""The site and SIMOPS in the web app, and the public permit check on a phone: the coordinator uploads the
site plan, adds a work area and pins it on the plan, and sees the board coloured; the issuer approving a
hot-work permit beside another is asked, beside the field, how the work is kept apart, and the
coordinator then sees who said what; a phone with no account opens the printed permit's check.
axe checks each screen."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from devstack.api_client import Api
from devstack.browser import draw_signature
from devstack.images import png, png_base64
from devstack.observe import qr_codes_of_pdf
from devstack.samples import complete_hot_work, new_work_area

NY = ZoneInfo("America/New_York")
SIGNATURE = {"imageBase64": png_base64()}


def client(gateway: str, token: str, n: int) -> Api:
    api = Api(gateway, f"10.254.0.{n}")
    api.token = token
    return api


def submitted_hot_work(receiver: Api, project_id: str, area: str, title: str) -> dict:
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    start = datetime.now(NY).replace(microsecond=0) + timedelta(days=4)
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": project_id, "title": title, "workAreaId": area,
        "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
        "formData": complete_hot_work()}).json()["data"]
    answer = receiver.post(f"/permits/{permit['id']}/submit")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.mark.timeout(300)
def test_the_site_board_simops_acknowledgement_and_the_public_check(open_app, gateway, tokens, ids, tmp_path):
    downtown = ids["projects"]["DOWNTOWN"]
    coordinator_api = client(gateway, tokens["coordinator"], 1)
    receiver_api = client(gateway, tokens["receiver.downtown"], 2)

    # The coordinator's site: the plan, an area added and pinned on it.
    coordinator = open_app(email="coordinator@permitto.example")
    page = coordinator.page
    page.get_by_role("link", name="Site", exact=True).click()
    page.get_by_role("heading", name="Site", exact=True).wait_for()
    page.get_by_label("Show the site of").select_option(label="DOWNTOWN · Downtown Tower — 42-storey office build")
    page.get_by_text("Tower, level 12 (TWR-L12)", exact=False).first.wait_for()
    plan = tmp_path / "plan.png"
    plan.write_bytes(png(800, 560))
    page.get_by_label("Site plan image", exact=False).set_input_files(str(plan))
    coordinator.wait_text("The site plan is updated.")
    page.locator("svg.plan image").wait_for(state="attached")
    code = f"GATE-{uuid.uuid4().hex[:4].upper()}"
    coordinator.fill({"Code": code, "Name": "Gate house"})
    page.get_by_role("button", name="Add the area").click()
    coordinator.wait_text("Added Gate house.")
    page.get_by_label("Area", exact=True).select_option(label=f"Gate house ({code})")
    page.get_by_role("button", name="As a pin").click()
    box = page.locator("svg.plan").bounding_box()  # the app brings the plan into view to be tapped
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.2)
    page.get_by_role("button", name="Save the place").click()
    coordinator.wait_text("Gate house is on the plan.")
    pin = page.locator("svg.plan g", has_text=code).locator("circle")
    pin.wait_for()
    assert abs(float(pin.get_attribute("cx")) - 150) < 15  # where it was tapped: 15 % across the plan
    coordinator.shot("site-board-coordinator-phone")
    coordinator.axe("the site board")

    # Two hot-work permits in one bay: the issuer's approval asks how the work is kept apart.
    bay = new_work_area(coordinator_api, downtown, "Loading bay 3")
    first = submitted_hot_work(receiver_api, downtown, bay, "Weld dock leveller frame")
    second = submitted_hot_work(receiver_api, downtown, bay, "Grind dock rails")
    issuer = open_app(email="issuer.downtown@permitto.example", path=f"permits/{second['id']}")
    ipage = issuer.page
    ipage.get_by_role("heading", name="Other work here at the same time").wait_for()
    ipage.get_by_text(first["number"]).first.wait_for()
    ipage.get_by_role("button", name="Approve", exact=True).click()
    draw_signature(ipage)
    ipage.locator(".action-panel").get_by_role("button", name="Approve", exact=True).click()
    error = ipage.locator("#f-simopsAcknowledgement-error")
    error.wait_for()
    assert f"needed for {first['number']}" in error.inner_text()  # the API's words, beside the field
    issuer.shot("simops-acknowledgement-needed-phone")
    issuer.axe("an approval that needs a SIMOPS acknowledgement")
    ipage.get_by_label("How is this work kept apart", exact=False).fill(
        "Fire blanket screen between the bays; one fire watch for both")
    ipage.locator(".action-panel").get_by_role("button", name="Approve", exact=True).click()
    ipage.get_by_text("Approve: done.").wait_for()

    coordinator.go(f"permits/{second['id']}")
    # the conflict's own line ("Acknowledged by …: <the words>"), not the timeline's "SIMOPS acknowledged by …"
    page.get_by_text("Acknowledged by Ivan Issuer:", exact=False).wait_for()
    coordinator.shot("simops-acknowledged-coordinator-phone")

    # A phone without an account opens the printed permit's QR code.
    link = coordinator_api.get(f"/permits/{second['id']}/pdf").json()["data"]
    [code] = qr_codes_of_pdf(requests.get(link["url"], timeout=30).content)
    token = code.rsplit("/verify/", 1)[1]
    stranger = open_app(path="")
    stranger.page.goto(f"{gateway}/verify/{token}")
    verdict = stranger.page.get_by_role("heading", name="NOT APPROVED")
    verdict.wait_for()
    # the page's own style holds (its CSP allows exactly that style): the verdict is large, on amber
    assert verdict.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(254, 243, 199)"
    assert second["number"] in stranger.page.content()
    stranger.shot("verify-page-phone")
    stranger.axe("the public permit check")
    for api in (coordinator_api, receiver_api):
        api.session.close()
