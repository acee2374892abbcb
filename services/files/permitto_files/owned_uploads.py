"""Uploads whose record another service owns (the permits service): a project's site plan and the evidence
of a person's competency. A presigned PUT straight to storage, then a check of what arrived (a file of an
allowed type and size; an image's dimensions read) before the owner records it."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from permitto_common.errors import NotFound, ValidationFailed, field_error

from . import storage
from .content import sniff

MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    prefix: str  # keys are <prefix>/<owner id>/<random>.<ext>
    what: str
    types: dict[str, str]  # content type -> extension
    max_bytes: int
    accepts: str  # the types, in words
    max_side: int | None = None  # images only: the longest side in pixels


PLAN = Kind("plans", "the plan", {"image/png": "png", "image/jpeg": "jpg"}, 20 * MB, "a PNG or JPEG image",
            max_side=12_000)
EVIDENCE = Kind("evidence", "the evidence", {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"},
                10 * MB, "a PDF, or a PNG or JPEG image")
KINDS = {"site-plans": PLAN, "evidence": EVIDENCE}


def upload_ticket(kind: Kind, owner_id: uuid.UUID, content_type: str, size: int) -> dict[str, Any]:
    problems = []
    if content_type not in kind.types:
        problems.append(field_error("contentType", "must be " + " or ".join(kind.types)))
    if size <= 0 or size > kind.max_bytes:
        problems.append(field_error("size", f"must be at most {kind.max_bytes // MB} MB"))
    if problems:
        raise ValidationFailed(problems)
    key = f"{kind.prefix}/{owner_id}/{uuid.uuid4()}.{kind.types[content_type]}"
    return {"key": key, "url": storage.presigned_put(key, content_type), "headers": {"Content-Type": content_type},
            "expiresIn": storage.UPLOAD_URL_SECONDS}


def check(kind: Kind, owner_id: uuid.UUID, key: str) -> dict[str, Any]:
    """What was uploaded at key, if it is of the kind; refused (and removed) with the reason otherwise."""
    from PIL import Image

    if not key.startswith(f"{kind.prefix}/{owner_id}/"):
        raise ValidationFailed([field_error("key", f"is not an upload of {kind.what} for this owner")])
    meta = storage.head(key)
    if meta is None:
        raise ValidationFailed([field_error("key", "nothing was uploaded to the URL yet")])
    size = int(meta["ContentLength"])
    if size == 0 or size > kind.max_bytes:
        raise ValidationFailed([field_error("file", f"{kind.what} must be 1 byte to {kind.max_bytes // MB} MB")])
    data = storage.read(key)
    found = sniff(data[:512])
    if found not in kind.types:
        storage.delete(key)
        raise ValidationFailed([field_error("file", f"{kind.what} must be {kind.accepts}")])
    answer: dict[str, Any] = {"key": key, "contentType": found, "size": size}
    if found.startswith("image/"):
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Exception:
            storage.delete(key)
            raise ValidationFailed([field_error("file", "the image cannot be read")]) from None
        if kind.max_side is not None and max(width, height) > kind.max_side:
            storage.delete(key)
            raise ValidationFailed([field_error("file", f"{kind.what} is at most {kind.max_side} pixels a side")])
        answer |= {"width": width, "height": height}
    return answer


def link(kind: Kind, key: str) -> dict[str, Any]:
    if not key.startswith(f"{kind.prefix}/") or storage.head(key) is None:
        raise NotFound(f"No such upload of {kind.what}.")
    return {"url": storage.presigned_get(key), "urlExpiresIn": storage.DOWNLOAD_URL_SECONDS}
