"""Signatures are images kept by the files service; the permit records who signed, when, and the hash."""

from __future__ import annotations

import uuid
from typing import Any

from permitto_common.errors import ValidationFailed, field_error

from .extensions import files


def store_signature(permit_id: uuid.UUID, role: str, image_base64: str, user_id: uuid.UUID) -> dict[str, Any]:
    """Hand the drawn PNG to the files service; it checks it and stores it immutably."""
    response = files.post("/internal/signatures", json_body={
        "permitId": str(permit_id), "role": role, "imageBase64": image_base64, "userId": str(user_id),
    }, handles=(422,))
    if response.status == 422:
        details = [{"field": "signature.imageBase64", "message": d["message"]}
                   for d in response.body["error"].get("details", [])]
        raise ValidationFailed(details, "The signature is not a valid image.")
    data: dict[str, Any] = response.body["data"]
    return data


def signature_by_id(signature_id: uuid.UUID, *, permit_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    """A signature stored earlier through the files API: it must be this signer's, for this permit."""
    response = files.get(f"/internal/signatures/{signature_id}", handles=(404,))
    data: dict[str, Any] = response.body.get("data") or {} if response.status == 200 else {}
    if data.get("permitId") != str(permit_id) or data.get("userId") != str(user_id):
        raise ValidationFailed([field_error("signature.signatureId", "no signature of yours for this permit")])
    return data


def take(permit_id: uuid.UUID, role: str, signature: Any, user_id: uuid.UUID) -> dict[str, Any]:
    """A signature given with a request (a SignatureIn: the drawn image, or one stored earlier), stored."""
    if signature is None:
        raise ValidationFailed([field_error("signature", "a signature is required")])
    if signature.signature_id is not None:
        return signature_by_id(signature.signature_id, permit_id=permit_id, user_id=user_id)
    return store_signature(permit_id, role, signature.image_base64, user_id)
