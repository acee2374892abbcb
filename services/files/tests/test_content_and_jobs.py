"""File types from content, safe names, thumbnails (HEIC included) and orphan clean-up on a real S3 server."""

import uuid
from datetime import timedelta

import pytest

from devstack.images import pdf, photo, png
from permitto_common.database import utcnow
from permitto_files import storage
from permitto_files.content import display_name, sniff, storage_name
from permitto_files.extensions import db
from permitto_files.jobs import cleanup_orphans, make_thumbnail
from permitto_files.models import StoredFile, Upload


@pytest.mark.parametrize(("data", "expected"), [
    (pdf(), "application/pdf"),
    (photo("jpeg"), "image/jpeg"),
    (png(), "image/png"),
    (photo("heic"), "image/heic"),
    (b"<html><body>hi</body></html>", None),
    (b"", None),
    (b"GIF89a....", None),
])
def test_type_comes_from_the_first_bytes(data, expected):
    assert sniff(data[:512]) == expected


@pytest.mark.parametrize(("given", "shown", "stored"), [
    ("../../etc/passwd", "passwd", "passwd"),
    ("C:\\Users\\ann\\gas test.pdf", "gas test.pdf", "gas_test.pdf"),
    ("réseau\u0000\u202e.pdf", "réseau.pdf", "reseau.pdf"),
    ("Schweißnaht.jpg", "Schweißnaht.jpg", "Schwei_naht.jpg"),
    ("東京 現場.heic", "東京 現場.heic", "file.heic"),
    ("...", "file", "file"),
    ("a" * 300 + ".jpeg", "a" * 115 + ".jpeg", "a" * 95 + ".jpeg"),
    ("plan <v2>;rm -rf.png", "plan <v2>;rm -rf.png", "plan_v2_rm_-rf.png"),
])
def test_names_are_kept_for_people_and_made_safe_for_storage(given, shown, stored):
    assert display_name(given) == shown
    assert storage_name(given) == stored


@pytest.mark.parametrize("kind", ["jpeg", "png", "heic"])
def test_thumbnails_of_every_image_type(app, kind):
    from io import BytesIO

    from PIL import Image

    stored = StoredFile(permit_id=uuid.uuid4(), uploader_id=uuid.uuid4(), name=f"site.{kind}",
                        content_type=f"image/{kind}", size=1, key=f"documents/test/{uuid.uuid4()}.{kind}")
    storage.put(stored.key, photo(kind, 1600, 1200), stored.content_type)
    db.session.add(stored)
    db.session.commit()
    key = make_thumbnail(file_id=str(stored.id))
    assert key == f"thumbnails/{stored.id}.jpg"
    assert stored.thumbnail_ready_at is not None
    with Image.open(BytesIO(storage.read(key))) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 320
    assert make_thumbnail(file_id=str(stored.id)) == key  # idempotent


def test_unconfirmed_uploads_and_stray_temp_objects_are_removed(app):
    old = Upload(permit_id=uuid.uuid4(), uploader_id=uuid.uuid4(), uploader_role="RECEIVER", name="a.pdf",
                 content_type="application/pdf", declared_size=10, key=f"temp/{uuid.uuid4()}/a.pdf",
                 created_at=utcnow() - timedelta(days=2), expires_at=utcnow() - timedelta(days=2))
    fresh = Upload(permit_id=uuid.uuid4(), uploader_id=uuid.uuid4(), uploader_role="RECEIVER", name="b.pdf",
                   content_type="application/pdf", declared_size=10, key=f"temp/{uuid.uuid4()}/b.pdf",
                   expires_at=utcnow())
    db.session.add_all([old, fresh])
    db.session.commit()
    for key in (old.key, fresh.key, f"temp/{uuid.uuid4()}/stray.pdf"):
        storage.put(key, pdf(), "application/pdf")
    result = cleanup_orphans()
    assert result["expired"] == 1
    assert old.status == "EXPIRED"
    assert storage.head(old.key) is None
    assert storage.head(fresh.key) is not None  # still within its day
    # objects no upload knows, once older than the window, go too (and so does the fresh upload, now)
    again = cleanup_orphans(older_than_hours=0)
    assert again["strays"] >= 1
    assert again["expired"] == 1
    assert fresh.status == "EXPIRED"


def test_system_pdfs_are_stored_for_other_services(client, app):
    permit_id = uuid.uuid4()
    headers = {"X-Internal-Token": app.config["INTERNAL_API_TOKEN"], "Content-Type": "application/pdf"}
    stored = client.put(f"/internal/documents/{permit_id}/pdf?name=permit-SITE-HW-2026-001.pdf", data=pdf(),
                        headers=headers)
    assert stored.status_code == 201
    assert stored.json["data"]["key"] == f"pdfs/{permit_id}/permit-SITE-HW-2026-001.pdf"
    refused = client.put(f"/internal/documents/{permit_id}/pdf?name=x.pdf", data=b"<html>", headers=headers)
    assert refused.status_code == 422
    link = client.get(f"/internal/documents/{permit_id}/permit-SITE-HW-2026-001.pdf", headers=headers)
    assert link.json["data"]["size"] == len(pdf())
