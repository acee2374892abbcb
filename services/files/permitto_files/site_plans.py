"""Site plans of projects (for the permits service, which owns the plan's record): a presigned PUT straight
to storage, then a check of what arrived (an image of the declared type and size, its dimensions read)."""

from __future__ import annotations

import io
import uuid
from typing import Any

from permitto_common.errors import ValidationFailed, field_error

from . import storage
from .content import sniff

PLAN_TYPES = {"image/png": "png", "image/jpeg": "jpg"}
MAX_PLAN_BYTES = 20 * 1024 * 1024
MAX_PLAN_SIDE = 12_000


def upload_ticket(project_id: uuid.UUID, content_type: str, size: int) -> dict[str, Any]:
    problems = []
    if content_type not in PLAN_TYPES:
        problems.append(field_error("contentType", "must be image/png or image/jpeg"))
    if size <= 0 or size > MAX_PLAN_BYTES:
        problems.append(field_error("size", f"must be at most {MAX_PLAN_BYTES // (1024 * 1024)} MB"))
    if problems:
        raise ValidationFailed(problems)
    key = f"plans/{project_id}/{uuid.uuid4()}.{PLAN_TYPES[content_type]}"
    return {"key": key, "url": storage.presigned_put(key, content_type), "headers": {"Content-Type": content_type},
            "expiresIn": storage.UPLOAD_URL_SECONDS}


def check(project_id: uuid.UUID, key: str) -> dict[str, Any]:
    """What was uploaded at key, if it is a plan image; refused with the reason otherwise."""
    from PIL import Image

    if not key.startswith(f"plans/{project_id}/"):
        raise ValidationFailed([field_error("key", "is not an upload of this project's plan")])
    meta = storage.head(key)
    if meta is None:
        raise ValidationFailed([field_error("key", "nothing was uploaded to the URL yet")])
    size = int(meta["ContentLength"])
    if size == 0 or size > MAX_PLAN_BYTES:
        raise ValidationFailed([field_error("file", f"the plan must be 1 byte to {MAX_PLAN_BYTES // 1048576} MB")])
    data = storage.read(key)
    kind = sniff(data[:512])
    if kind not in PLAN_TYPES:
        storage.delete(key)
        raise ValidationFailed([field_error("file", "the plan must be a PNG or JPEG image")])
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:
        storage.delete(key)
        raise ValidationFailed([field_error("file", "the image cannot be read")]) from None
    if max(width, height) > MAX_PLAN_SIDE:
        storage.delete(key)
        raise ValidationFailed([field_error("file", f"the plan is at most {MAX_PLAN_SIDE} pixels a side")])
    return {"key": key, "contentType": kind, "size": size, "width": width, "height": height}


def link(key: str) -> dict[str, Any]:
    return {"url": storage.presigned_get(key), "urlExpiresIn": storage.DOWNLOAD_URL_SECONDS}
