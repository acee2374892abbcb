"""One permit from a new draft to ACTIVE entirely through the web app, by three people in three browser
contexts: the receiver fills the step-by-step form (field errors from the API shown at the field, a
photo uploaded to storage), the issuer is told live and opens it from the in-app notification, rejects
it with a reason; the receiver revises and submits again; the issuer approves with a drawn signature;
the coordinator opens the email's link and gives final approval; then the day is confirmed in order,
the receiver's in bulk from the home screen. axe checks every screen on the way."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devstack.api_client import Api
from devstack.browser import draw_signature
from devstack.images import photo
from devstack.samples import approved_sample, new_work_area

NY = ZoneInfo("America/New_York")  # the DOWNTOWN demo project's zone


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(NY) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def api_approved_permit(new_api, tokens, ids, start: datetime, title: str) -> str:
    """A second approved permit of the same receiver, made through the API, for the bulk confirmation."""
    people = [new_api() for _ in range(3)]
    for api, role in zip(people, ("receiver.downtown", "issuer.downtown", "coordinator"), strict=True):
        api.token = tokens[role]
    return approved_sample(*people, ids["projects"]["DOWNTOWN"], start, title)["id"]


def status_of(gateway: str, token: str, permit_id: str) -> str:
    api = Api(gateway, "10.251.0.1")
    api.token = token
    try:
        return api.get(f"/permits/{permit_id}").json()["data"]["status"]
    finally:
        api.session.close()


def fill_job_details(screen, tmp_path) -> None:
    page = screen.page
    screen.fill({"Exact work location": "Level 3, stair core B",
                 "Description of the work": "Grind and re-weld the handrail brackets",
                 "Contractor / crew": "Acme Steel", "Number of workers": "2"})
    picture = tmp_path / "rams-photo.jpg"
    picture.write_bytes(photo("jpeg"))
    field = page.locator("fieldset", has_text="Method statement")
    field.get_by_test_id("file-input").set_input_files(str(picture))
    field.get_by_text("rams-photo.jpg").wait_for()


def fill_remaining_steps(screen) -> None:
    page = screen.page
    page.get_by_role("heading", name="Hazards and fire precautions").wait_for()
    page.get_by_label("Welding", exact=True).check()
    for item in ("Floors swept clean", "Fire-resistant covers", "Wall and floor openings", "Ducts and conveyors"):
        page.get_by_label(item, exact=False).check()
    page.get_by_label("Fire extinguisher at the work area", exact=False).select_option(label="CO2")
    page.locator("fieldset", has_text="Sprinklers").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Gas test").wait_for()
    screen.fill({"Flammable gas": "0", "Oxygen": "20.9", "Time of test": "06:15", "Gas test done by": "Sam Gas"})
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Fire watch").wait_for()
    screen.fill({"Fire watch (name)": "Fred Watch", "Fire watch after work ends": "60"})
    page.get_by_label("Fire watch trained", exact=False).check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Review and submit").wait_for()


@pytest.mark.timeout(300)
def test_three_people_take_a_permit_from_draft_to_active(open_app, clock, link_in_email, gateway, tokens, new_api,
                                                         ids, tmp_path):
    start = tomorrow_at(6, 30)
    clock(start)  # the permits service lives at 06:30 tomorrow: the permit below starts at once when approved
    other = api_approved_permit(new_api, tokens, ids, start, "Cut openings in the level 4 slab")
    manager = new_api()
    manager.token = tokens["coordinator"]
    stair = new_work_area(manager, ids["projects"]["DOWNTOWN"], "Stair core B")

    receiver = open_app(email="receiver.downtown@permitto.example")
    issuer = open_app(email="issuer.downtown@permitto.example")
    receiver.shot("home-receiver-phone")
    receiver.axe("the receiver's home")

    # The receiver starts a hot-work permit.
    page = receiver.page
    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Hot Work", exact=False).check()
    page.get_by_label("Title").fill("Re-weld handrail brackets, stair B")
    page.get_by_role("button", name="Next").click()  # the work area is asked for before the form opens
    page.locator("#f-workAreaId-error", has_text="Work area: is required").wait_for()
    page.get_by_label("Work area", exact=False).select_option(value=stair)
    page.locator("#f-workAreaId-error", has_text="is required").wait_for(state="detached")  # gone once chosen
    page.get_by_label("Valid from", exact=False).fill(tomorrow_at(6).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Valid to", exact=False).fill(tomorrow_at(17).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Work ends", exact=False).fill("16:30")
    receiver.shot("new-permit-basics-phone")
    receiver.axe("the new permit's first step")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Job details").wait_for()

    # Leaving a step with required answers missing: the API's reasons appear beside each field.
    page.get_by_role("button", name="Save and continue").click()
    location_error = page.locator("#f-location-error")
    location_error.wait_for()
    assert "is required" in location_error.inner_text()
    assert page.get_by_label("Exact work location", exact=False).get_attribute("aria-invalid") == "true"
    receiver.shot("new-permit-field-errors-phone")
    receiver.axe("a step with field errors")
    # A value the template refuses is named too (the API's words, at the field).
    page.get_by_label("Number of workers", exact=False).fill("500")
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#f-workers-error", has_text="at most 100").wait_for()

    fill_job_details(receiver, tmp_path)
    receiver.shot("new-permit-photo-phone")
    page.get_by_role("button", name="Save and continue").click()
    fill_remaining_steps(receiver)
    receiver.shot("new-permit-review-phone")
    receiver.axe("the review step")
    page.get_by_role("button", name="Submit for approval").click()
    page.get_by_text("Waiting for the issuer").first.wait_for()
    number = re.search(r"DOWNTOWN-HW-\d{4}-\d+", page.locator(".permit-meta").first.inner_text())
    assert number, page.locator(".permit-meta").first.inner_text()
    permit_id = page.url.rsplit("/", 1)[-1]
    page.get_by_text("08:00–16:30").wait_for()  # the working hours chosen in the first step
    receiver.shot("permit-submitted-phone")
    receiver.axe("the submitted permit")

    # The issuer's bell counts it live (SSE through the gateway); the notification opens the permit.
    issuer.page.get_by_test_id("bell-count").wait_for(timeout=20_000)
    issuer.page.get_by_role("link", name=re.compile("^Notifications")).click()
    issuer.page.get_by_text(number.group(0)).first.wait_for()
    issuer.shot("notifications-issuer-phone")
    issuer.axe("the notifications list")
    issuer.page.get_by_role("button", name=re.compile(number.group(0))).first.click()
    issuer.page.get_by_role("heading", name="Re-weld handrail brackets, stair B").wait_for()
    issuer.page.get_by_role("link", name="rams-photo.jpg").wait_for()  # the receiver's photo, with its download link
    issuer.shot("permit-detail-issuer-phone")
    issuer.axe("the permit as the issuer sees it")

    # A rejection needs a reason: said at the field; then rejected.
    issuer.page.get_by_role("button", name="Reject").click()
    issuer.page.get_by_role("heading", name="Reject").wait_for()
    issuer.page.locator(".action-panel").get_by_role("button", name="Reject").click()
    issuer.page.locator("#f-reason-error").wait_for()
    reason = "The gas test must be within the hour before work"
    issuer.page.get_by_label("Reason for rejecting", exact=False).fill(reason)
    issuer.shot("reject-panel-phone")
    issuer.axe("the reject panel")
    issuer.page.locator(".action-panel").get_by_role("button", name="Reject").click()
    issuer.page.get_by_text("Rejected by the issuer").first.wait_for()

    # The receiver is told, revises, changes the gas test time and submits again.
    receiver.page.get_by_test_id("bell-count").wait_for(timeout=20_000)
    receiver.go(f"permits/{permit_id}")
    receiver.wait_text(reason)
    receiver.page.get_by_role("button", name="Revise").click()
    receiver.page.locator(".action-panel").get_by_role("button", name="Revise").click()
    receiver.page.get_by_role("heading", name="Edit draft", exact=False).wait_for()
    for _ in range(2):  # job details and hazards are fine as they are
        receiver.page.get_by_role("button", name="Save and continue").click()
    receiver.page.get_by_role("heading", name="Gas test").wait_for()
    receiver.page.get_by_label("Time of test", exact=False).fill("06:20")
    receiver.page.get_by_role("button", name="Save and continue").click()
    receiver.page.get_by_role("heading", name="Fire watch").wait_for()
    receiver.page.get_by_role("button", name="Save and continue").click()
    receiver.page.get_by_role("button", name="Submit for approval").click()
    receiver.page.get_by_text("Waiting for the issuer").first.wait_for()

    # The issuer approves with a signature drawn on the pad (an empty pad is refused first).
    issuer.go(f"permits/{permit_id}")
    issuer.page.get_by_role("button", name="Approve").click()
    panel = issuer.page.locator(".action-panel")
    panel.get_by_role("button", name="Approve").click()
    issuer.page.get_by_text("Sign in the box first.").wait_for()
    draw_signature(issuer.page)
    issuer.shot("approve-signature-phone")
    issuer.axe("the approve panel with its signature pad")
    panel.get_by_role("button", name="Approve").click()
    issuer.page.get_by_text("Waiting for the coordinator").first.wait_for()

    # The coordinator opens the link in the email, signs in there and lands on the permit.
    # (the coordinator's first email is about the other permit, approved by the issuer through the API)
    link = link_in_email("coordinator@permitto.example", r"http://localhost:\d+/app/permits/" + permit_id)
    coordinator = open_app(viewport="desktop")
    coordinator.page.goto(link)
    coordinator.shot("sign-in-desktop")
    coordinator.axe("sign-in on a desktop")
    coordinator.page.get_by_label("Email").fill("coordinator@permitto.example")
    coordinator.page.get_by_label("Password").fill("Permitto-demo-2026")
    coordinator.page.get_by_role("button", name="Sign in").click()
    coordinator.page.get_by_role("heading", name="Re-weld handrail brackets, stair B").wait_for()
    coordinator.shot("permit-detail-coordinator-desktop")
    coordinator.page.get_by_role("button", name="Approve").click()
    draw_signature(coordinator.page)
    coordinator.page.locator(".action-panel").get_by_role("button", name="Approve").click()
    coordinator.page.get_by_text("Today not yet confirmed").first.wait_for()
    coordinator.axe("the approved permit on a desktop")

    # An hour before the day's deadline (the first day's is 09:00: the 08:00 start and the project's grace),
    # everyone whose confirmation is missing is reminded.
    clock(tomorrow_at(8, 5))

    # Today's confirmations, in order: the receiver in bulk from home (both permits), the issuer from the
    # reminder in their notifications, the coordinator with one tap on the permit.
    receiver.go("")
    receiver.page.get_by_role("heading", name="Confirm today").wait_for()
    bulk = receiver.page.get_by_role("button", name=re.compile(r"Confirm today for 2 permits"))
    bulk.wait_for()
    receiver.shot("home-daily-bulk-phone")
    receiver.axe("home with today's confirmations")
    bulk.click()
    receiver.wait_text("2 of 2 confirmed for today.")
    issuer.go("notifications")
    reminder = issuer.page.locator("li", has_text=number.group(0)).filter(has_text="waiting for today's confirmation")
    reminder.get_by_role("button", name="Confirm today").click(timeout=30_000)
    issuer.wait_text(f"{number.group(0)}: confirmed for today.")
    coordinator.page.reload()
    coordinator.page.get_by_role("button", name="Confirm today").click()
    coordinator.page.get_by_text("Active: work may go on").first.wait_for()
    coordinator.shot("permit-active-desktop")
    receiver.go(f"permits/{permit_id}")
    receiver.page.get_by_text("Active: work may go on").first.wait_for()
    receiver.page.get_by_role("cell", name=re.compile("✓")).first.wait_for()
    receiver.shot("permit-active-phone")
    receiver.axe("the active permit with its confirmation table")
    assert status_of(gateway, tokens["receiver.downtown"], permit_id) == "ACTIVE"

    # A gas alarm: the issuer stops the work with a reason and later lets it go on; the receiver asks to
    # close out; the coordinator closes with notes and a signature, and the PDF opens.
    issuer.go(f"permits/{permit_id}")
    issuer.page.get_by_role("button", name="Suspend work").click()
    issuer.page.get_by_label("Why work must stop", exact=False).fill("Gas alarm on level 3; area evacuated")
    issuer.page.locator(".action-panel").get_by_role("button", name="Suspend work").click()
    issuer.page.get_by_text("Suspended: Gas alarm on level 3; area evacuated").wait_for()
    issuer.shot("permit-suspended-phone")
    issuer.axe("a suspended permit")
    issuer.page.get_by_role("button", name="Reinstate").click()
    issuer.page.get_by_label("Why work may go on again", exact=False).fill("Gas cleared, retested at 0 % LEL")
    issuer.page.locator(".action-panel").get_by_role("button", name="Reinstate").click()
    issuer.page.get_by_text("Active: work may go on").first.wait_for()
    # (before the fire watch's hour passes the other permit's 09:00 deadline)
    deadline = time.monotonic() + 5
    while status_of(gateway, tokens["receiver.downtown"], other) != "PENDING_DAILY" and time.monotonic() < deadline:
        time.sleep(0.2)  # the other permit waits for its issuer and coordinator: only the receiver confirmed it
    assert status_of(gateway, tokens["receiver.downtown"], other) == "PENDING_DAILY"

    # Hot work: close-out names the fire watch (refused beside its field without one), the watch runs its
    # hour on the moved clock, and the fire watch signs the area clear on the receiver's phone.
    receiver.page.reload()
    receiver.page.get_by_role("button", name="Request close-out").click()
    receiver.page.locator(".action-panel").get_by_role("button", name="Request close-out").click()
    receiver.page.locator("#f-watchName-error").wait_for()
    receiver.fill({"Fire watch's name": "Fred Watch", "Company": "Acme Steel"})
    stopped = tomorrow_at(11)
    clock(stopped)
    receiver.page.locator(".action-panel").get_by_role("button", name="Request close-out").click()
    receiver.page.get_by_text("Waiting for close-out").first.wait_for()
    receiver.page.get_by_test_id("fire-watch").wait_for()
    receiver.shot("fire-watch-running-phone")
    receiver.axe("a hot-work permit under its fire watch")
    clock(stopped + timedelta(minutes=61))
    receiver.page.get_by_role("button", name="Fire watch: area clear").click()
    receiver.page.get_by_label("What the fire watch found", exact=False).fill("No smoke or hot spots; area cool")
    draw_signature(receiver.page)
    receiver.page.get_by_role("button", name="Sign the area clear").click()
    receiver.wait_text("The fire watch signed the area clear.")
    coordinator.page.reload()
    coordinator.page.get_by_role("button", name="Close permit").click()
    coordinator.page.get_by_label("Completion notes", exact=False).fill("Brackets welded, area swept, fire watch done")
    draw_signature(coordinator.page)
    coordinator.page.locator(".action-panel").get_by_role("button", name="Close permit").click()
    coordinator.page.get_by_text("Closed", exact=True).first.wait_for()
    coordinator.axe("a closed permit")
    with coordinator.context.expect_page() as opened:
        coordinator.page.get_by_role("button", name="Open the PDF").click()
    pdf = opened.value
    pdf.wait_for_load_state("commit")
    assert ".pdf" in pdf.url, pdf.url
    pdf.close()
    assert status_of(gateway, tokens["receiver.downtown"], permit_id) == "CLOSED"

    # Notifications: all marked read at once, and the bell goes quiet; preferences are a screen of their own.
    issuer.page.get_by_role("link", name=re.compile("^Notifications")).click()
    issuer.page.get_by_role("button", name="Mark all read").click()
    issuer.page.get_by_test_id("bell-count").wait_for(state="detached")
    issuer.page.get_by_role("link", name="Settings").click()
    issuer.page.get_by_role("heading", name="Notifications on this phone").wait_for()
    issuer.page.get_by_label("One daily reminder digest", exact=False).check()
    issuer.page.get_by_text("Saved.").wait_for()
    issuer.shot("settings-phone")
    issuer.axe("the settings screen")
