"""The permit PDF: assembled from the permit, its template version, names from auth and files from the
files service; stored under pdfs/{permitId}/ by the files service; handed out as short-lived links."""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import select

from permitto_common.errors import Conflict

from . import audit, clock
from .access import Actor, visible_permit
from .directory import directory
from .extensions import db, files
from .models import DailyApproval, GasReading, Permit, WorkArea
from .pdf.render import PermitDocument, SignatureBlock, render
from .schemas import PdfLink

log = logging.getLogger(__name__)


def file_name(permit: Permit) -> str:
    return f"permit-{permit.number}.pdf"


def assemble(permit: Permit) -> PermitDocument:
    from . import daily, gas, isolation, verify
    from .people import people_out

    records = db.session.scalars(select(DailyApproval).where(DailyApproval.permit_id == permit.id)
                                 .order_by(DailyApproval.work_date)).all()
    people = {str(permit.requester_id)} | {str(s.user_id) for s in permit.signatures} | {
        str(getattr(r, f"{role}_by")) for r in records for role in ("receiver", "issuer", "coordinator")
        if getattr(r, f"{role}_by")}
    certificates = [isolation.certificate_out(c) for c in isolation.linked(permit.id)]
    readings = list(db.session.scalars(select(GasReading).where(GasReading.permit_id == permit.id)
                                       .order_by(GasReading.taken_at)))
    people |= {str(r.tester_id) for r in readings}
    names = directory().users(people)
    area = db.session.get(WorkArea, permit.work_area_id) if permit.work_area_id else None
    project = directory().project(permit.project_id) or {"name": permit.project_code}
    signatures = []
    for sig in permit.signatures:
        image = files.get("/internal/signature-images", params={"key": sig.storage_key}, raw=True).body
        signatures.append(SignatureBlock(names.get(str(sig.user_id), {}).get("name", "unknown"), sig.role,
                                         sig.signed_at, sig.action, image))
    attached = files.get(f"/internal/permits/{permit.id}/files").body["data"]
    return PermitDocument(
        number=permit.number or "(not submitted)", title=permit.title, type=permit.type, status=permit.status,
        project_code=permit.project_code, project_name=project["name"], timezone=permit.timezone,
        valid_from=permit.valid_from, valid_to=permit.valid_to,
        work_hours=f"{permit.work_start:%H:%M}–{permit.work_end:%H:%M}", extended_hours=permit.extended_hours,
        requester=names.get(str(permit.requester_id), {}).get("name", "unknown"),
        schema=permit.template_version.read_schema(), form_data=permit.form_data,
        url=verify.link(permit.id),  # the QR code opens the public check, readable without an account
        work_area=f"{area.code} — {area.name}" if area else None,
        signatures=signatures, days=[daily.day_out(r, names) for r in records], files=attached,
        closeout_notes=permit.closeout_notes, generated_at=clock.now(), isolations=certificates,
        gas_readings=[gas.reading_out(r, names) for r in readings], people=people_out(permit),
    )


def generate(permit: Permit) -> str:
    """Render and store the PDF of the permit as it is now; records which version it shows."""
    started = time.perf_counter()
    data = render(assemble(permit))
    response = files.call("PUT", f"/internal/documents/{permit.id}/pdf", params={"name": file_name(permit)},
                          data=data, headers={"Content-Type": "application/pdf"})
    permit.pdf_key, permit.pdf_version = response.body["data"]["key"], permit.version
    log.info("permit pdf generated", extra={"permit_id": str(permit.id), "bytes": len(data),
                                             "ms": round((time.perf_counter() - started) * 1000, 1)})
    return str(permit.pdf_key)


def pdf_link(actor: Actor, permit_id: uuid.UUID) -> PdfLink:
    permit = visible_permit(actor, permit_id, lock=True)
    if permit.number is None:
        raise Conflict("A permit has a PDF once it is submitted.")
    if permit.pdf_key is None or permit.pdf_version != permit.version:
        generate(permit)  # missing or stale: made now, so the link always shows the current permit
    link = files.get(f"/internal/documents/{permit.id}/{file_name(permit)}").body["data"]
    audit.record(permit, "pdf_viewed", actor_id=actor.id, actor_role=actor.role,
                 details={"pdfVersion": permit.pdf_version})
    db.session.commit()
    return {"url": link["url"], "expiresIn": link["urlExpiresIn"], "fileName": file_name(permit),
            "size": link["size"], "permitVersion": permit.pdf_version}
