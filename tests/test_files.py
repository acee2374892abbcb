"""Files through the gateway against a real S3 server: the full upload flow, every refusal, cross-user
access, the 10-file race, deletion rules, thumbnails, audit, and signatures by reference."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from devstack.images import pdf, photo, png, png_base64
from devstack.samples import complete_hot_work


@pytest.fixture
def receiver(new_api, tokens):
    api = new_api()
    api.token = tokens["receiver.downtown"]
    return api


@pytest.fixture
def permit(receiver, ids, area):
    templates = {t["type"]: t["id"] for t in receiver.get("/templates").json()["data"]}
    start = datetime.now(UTC) + timedelta(hours=1)
    response = receiver.post("/permits", json={
        "templateId": templates["HW"], "projectId": ids["projects"]["DOWNTOWN"], "title": "Files test",
        "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
        "workAreaId": area(), "formData": complete_hot_work()})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def upload(api, permit_id, data, *, name="doc.pdf", content_type="application/pdf", size=None, put_type=None):
    ticket = api.post("/files/upload-url", json={"permitId": permit_id, "fileName": name,
                                                 "contentType": content_type,
                                                 "size": len(data) if size is None else size})
    assert ticket.status_code == 201, ticket.text
    ticket = ticket.json()["data"]
    put = requests.put(ticket["url"], data=data, headers={"Content-Type": put_type or content_type}, timeout=60)
    assert put.status_code == 200, put.text
    return ticket


def test_full_upload_flow_and_download(receiver, permit, tokens, new_api):
    data = pdf(pages=2)
    ticket = upload(receiver, permit["id"], data, name="../Method statement (signed).pdf")
    assert ticket["key"].startswith(f"temp/{ticket['uploadId']}/")
    confirmed = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
    assert confirmed.status_code == 201, confirmed.text
    stored = confirmed.json()["data"]
    assert stored["name"] == "Method statement (signed).pdf"
    assert stored["size"] == len(data)
    assert requests.get(stored["downloadUrl"], timeout=30).content == data
    again = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
    assert again.status_code == 409
    listed = receiver.get(f"/permits/{permit['id']}/files").json()["data"]
    assert [f["id"] for f in listed] == [stored["id"]]
    # Both lists carry short-lived links (signed when asked, so they differ by the second they were made).
    def without_links(files):
        return [{k: v for k, v in f.items() if not k.endswith(("Url", "UrlExpiresIn"))} for f in files]

    assert requests.get(listed[0]["downloadUrl"], timeout=30).content == data
    assert without_links(receiver.get("/files", params={"permitId": permit["id"]}).json()["data"]) == \
        without_links(listed)
    # the upload is on the permit's audit trail (written by the permits worker)
    deadline = time.monotonic() + 15
    actions = []
    while time.monotonic() < deadline and "file_uploaded" not in actions:
        actions = [e["action"] for e in receiver.get(f"/permits/{permit['id']}/timeline").json()["data"]]
        time.sleep(0.2)
    assert "file_uploaded" in actions


@pytest.mark.parametrize("kind", ["jpeg", "heic"])
def test_images_get_thumbnails(receiver, permit, kind):
    data = photo(kind, 1200, 900)
    ticket = upload(receiver, permit["id"], data, name=f"site.{kind}", content_type=f"image/{kind}")
    stored = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).json()["data"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not stored["thumbnailReady"]:
        time.sleep(0.2)
        stored = receiver.get(f"/files/{stored['id']}").json()["data"]
    assert stored["thumbnailReady"] is True
    thumb = requests.get(stored["thumbnailUrl"], timeout=30)
    assert thumb.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(("body", "field"), [
    ({"fileName": "page.html", "contentType": "text/html", "size": 10}, "contentType"),
    ({"fileName": "big.pdf", "contentType": "application/pdf", "size": 25 * 1024 * 1024 + 1}, "size"),
    ({"fileName": "empty.pdf", "contentType": "application/pdf", "size": 0}, "size"),
])
def test_refused_before_any_upload(receiver, permit, body, field):
    response = receiver.post("/files/upload-url", json={"permitId": permit["id"], **body})
    assert response.status_code == 422
    assert field in {d["field"] for d in response.json()["error"]["details"]}


@pytest.mark.parametrize(("data", "declared", "name", "message"), [
    (png(), "application/pdf", "renamed.pdf", "the content is image/png, not application/pdf"),
    (b"<html><script>alert(1)</script></html>", "image/png", "x.png", "not an allowed type"),
    (b"", "application/pdf", "empty.pdf", "the file is empty"),
])
def test_refused_at_confirm_and_removed(receiver, permit, data, declared, name, message, system):
    ticket = upload(receiver, permit["id"], data, name=name, content_type=declared, size=len(data) or 5)
    response = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
    assert response.status_code == 422
    assert message in response.json()["error"]["details"][0]["message"]
    head = requests.head(f"http://127.0.0.1:{system.ports['s3']}/permitto-dev/{ticket['key']}", timeout=10)
    assert head.status_code == 404  # the refused object is gone
    assert receiver.get(f"/permits/{permit['id']}/files").json()["data"] == []


def test_declared_size_must_match(receiver, permit):
    ticket = upload(receiver, permit["id"], pdf(), size=len(pdf()) + 100)
    response = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
    assert response.status_code == 422
    assert "not the" in response.json()["error"]["details"][0]["message"]


def test_confirm_without_an_upload_changes_nothing(receiver, permit):
    ticket = receiver.post("/files/upload-url", json={"permitId": permit["id"], "fileName": "a.pdf",
                                                      "contentType": "application/pdf", "size": 100}).json()["data"]
    response = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "uploadId"


def test_other_users_cannot_see_or_touch_the_files(receiver, permit, new_api, tokens):
    ticket = upload(receiver, permit["id"], pdf())
    stored = receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).json()["data"]
    for role in ("receiver.harbor", "issuer.harbor"):
        other = new_api()
        other.token = tokens[role]
        assert other.get(f"/files/{stored['id']}").status_code == 404
        assert other.get(f"/permits/{permit['id']}/files").status_code == 404
        assert other.delete(f"/files/{stored['id']}").status_code == 404
        assert other.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).status_code == 404
        assert other.post("/files/upload-url", json={"permitId": permit["id"], "fileName": "x.pdf",
                                                     "contentType": "application/pdf", "size": 9}).status_code == 404
    admin = new_api()
    admin.token = tokens["admin"]
    assert admin.post("/files/upload-url", json={"permitId": permit["id"], "fileName": "x.pdf",
                                                 "contentType": "application/pdf", "size": 9}).status_code == 403
    assert receiver.get(f"/files/{uuid.uuid4()}").status_code == 404


def test_ten_files_at_most_even_when_two_confirms_race(receiver, permit):
    for n in range(8):
        ticket = upload(receiver, permit["id"], pdf(), name=f"doc{n}.pdf")
        assert receiver.post("/files/confirm", json={"uploadId": ticket["uploadId"]}).status_code == 201
    tickets = [upload(receiver, permit["id"], pdf(), name=f"race{n}.pdf") for n in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda t: receiver.post("/files/confirm", json={"uploadId": t["uploadId"]}
                                                         ).status_code, tickets))
    assert sorted(statuses) == [201, 201, 422]
    assert len(receiver.get(f"/permits/{permit['id']}/files").json()["data"]) == 10
    full = receiver.post("/files/upload-url", json={"permitId": permit["id"], "fileName": "eleven.pdf",
                                                    "contentType": "application/pdf", "size": 100})
    assert full.status_code == 409


def test_files_can_be_deleted_until_approval_then_are_archived(receiver, permit, new_api, tokens):
    first = receiver.post("/files/confirm", json={"uploadId": upload(receiver, permit["id"], pdf())["uploadId"]})
    assert receiver.delete(f"/files/{first.json()['data']['id']}").status_code == 200
    assert receiver.get(f"/files/{first.json()['data']['id']}").status_code == 404
    kept = receiver.post("/files/confirm", json={"uploadId": upload(receiver, permit["id"], pdf())["uploadId"]}
                         ).json()["data"]
    receiver.post(f"/permits/{permit['id']}/submit")
    issuer, coordinator = new_api(), new_api()
    issuer.token, coordinator.token = tokens["issuer.downtown"], tokens["coordinator"]
    assert issuer.delete(f"/files/{kept['id']}").status_code == 403  # not the uploader, not a coordinator
    signature = issuer.post("/files/signatures", json={"permitId": permit["id"], "imageBase64": png_base64()})
    assert signature.status_code == 201, signature.text
    approved = issuer.post(f"/permits/{permit['id']}/approve",
                           json={"signature": {"signatureId": signature.json()["data"]["id"]}})
    assert approved.status_code == 200, approved.text
    assert approved.json()["data"]["signatures"][0]["sha256"] == signature.json()["data"]["sha256"]
    coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": {"imageBase64": png_base64()}})
    refused = coordinator.delete(f"/files/{kept['id']}")
    assert refused.status_code == 409
    assert "archived" in refused.json()["error"]["message"]


def test_a_signature_of_someone_else_cannot_be_used(receiver, permit, new_api, tokens):
    receiver.post(f"/permits/{permit['id']}/submit")
    coordinator = new_api()
    coordinator.token = tokens["coordinator"]
    theirs = coordinator.post("/files/signatures", json={"permitId": permit["id"], "imageBase64": png_base64()})
    issuer = new_api()
    issuer.token = tokens["issuer.downtown"]
    response = issuer.post(f"/permits/{permit['id']}/approve",
                           json={"signature": {"signatureId": theirs.json()["data"]["id"]}})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "signature.signatureId"
