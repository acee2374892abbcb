"""Background jobs of the files service: thumbnails, and removal of uploads never confirmed."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from permitto_common.database import utcnow

from . import storage
from .extensions import db
from .models import StoredFile, Upload

log = logging.getLogger(__name__)
THUMBNAIL_SIZE = (320, 320)


def make_thumbnail(*, file_id: str) -> str | None:
    """A 320 px JPEG of an image (HEIC included) at thumbnails/{fileId}.jpg; idempotent."""
    import pillow_heif
    from PIL import Image, ImageOps

    pillow_heif.register_heif_opener()
    stored = db.session.get(StoredFile, uuid.UUID(file_id))
    if stored is None or stored.deleted_at is not None:
        return None
    if stored.thumbnail_key:
        return stored.thumbnail_key
    with Image.open(io.BytesIO(storage.read(stored.key))) as original:
        upright = ImageOps.exif_transpose(original)  # phones store photos sideways with an EXIF hint
        upright.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        upright.convert("RGB").save(out, format="JPEG", quality=80, optimize=True)
    key = f"thumbnails/{stored.id}.jpg"
    storage.put(key, out.getvalue(), "image/jpeg")
    stored.thumbnail_key, stored.thumbnail_ready_at = key, utcnow()
    db.session.commit()
    return key


UNCONFIRMED_TTL = timedelta(days=1)  # an upload not confirmed by then is abandoned


def cleanup_orphans(*, older_than_hours: float = UNCONFIRMED_TTL.total_seconds() / 3600) -> dict[str, int]:
    """Remove uploads never confirmed within UNCONFIRMED_TTL, and any temp/ object no upload row knows."""
    cutoff = utcnow() - timedelta(hours=older_than_hours)
    expired = 0
    for upload in db.session.scalars(select(Upload).where(Upload.status == "PENDING", Upload.created_at < cutoff)
                                     .with_for_update(skip_locked=True)):
        storage.delete(upload.key)
        upload.status, upload.reason = "EXPIRED", "never confirmed"
        expired += 1
    db.session.commit()
    known = set(db.session.scalars(select(Upload.key).where(Upload.status == "PENDING")))
    strays = 0
    for key, modified in storage.keys_under("temp/"):
        if key not in known and modified < cutoff:
            storage.delete(key)
            strays += 1
    log.info("orphan uploads removed", extra={"expired": expired, "strays": strays})
    return {"expired": expired, "strays": strays}
