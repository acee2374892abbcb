"""Signatures are images kept by the files service; the permit records who signed, when, and the hash."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, current_app

from permitto_common.errors import APIError, ValidationFailed, field_error
from permitto_common.internal_http import InternalClient, UpstreamError

_KEY = "permitto.files_client"


def init_files_client(app: Flask, base_url: str) -> None:
    app.extensions[_KEY] = InternalClient(base_url, app.config["INTERNAL_API_TOKEN"], timeout=10.0)


def files_client() -> InternalClient:
    client: InternalClient = current_app.extensions[_KEY]
    return client


def store_signature(permit_id: uuid.UUID, role: str, image_base64: str, user_id: uuid.UUID) -> dict[str, Any]:
    """Hand the drawn PNG to the files service; it checks it and stores it immutably."""
    client: InternalClient = current_app.extensions[_KEY]
    try:
        response = client.post("/internal/signatures", json_body={
            "permitId": str(permit_id), "role": role, "imageBase64": image_base64, "userId": str(user_id),
        }, raise_for_status=False)
    except UpstreamError as exc:
        raise APIError("The files service cannot store the signature right now; try again.", status=503) from exc
    if response.status == 422:
        details = [{"field": "signature.imageBase64", "message": d["message"]}
                   for d in response.body["error"].get("details", [])]
        raise ValidationFailed(details, "The signature is not a valid image.")
    if response.status != 201:
        raise APIError(f"The files service answered {response.status}.", status=502)
    data: dict[str, Any] = response.body["data"]
    return data


def signature_by_id(signature_id: uuid.UUID, *, permit_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    """A signature stored earlier through the files API: it must be this signer's, for this permit."""
    client: InternalClient = current_app.extensions[_KEY]
    try:
        response = client.get(f"/internal/signatures/{signature_id}", raise_for_status=False)
    except UpstreamError as exc:
        raise APIError("The files service cannot be reached; try again.", status=503) from exc
    data: dict[str, Any] = response.body.get("data") or {} if response.status == 200 else {}
    if data.get("permitId") != str(permit_id) or data.get("userId") != str(user_id):
        raise ValidationFailed([field_error("signature.signatureId", "no signature of yours for this permit")])
    return data
