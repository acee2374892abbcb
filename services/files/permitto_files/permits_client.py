"""What the files service asks the permits service: may this user see, or add files to, this permit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, current_app

from permitto_common.errors import APIError, NotFound
from permitto_common.internal_http import InternalClient, UpstreamError

_KEY = "permitto.permits_client"
# Files may be added while the permit is prepared, reviewed and worked; never once it is closed.
UPLOAD_STATES = {"DRAFT", "SUBMITTED", "ISSUER_APPROVED", "REJECTED_ISSUER", "REJECTED_COORD", "APPROVED",
                 "PENDING_DAILY", "ACTIVE", "SUSPENDED", "PENDING_CLOSEOUT"}
# Deleting is possible only until final approval: after it, files are part of the record.
DELETE_STATES = {"DRAFT", "SUBMITTED", "ISSUER_APPROVED", "REJECTED_ISSUER", "REJECTED_COORD"}


@dataclass(frozen=True)
class PermitView:
    id: uuid.UUID
    status: str
    number: str | None
    requester_id: str


def init_permits_client(app: Flask, base_url: str) -> None:
    app.extensions[_KEY] = InternalClient(base_url, app.config["INTERNAL_API_TOKEN"], timeout=5.0)


def permit_for(permit_id: uuid.UUID, user_id: str, role: str) -> PermitView:
    """The permit as this user may see it; 404 when they may not (or it does not exist)."""
    client: InternalClient = current_app.extensions[_KEY]
    try:
        response = client.get(f"/internal/permits/{permit_id}/access", params={"userId": user_id, "role": role},
                              raise_for_status=False)
    except UpstreamError as exc:
        raise APIError("The permits service cannot be reached; try again shortly.", status=503) from exc
    if response.status == 404 or (response.status == 200 and not response.body["data"]["visible"]):
        raise NotFound("No such permit.")
    if response.status != 200:
        raise APIError(f"The permits service answered {response.status}.", status=502)
    data = response.body["data"]
    return PermitView(permit_id, data["status"], data.get("number"), data["requesterId"])
