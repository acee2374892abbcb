"""Signature images handed over by the permits service: checked, stored, addressed by permit and role."""

import base64
import hashlib
import uuid

import pytest

from devstack.images import png
from permitto_files.storage import storage_client, storage_settings


def post(client, app, body, token=True):
    headers = {"X-Internal-Token": app.config["INTERNAL_API_TOKEN"]} if token else {}
    return client.post("/internal/signatures", json=body, headers=headers)


def test_a_drawn_png_is_stored_under_the_permit(client, app):
    permit_id = str(uuid.uuid4())
    image = png()
    response = post(client, app, {"permitId": permit_id, "role": "ISSUER",
                                  "imageBase64": "data:image/png;base64," + base64.b64encode(image).decode()})
    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert data["key"].startswith(f"signatures/{permit_id}/issuer-")
    assert data["key"].endswith(".png")
    assert data["sha256"] == hashlib.sha256(image).hexdigest()
    stored = storage_client(app).get_object(Bucket=storage_settings(app).bucket, Key=data["key"])
    assert stored["Body"].read() == image
    assert stored["ContentType"] == "image/png"


@pytest.mark.parametrize(("payload", "message"), [
    (base64.b64encode(b"<html>not an image</html>").decode(), "is not a PNG image"),
    (base64.b64encode(png()[:-20]).decode(), "truncated"),
    (base64.b64encode(png()[:40] + b"X" + png()[41:]).decode(), "corrupt"),
    ("%%%not-base64%%%", "is not valid base64"),
    (base64.b64encode(png(width=5000, height=10)).decode(), "at most 4096"),
])
def test_anything_but_a_sound_png_is_refused(client, app, payload, message):
    response = post(client, app, {"permitId": str(uuid.uuid4()), "role": "ISSUER", "imageBase64": payload})
    assert response.status_code == 422
    [detail] = response.json["error"]["details"]
    assert detail["field"] == "imageBase64"
    assert message in detail["message"]


def test_only_services_may_store_signatures(client, app):
    response = post(client, app, {"permitId": str(uuid.uuid4()), "role": "ISSUER",
                                  "imageBase64": base64.b64encode(png()).decode()}, token=False)
    assert response.status_code == 403
