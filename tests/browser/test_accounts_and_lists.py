"""Accounts in the web app (an invitation accepted from its email, sign in and out, a forgotten password
reset from its email, a password change, a silent refresh, a revoked session), and the permit list
(filters, pages) and file refusals, at phone and desktop sizes."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from devstack.api_client import Api, unique_email
from devstack.images import png

NEW_PASSWORD = "Scaffold-tag-green-77"


SET_PASSWORD = r"http://localhost:\d+/app/set-password\?token=[A-Za-z0-9_\-]+&kind="


def admin_api(gateway, tokens) -> Api:
    api = Api(gateway, "10.253.0.1")
    api.token = tokens["admin"]
    return api


def test_an_invited_user_accepts_signs_in_resets_changes_and_is_revoked(open_app, gateway, tokens, ids,
                                                                       link_in_email):
    admin = admin_api(gateway, tokens)
    address = unique_email("invited")
    invited = admin.post("/users", json={"email": address, "name": "Ines Invited", "role": "RECEIVER",
                                         "projectIds": [ids["projects"]["DOWNTOWN"]]})
    assert invited.status_code == 201, invited.text
    user_id = invited.json()["data"]["id"]

    # The invitation's link opens the app's own screen for it.
    screen = open_app()
    page = screen.page
    page.goto(link_in_email(address, SET_PASSWORD + "invitation"))
    page.get_by_role("heading", name="Accept your invitation").wait_for()
    screen.shot("invitation-phone")
    screen.axe("the invitation screen")
    page.get_by_label("New password").fill("too-short")
    page.get_by_label("Repeat the password").fill("too-short")
    page.get_by_role("button", name="Set password").click()
    page.locator("#f-password-error").wait_for()  # the API's reason, beside the field
    assert "12" in page.locator("#f-password-error").inner_text()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set password").click()
    page.locator("#f-confirm-error", has_text="must repeat the password").wait_for()
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_text("Your password is set").wait_for()

    # Sign in: a wrong password is refused in words, the right one opens home.
    page.get_by_role("link", name="Go to sign in").click()
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.locator(".alert-error").wait_for()
    screen.shot("sign-in-refused-phone")
    screen.axe("a refused sign-in")
    screen.sign_in(address, NEW_PASSWORD)

    # An access token that has run out is refreshed without the user noticing.
    screen.context.clear_cookies(name="access_token_cookie")
    page.get_by_role("link", name="Permits", exact=True).click()
    page.get_by_role("heading", name="Permits").wait_for()
    page.get_by_text("No permit matches.").wait_for()
    assert any(c["name"] == "access_token_cookie" for c in screen.context.cookies())

    # Change password: the current one is checked, then every session ends and sign-in says why.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Change password").click()
    page.get_by_label("Current password").fill("wrong-current-password")
    page.get_by_label("New password").fill("Another-strong-pass-88")
    page.get_by_role("button", name="Change password").click()
    page.locator("#f-currentPassword-error", has_text="The current password is wrong.").wait_for()
    screen.shot("change-password-refused-phone")
    screen.axe("the change-password screen")
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Password changed.").wait_for()
    page.get_by_role("heading", name="Sign in to Permitto").wait_for()

    # Forgot password, from the sign-in screen; the email's link sets a new one.
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_text("a reset link is on its way").wait_for()
    screen.axe("the forgot-password screen")
    page.goto(link_in_email(address, SET_PASSWORD + "password_reset"))
    page.get_by_role("heading", name="Choose a new password").wait_for()
    page.get_by_label("New password").fill("Reset-by-email-pass-99")
    page.get_by_label("Repeat the password").fill("Reset-by-email-pass-99")
    page.get_by_role("button", name="Set password").click()
    page.get_by_text("Your password is set").wait_for()
    page.get_by_role("link", name="Go to sign in").click()
    screen.sign_in(address, "Reset-by-email-pass-99")

    # Sign out, and in again; then an administrator deactivates the account: the next action lands on
    # sign-in with a message, not on a broken screen.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    screen.sign_in(address, "Reset-by-email-pass-99")
    assert admin.delete(f"/users/{user_id}").status_code == 200
    page.get_by_role("link", name="Permits", exact=True).click()
    page.get_by_text("Your session has ended. Sign in again to go on.").wait_for()
    screen.shot("session-ended-phone")
    admin.session.close()


def upload_via_api(api: Api, permit_id: str, name: str) -> None:
    data = png(stroke=len(name))
    ticket = api.post("/files/upload-url", json={"permitId": permit_id, "fileName": name, "contentType": "image/png",
                                                 "size": len(data)}).json()["data"]
    assert requests.put(ticket["url"], data=data, headers={"Content-Type": "image/png"}, timeout=30).status_code == 200
    assert api.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).status_code == 201


def test_the_list_filters_and_pages_and_files_are_refused_in_words(open_app, gateway, tokens, ids, tmp_path):
    receiver = Api(gateway, "10.253.0.2")
    receiver.token = tokens["receiver.harbor"]
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "WAH")
    made = [receiver.post("/permits", json={
        "templateId": template, "projectId": ids["projects"]["HARBOR"], "title": f"Scaffold inspection bay {n:02}",
        "validFrom": "2027-03-01T08:00:00", "validTo": "2027-03-03T17:00:00"}).json()["data"] for n in range(23)]

    screen = open_app(viewport="desktop", email="receiver.harbor@permitto.example")
    page = screen.page
    page.get_by_role("link", name="Permits", exact=True).click()
    page.get_by_label("Search").fill("scaffold inspection")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("permit-list").get_by_role("listitem")
    expect(rows).to_have_count(20)
    screen.shot("permit-list-desktop")
    screen.axe("the permit list on a desktop")
    page.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(23)
    assert page.get_by_role("button", name="Show more").count() == 0
    page.get_by_label("State").select_option(label="Waiting for the issuer")
    page.get_by_text("No permit matches.").wait_for()
    page.get_by_label("State").select_option(label="Draft")
    expect(rows).to_have_count(20)
    assert "status=DRAFT" in page.url  # the filter is in the address: the back button and a shared link keep it
    rows.first.get_by_role("link").click()
    page.get_by_role("heading", name=re.compile("Scaffold inspection bay")).wait_for()

    # A working-at-height draft goes on in the step-by-step form: its access step has a date field.
    page.get_by_role("link", name="Continue editing").click()
    page.get_by_role("heading", name="Job details").wait_for()
    screen.fill({"Exact work location": "Bay 22, north elevation",
                 "Description of the work": "Weekly scaffold inspection and tagging",
                 "Contractor / crew": "Harbor Scaffolding", "Number of workers": "2"})
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Access and height").wait_for()
    screen.fill({"Scaffold / MEWP inspection date": "2027-02-26", "Working height": "14.5"})
    page.get_by_label("Access equipment", exact=False).select_option(index=1)
    page.locator("fieldset", has_text="Wind and weather").get_by_role("radio").first.check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Fall protection").wait_for()
    screen.shot("new-permit-step-desktop")
    screen.axe("a form step on a desktop")
    edited = receiver.get(f"/permits/{made[22]['id']}").json()["data"]["formData"]
    assert edited["scaffold_tag_date"] == "2027-02-26"
    assert edited["height_m"] == 14.5

    # The project switcher narrows what home and the list show to one project.
    both = open_app(email="receiver.both@permitto.example")
    switch = both.page.get_by_label("Project", exact=True)
    assert set(switch.locator("option").all_inner_texts()) >= {"All projects", "DOWNTOWN", "HARBOR"}
    switch.select_option(label="HARBOR")
    both.page.get_by_role("link", name="Permits", exact=True).click()
    both.page.get_by_role("heading", name="Permits").wait_for()
    assert both.page.locator("#filter-project").input_value() == ids["projects"]["HARBOR"]

    # Files on a phone: a type the service does not take, then the eleventh file, each refused in words.
    permit_id = made[0]["id"]
    phone = open_app(email="receiver.harbor@permitto.example", path=f"permits/{permit_id}")
    phone.page.get_by_role("heading", name="Scaffold inspection bay 00").wait_for()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    phone.page.get_by_test_id("file-input").set_input_files(str(notes))
    phone.page.get_by_text("File type: must be one of application/pdf").wait_for()
    for n in range(10):
        upload_via_api(receiver, permit_id, f"scaffold-tag-{n}.png")
    phone.page.reload()
    phone.page.get_by_role("link", name="scaffold-tag-9.png").wait_for()
    photo_file = tmp_path / "one-more.png"
    photo_file.write_bytes(png())
    phone.page.get_by_test_id("file-input").set_input_files(str(photo_file))
    phone.page.get_by_text("A permit holds at most 10 files.").wait_for()
    phone.shot("permit-files-refused-phone")
    phone.axe("the permit page with a refused upload")

    # The receiver cancels a draft (a reason is optional for their own draft).
    phone.page.get_by_role("button", name="Cancel permit").click()
    phone.page.locator(".action-panel").get_by_role("button", name="Cancel permit").click()
    phone.page.get_by_text("Cancelled", exact=True).first.wait_for()
    assert receiver.get(f"/permits/{permit_id}").json()["data"]["status"] == "CANCELLED"
    receiver.session.close()
