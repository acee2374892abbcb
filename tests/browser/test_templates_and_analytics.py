"""The rest of the console on a desktop and a tablet. A coordinator builds a template with all ten field
types and their properties, reorders fields with the keyboard and by dragging, sees the API's schema
errors at the fields they name, publishes, changes it and compares the versions; a receiver on a phone
then fills and submits a permit of it. Analytics draws its charts from permits the test made, in a
project of their own, with the same numbers in tables that download as CSV. axe checks each screen."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devstack.api_client import Api
from devstack.images import png_base64
from devstack.samples import FORMS, new_work_area

NY = ZoneInfo("America/New_York")


def api_as(gateway: str, token: str, n: int) -> Api:
    api = Api(gateway, f"10.248.0.{n}")
    api.token = token
    return api


def order(page, section: int) -> list[str]:
    return page.locator(f"section.builder-section >> nth={section}").locator("li.builder-field").evaluate_all(
        "items => items.map(i => i.dataset.field)")


@pytest.mark.timeout(300)
def test_a_coordinator_builds_publishes_and_compares_a_template_a_receiver_fills(open_app, gateway, tokens, ids):
    tag = uuid.uuid4().hex[:6]
    name = f"Scaffold inspection {tag}"
    coordinator = open_app(viewport="desktop", email="coordinator@permitto.example", path="templates")
    page = coordinator.page
    page.get_by_role("heading", name="Templates").wait_for()
    page.get_by_role("cell", name="Hot Work", exact=False).first.wait_for()
    coordinator.axe("the templates list")
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Kind of work").select_option("WAH")

    # Section 1, "The job": the field it starts with becomes a required one-line text, then four more types.
    page.locator("#tb-s0-title").fill("The job")
    page.locator("#tb-s0-f0-label").fill("Location")
    page.locator("#tb-s0-f0-key").fill("location")
    page.locator("#tb-s0-f0-required").check()
    page.locator("#tb-s0-f0-placeholder").fill("Level 3, grid C4")
    page.locator("#tb-s0-f0-maxLength").fill("80")
    page.locator("#tb-s0-f0-pattern").fill("[A-Za-z0-9 ,.-]+")
    page.locator("#tb-s0-f0-help").fill("Where the scaffold stands")

    def add(section: int, kind: str) -> int:
        page.locator(f"#tb-add-{section}").select_option(kind)
        page.get_by_role("form", name=page.locator(f"#tb-add-{section}").evaluate(
            "e => e.form.getAttribute('aria-label')")).get_by_role("button", name="Add").click()
        return page.locator("section.builder-section").nth(section).locator("li.builder-field").count() - 1

    n = add(0, "textarea")
    page.locator(f"#tb-s0-f{n}-label").fill("Method statement")
    page.locator(f"#tb-s0-f{n}-key").fill("method")
    page.locator(f"#tb-s0-f{n}-minLength").fill("10")
    page.locator(f"#tb-s0-f{n}-required").check()
    n = add(0, "number")
    page.locator(f"#tb-s0-f{n}-label").fill("Platform height")
    page.locator(f"#tb-s0-f{n}-key").fill("height")
    page.locator(f"#tb-s0-f{n}-min").fill("0")
    page.locator(f"#tb-s0-f{n}-max").fill("30")
    page.locator(f"#tb-s0-f{n}-unit").fill("m")
    page.locator(f"#tb-s0-f{n}-required").check()
    n = add(0, "date")
    page.locator(f"#tb-s0-f{n}-label").fill("Inspection date")
    page.locator(f"#tb-s0-f{n}-key").fill("inspected_on")
    n = add(0, "time")
    page.locator(f"#tb-s0-f{n}-label").fill("Inspection time")
    page.locator(f"#tb-s0-f{n}-key").fill("inspected_at")

    # Section 2, "Checks": the five other types.
    page.get_by_role("button", name="Add a section").click()
    page.locator("#tb-s1-title").fill("Checks")
    page.locator("#tb-s1-f0-type").select_option("select")
    page.locator("#tb-s1-f0-label").fill("Scaffold type")
    page.locator("#tb-s1-f0-key").fill("scaffold_type")
    page.locator("#tb-s1-f0-options").fill("tube = Tube and fitting\nsystem = System scaffold")
    page.locator("#tb-s1-f0-required").check()
    n = add(1, "multiselect")
    page.locator(f"#tb-s1-f{n}-label").fill("Hazards")
    page.locator(f"#tb-s1-f{n}-key").fill("hazards")
    page.locator(f"#tb-s1-f{n}-options").fill("Falling objects\nOverhead power lines\nHigh wind")
    n = add(1, "checkbox")
    page.locator(f"#tb-s1-f{n}-label").fill("Inspection checklist")
    page.locator(f"#tb-s1-f{n}-key").fill("checklist")
    page.locator(f"#tb-s1-f{n}-options").fill("Base plates sound\nTies in place")
    page.locator(f"#tb-s1-f{n}-requireAll").check()
    n = add(1, "radio")
    page.locator(f"#tb-s1-f{n}-label").fill("Tagged green")
    page.locator(f"#tb-s1-f{n}-key").fill("tagged")
    page.locator(f"#tb-s1-f{n}-required").check()
    n = add(1, "file-upload")
    page.locator(f"#tb-s1-f{n}-label").fill("Photos")
    page.locator(f"#tb-s1-f{n}-key").fill("photos")
    page.locator(f"#tb-s1-f{n}-maxFiles").fill("3")

    # The preview is the receivers' form, as it is built.
    preview = page.locator(".preview")
    preview.get_by_label("Platform height (m)", exact=False).wait_for()
    preview.get_by_label("Scaffold type", exact=False).wait_for()
    preview.get_by_label("Ties in place").wait_for()

    # Reordered with the keyboard (the move is announced), then by dragging.
    page.locator("[data-handle='h-s0-f1'] .handle").press("ArrowUp")
    assert order(page, 0) == ["method", "location", "height", "inspected_on", "inspected_at"]
    coordinator.wait_text('"Method statement" is now in place 1 of 5 in "The job".')
    page.locator("[data-handle='h-s0-f1'] .builder-head").drag_to(page.locator("[data-handle='h-s0-f0']"))
    assert order(page, 0) == ["location", "method", "height", "inspected_on", "inspected_at"]

    # Two mistakes: the API names each at its field (opening it), and nothing is saved.
    page.get_by_role("button", name='Edit "Location"').click()
    page.locator("#tb-s0-f0-key").fill("Location Key")
    page.get_by_role("button", name='Edit "Scaffold type"').click()
    page.locator("#tb-s1-f0-options").fill("")
    page.get_by_role("button", name="Save draft").click()
    page.locator("#tb-s0-f0-key-error").wait_for()
    assert "should match pattern" in page.locator("#tb-s0-f0-key-error").inner_text()
    assert "a select needs options" in page.locator("#tb-s1-f0-error").inner_text()
    coordinator.shot("console-template-errors-desktop")
    coordinator.axe("the builder with schema errors")
    assert not [t for t in api_as(gateway, tokens["coordinator"], 1).get("/templates").json()["data"]
                if t["name"] == name]
    page.locator("#tb-s0-f0-key").fill("location")
    page.locator("#tb-s1-f0-options").fill("tube = Tube and fitting\nsystem = System scaffold")
    page.get_by_role("button", name="Save draft").click()
    coordinator.wait_text("Saved as the draft of version 1.")
    page.get_by_role("button", name="Publish").click()
    coordinator.wait_text("Version 1 is published and frozen")
    coordinator.shot("console-template-builder-desktop")
    coordinator.axe("the template builder")

    # A change makes version 2 a draft; published, it is compared with version 1 in words.
    page.get_by_role("button", name='Edit "Platform height"').click()
    page.locator("#tb-s0-f2-label").fill("Working platform height")
    page.get_by_role("button", name='Edit "Hazards"').click()
    page.locator("#tb-s1-f1-options").fill("Falling objects\nOverhead power lines\nHigh wind\nPublic below")
    page.get_by_role("button", name="Publish").click()
    coordinator.wait_text("Version 2 is published and frozen")
    page.get_by_label("From", exact=True).select_option("1")
    page.get_by_label("to", exact=True).select_option("2")
    page.get_by_role("button", name="Compare").click()
    diff = page.locator(".diff")
    diff.get_by_text('label "Platform height" → "Working platform height"').wait_for()
    diff.get_by_text('option "Public below" added').wait_for()
    coordinator.shot("console-template-versions-desktop")
    coordinator.axe("the versions and their difference")

    # On a tablet the preview follows the editor.
    tablet = open_app(viewport="tablet", email="coordinator@permitto.example", path=page.url.split("/app/", 1)[1])
    tablet.page.get_by_role("heading", name=name).wait_for()
    tablet.shot("console-template-builder-tablet")
    tablet.axe("the template builder on a tablet")

    # A receiver on a phone starts, fills and submits a permit of it.
    area = new_work_area(api_as(gateway, tokens["coordinator"], 2), ids["projects"]["DOWNTOWN"], "Scaffold bay")
    receiver = open_app(email="receiver.downtown@permitto.example", path="permits/new")
    form = receiver.page
    form.get_by_label(name, exact=False).check()
    form.get_by_label("Title").fill(f"Inspect scaffold, east elevation {tag}")
    form.get_by_label("Work area", exact=False).select_option(value=area)
    form.get_by_role("button", name="Next").click()
    form.get_by_role("heading", name="The job").wait_for()
    form.get_by_label("Location", exact=False).fill("East elevation, lift 4")
    form.get_by_label("Method statement", exact=False).fill("Visual inspection from the lift, tags checked.")
    form.get_by_label("Working platform height", exact=False).fill("12.5")
    form.get_by_label("Inspection date", exact=False).fill("2027-01-15")
    form.get_by_label("Inspection time", exact=False).fill("07:30")
    form.get_by_role("button", name="Save and continue").click()
    form.get_by_role("heading", name="Checks").wait_for()
    form.get_by_label("Scaffold type", exact=False).select_option("system")
    form.get_by_label("High wind").check()
    form.get_by_label("Base plates sound").check()
    form.get_by_label("Ties in place").check()
    form.get_by_label("Yes").check()
    form.get_by_role("button", name="Save and continue").click()
    form.get_by_role("button", name="Submit for approval").click()
    form.get_by_text("Waiting for the issuer").first.wait_for()
    receiver.shot("new-permit-from-a-built-template-phone")
    permit_id = form.url.rstrip("/").rsplit("/", 1)[1]
    permit = api_as(gateway, tokens["receiver.downtown"], 3).get(f"/permits/{permit_id}").json()["data"]
    assert permit["status"] == "SUBMITTED"
    assert permit["templateVersion"] == 2
    assert permit["formData"]["height"] == 12.5
    assert permit["formData"]["hazards"] == ["high_wind"]
    assert permit["formData"]["checklist"] == ["base_plates_sound", "ties_in_place"]


@pytest.mark.timeout(240)
def test_analytics_draws_the_permits_the_test_made(open_app, gateway, tokens, ids):
    tag = uuid.uuid4().hex[:5].upper()
    admin, coordinator = api_as(gateway, tokens["admin"], 10), api_as(gateway, tokens["coordinator"], 11)
    project = admin.post("/projects", json={"code": f"AN{tag}", "name": f"Analytics {tag}",
                                            "timezone": "America/New_York"},
                         headers={"Idempotency-Key": uuid.uuid4().hex}).json()["data"]
    for who in ("receiver.downtown", "issuer.downtown"):
        assigned = admin.post(f"/projects/{project['id']}/users", json={"userId": ids["users"][who]})
        assert assigned.status_code in (200, 201), assigned.text
    receiver, issuer = api_as(gateway, tokens["receiver.downtown"], 12), api_as(gateway, tokens["issuer.downtown"], 13)
    template = next(t["id"] for t in receiver.get("/templates").json()["data"]
                    if t["type"] == "HW" and t["name"] == "Hot Work")
    signature = {"imageBase64": png_base64()}
    start = datetime.now(NY) + timedelta(days=3)
    made = []
    for n in range(2):
        permit = receiver.post("/permits", json={
            "templateId": template, "projectId": project["id"], "title": f"Analytics permit {n}",
            "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
            "workAreaId": new_work_area(coordinator, project["id"]), "formData": FORMS["HW"]()}).json()["data"]
        for api, verb, body in ((receiver, "submit", None), (issuer, "approve", {"signature": signature}),
                                (coordinator, "approve", {"signature": signature})):
            answer = api.post(f"/permits/{permit['id']}/{verb}", json=body)
            assert answer.status_code == 200, answer.text
        made.append(permit["id"])
    suspended = issuer.post(f"/permits/{made[0]}/suspend", json={"reason": "High winds over the roof"})
    assert suspended.status_code == 200, suspended.text

    screen = open_app(viewport="desktop", email="coordinator@permitto.example", path="analytics")
    page = screen.page
    page.get_by_role("heading", name="Analytics").wait_for()
    page.locator("#f-a-project").select_option(label=f"AN{tag}")
    page.get_by_role("button", name="Show").click()
    screen.wait_text("2 permits approved")
    approvals = page.locator("[data-figure='approval-times']")
    approvals.get_by_role("row", name="Whole review All types 2", exact=False).wait_for()
    causes = page.locator("[data-figure='suspensions']")
    causes.get_by_role("row", name="Stopped by an issuer or coordinator 1").wait_for()
    open_days = page.locator("[data-figure='open-per-day'] tbody tr").last
    assert "1" in open_days.inner_text()  # one approved, one suspended today
    for figure in ("approval-times", "open-per-day", "suspensions"):
        canvas = page.locator(f"[data-figure='{figure}'] canvas")
        page.wait_for_function("c => Number(c.dataset.points) > 0", arg=canvas.element_handle())
    with page.expect_download() as download:
        approvals.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == '"Stage","Type","Approvals","Median","90th percentile"'
    assert '"Whole review","All types","2"' in text
    screen.shot("console-analytics-desktop")
    screen.axe("analytics")

    # A range backwards is refused in the API's words, beside the field.
    page.locator("#f-from").fill("2026-06-10")
    page.locator("#f-to").fill("2026-06-01")
    page.get_by_role("button", name="Show").click()
    page.locator("#f-to-error", has_text="must not be before the first day (from)").wait_for()

    tablet = open_app(viewport="tablet", email="coordinator@permitto.example", path="analytics")
    tablet.page.locator("#f-a-project").select_option(label=f"AN{tag}")
    tablet.page.get_by_role("button", name="Show").click()
    tablet.wait_text("2 permits approved")
    tablet.shot("console-analytics-tablet")
    tablet.axe("analytics on a tablet")
    for api in (admin, coordinator, receiver, issuer):
        api.session.close()
