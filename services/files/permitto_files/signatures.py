"""Signature images: checked, stored once under signatures/{permitId}/{role}-{timestamp}.png, never replaced."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import UTC, datetime

from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.errors import ValidationFailed, field_error

from .extensions import db
from .images import png_problem
from .models import SignatureImage
from .storage import storage_client, storage_settings

MAX_SIGNATURE_BYTES = 512 * 1024


def store_signature(permit_id: uuid.UUID, role: str, image_base64: str, *,
                    user_id: uuid.UUID | None = None) -> SignatureOut:
    raw_text = image_base64.split(",", 1)[1] if image_base64.startswith("data:") else image_base64
    try:
        data = base64.b64decode(raw_text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed([field_error("imageBase64", "is not valid base64")]) from None
    if not data:
        raise ValidationFailed([field_error("imageBase64", "is empty")])
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationFailed([field_error("imageBase64", f"must be at most {MAX_SIGNATURE_BYTES // 1024} KB")])
    problem = png_problem(data)
    if problem:
        raise ValidationFailed([field_error("imageBase64", problem)])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"signatures/{permit_id}/{role.lower()}-{stamp}.png"
    digest = hashlib.sha256(data).hexdigest()
    storage_client().put_object(
        Bucket=storage_settings().bucket, Key=key, Body=data, ContentType="image/png",
        Metadata={"sha256": digest, "permit-id": str(permit_id), "role": role},
    )
    record = SignatureImage(permit_id=permit_id, user_id=user_id, role=role, key=key, sha256=digest, size=len(data))
    db.session.add(record)
    db.session.commit()
    return signature_out(record)


class SignatureOut(TypedDict):
    id: str
    permitId: str
    userId: str | None
    role: str
    key: str
    sha256: str
    size: int
    createdAt: str


def signature_out(record: SignatureImage) -> SignatureOut:
    return {"id": str(record.id), "permitId": str(record.permit_id), "userId": str(record.user_id) if record.user_id
            else None, "role": record.role, "key": record.key, "sha256": record.sha256, "size": record.size,
            "createdAt": record.created_at.isoformat()}
