"""The public "verify this permit" page (docs/domain.md, "Verifying a permit"): the QR code on the printed
permit opens it without signing in. Its link carries the permit's id and an HMAC of it under the service's
VERIFY_LINK_SECRET, so a link cannot be guessed from a number nor altered; the page says whether the permit
is valid right now and shows no personal data beyond the holder's first name and the company."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from permitto_common.errors import NotFound

from . import clock
from .directory import directory
from .extensions import db
from .models import DailyApproval, Permit, WorkArea
from .pdf.render import TYPE_NAMES

SIGNATURE_BYTES = 12  # 96 bits: far beyond guessing, short enough for a small QR code
# What the page says of each state: colour, headline, what it means for the person reading it.
VERDICTS: dict[str, tuple[str, str, str]] = {
    "ACTIVE": ("green", "VALID NOW", "Today's confirmations are given: work may go on within the hours below."),
    "APPROVED": ("amber", "NOT ACTIVE YET", "Approved; its work day has not opened yet."),
    "PENDING_DAILY": ("amber", "NOT ACTIVE TODAY", "Waiting for today's confirmations: no work until then."),
    "SUBMITTED": ("amber", "NOT APPROVED", "Waiting for approval: no work under it yet."),
    "ISSUER_APPROVED": ("amber", "NOT APPROVED", "Waiting for final approval: no work under it yet."),
    "SUSPENDED": ("red", "SUSPENDED — STOP WORK", "Work under this permit must stop."),
    "PENDING_CLOSEOUT": ("red", "ENDED", "The work is over; the permit waits for close-out."),
    "CLOSED": ("red", "CLOSED", "This permit is closed: no work under it."),
    "CANCELLED": ("red", "CANCELLED", "This permit was cancelled: no work under it."),
}
NOT_A_PERMIT = ("red", "NOT VALID", "This is not an approved permit.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(permit_id: uuid.UUID) -> bytes:
    key = current_app.config["VERIFY_LINK_SECRET"].encode()
    return hmac.new(key, b"permit-verify:" + permit_id.bytes, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def token(permit_id: uuid.UUID) -> str:
    return f"{_b64(permit_id.bytes)}.{_b64(_mac(permit_id))}"


def link(permit_id: uuid.UUID) -> str:
    """The public address the QR code carries: the site's origin, /verify/, the token."""
    app_url = current_app.config["APP_URL"].rstrip("/")
    origin = app_url.removesuffix("/app")
    return f"{origin}/verify/{token(permit_id)}"


def permit_of(raw: str) -> Permit:
    """The permit a token names; NotFound for anything forged, altered or unknown (never which)."""
    try:
        encoded_id, encoded_mac = raw.split(".")
        permit_id = uuid.UUID(bytes=_unb64(encoded_id))
        given = _unb64(encoded_mac)
    except (ValueError, TypeError):
        raise NotFound("No such permit.") from None
    if not hmac.compare_digest(given, _mac(permit_id)):
        raise NotFound("No such permit.")
    permit = db.session.get(Permit, permit_id)
    if permit is None or permit.number is None:
        raise NotFound("No such permit.")
    return permit


def status_of(permit: Permit, now: datetime | None = None) -> dict[str, Any]:
    """What the page shows: the facts of the permit and its verdict now, nothing personal but a first name."""
    now = now or clock.now()
    colour, headline, meaning = VERDICTS.get(permit.status, NOT_A_PERMIT)
    if permit.status == "ACTIVE" and not (permit.valid_from <= now < permit.valid_to):
        colour, headline, meaning = "red", "NOT VALID NOW", "Outside the permit's validity."
    area = db.session.get(WorkArea, permit.work_area_id) if permit.work_area_id else None
    project = directory().project(permit.project_id) or {"name": permit.project_code}
    holder = directory().users({str(permit.requester_id)}).get(str(permit.requester_id), {})
    last = db.session.scalar(select(DailyApproval).where(DailyApproval.permit_id == permit.id,
                                                         DailyApproval.completed_at.is_not(None))
                             .order_by(DailyApproval.completed_at.desc()).limit(1))
    company = permit.form_data.get("contractor") if isinstance(permit.form_data.get("contractor"), str) else None
    return {
        "number": permit.number, "type": permit.type, "typeName": TYPE_NAMES.get(permit.type, permit.type),
        "projectCode": permit.project_code, "projectName": project.get("name"),
        "workArea": f"{area.code} — {area.name}" if area else None,
        "validFrom": permit.valid_from.isoformat(), "validTo": permit.valid_to.isoformat(),
        "workHours": f"{permit.work_start:%H:%M}–{permit.work_end:%H:%M}", "timezone": permit.timezone,
        "status": permit.status, "colour": colour, "headline": headline, "meaning": meaning,
        "lastConfirmedAt": last.completed_at.isoformat() if last and last.completed_at else None,
        "holderFirstName": (holder.get("name") or "").split(" ")[0] or None, "company": company,
        "checkedAt": now.isoformat(),
    }
