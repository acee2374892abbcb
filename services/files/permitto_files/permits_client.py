"""What the files service asks the permits service: may this user see, or add files to, this permit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from permitto_common.errors import NotFound

from .extensions import permits

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


def permit_for(permit_id: uuid.UUID, user_id: str, role: str) -> PermitView:
    """The permit as this user may see it; 404 when they may not (or it does not exist)."""
    response = permits.get(f"/internal/permits/{permit_id}/access", params={"userId": user_id, "role": role},
                           handles=(404,))
    if response.status == 404 or not response.body["data"]["visible"]:
        raise NotFound("No such permit.")
    data = response.body["data"]
    return PermitView(permit_id, data["status"], data.get("number"), data["requesterId"])
