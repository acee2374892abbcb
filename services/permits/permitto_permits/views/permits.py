"""/api/v1/permits: drafts, the lifecycle verbs, listing, pending actions, timeline and chain check."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from permitto_common.errors import success
from permitto_common.idempotency import idempotent
from permitto_common.openapi import documented
from permitto_common.security import ADMIN, COORDINATOR, require_auth
from permitto_common.validation import parse_body, parse_query

from .. import access, analytics, audit, daily_service, documents, drafts, listing, simops, transitions
from ..access import Actor
from ..extensions import db
from ..models import Permit, WorkArea
from ..schemas import (
    AnalyticsOut,
    AnalyticsQuery,
    ApproveBody,
    AreaRef,
    BulkDailyBody,
    CancelBody,
    ChainCheck,
    CloseBody,
    CloseoutBody,
    CreatePermitBody,
    DailyResult,
    DayOut,
    PdfLink,
    PendingActionsOut,
    PermitOut,
    PermitQuery,
    PermitSummary,
    ReasonBody,
    SectionCheck,
    TimelineEntry,
    UpdatePermitBody,
    ValidateBody,
    area_ref,
    permit_out,
    permit_summary,
)

bp = Blueprint("permits", __name__, url_prefix="/api/v1/permits")


def _one(permit: Permit, actor: Actor, status: int = 200, *, area: AreaRef | None = None) -> Response:
    """The permit's page. area: how it names its work area, when its read had it (access.permit_to_show)."""
    if area is None and permit.work_area_id is not None:
        found = db.session.get(WorkArea, permit.work_area_id)
        area = area_ref(found.id, found.code, found.name) if found else None
    response = success(permit_out(permit, transitions.allowed_actions(actor, permit), work_area=area,
                                  conflicts=simops.conflicts_out(permit)), status=status)  # type: ignore[arg-type]
    response.headers["ETag"] = f'"{permit.version}"'
    return response


def _act(permit_id: uuid.UUID, verb: str, **details: Any) -> Response:
    """One verb of the lifecycle for the caller, answered with the permit as it now is."""
    actor = Actor.current()
    return _one(transitions.transition(actor, permit_id, verb, **details), actor)


@bp.get("")
@documented("List permits I may see (keyset pages: pass meta.nextCursor as cursor)",
            query=PermitQuery, response=list[PermitSummary], paginated=True)
@require_auth()
def list_permits() -> Response:
    return list_page(request.args)


def list_page(args: MultiDict[str, str]) -> Response:
    """A page of the permits the caller sees: the list's view, and its fast read (FAST_READS)."""
    query = parse_query(PermitQuery, args)
    rows, cursor, total, capped = listing.list_permits(Actor.current(), query)
    return success([permit_summary(p) for p in rows],
                   meta={"limit": query.limit, "nextCursor": cursor, "total": total, "totalIsCapped": capped})


@bp.post("")
@documented("Start a draft permit from a published template", body=CreatePermitBody, response=PermitOut, status=201)
@require_auth()
@idempotent
def create_permit() -> Response:
    actor = Actor.current()
    return _one(drafts.create_permit(actor, parse_body(CreatePermitBody)), actor, status=201)


@bp.get("/pending-actions")
@documented("What waits for me: approvals and daily confirmations", response=PendingActionsOut)
@require_auth()
def pending_actions() -> Response:
    actor = Actor.current()
    result = listing.pending_actions(actor)
    waiting = daily_service.awaiting_me(actor)
    answer: PendingActionsOut = {"count": result["count"] + len(waiting),
                                 "permits": [permit_summary(p) for p in result["permits"]],
                                 "dailyConfirmations": [permit_summary(p) for p in waiting]}
    return success(answer)


@bp.post("/daily-approve")
@documented("Confirm today for several permits; one result each",
            body=BulkDailyBody, response=list[DailyResult], paginated=True)
@require_auth()
def daily_approve_many() -> Response:
    body = parse_body(BulkDailyBody)
    results = daily_service.confirm_many(Actor.current(), body.permit_ids)
    return success(results, meta={"confirmed": sum(r["ok"] for r in results), "failed": sum(not r["ok"]
                                                                                            for r in results)})


@bp.get("/analytics")
@documented("Figures per project: status, type, approval time, compliance, suspensions",
            query=AnalyticsQuery, response=AnalyticsOut)
@require_auth(ADMIN, COORDINATOR)
def analytics_view() -> Response:
    return success(analytics.summary(parse_query(AnalyticsQuery)))


@bp.get("/<uuid:permit_id>")
@documented("A permit, with the actions I may take on it", response=PermitOut)
@require_auth()
def get_permit(permit_id: uuid.UUID) -> Response:
    return permit_page(permit_id)


def permit_page(permit_id: uuid.UUID, args: MultiDict[str, str] | None = None) -> Response:
    """A permit as the caller may see it: the permit's view, and its fast read (FAST_READS)."""
    actor = Actor.current()
    permit, area = access.permit_to_show(actor, permit_id)
    return _one(permit, actor, area=area)


@bp.patch("/<uuid:permit_id>")
@documented("Save a step of a draft (send the version read, or If-Match)", body=UpdatePermitBody, response=PermitOut)
@require_auth()
@idempotent
def update_permit(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    body = parse_body(UpdatePermitBody)
    return _one(drafts.update_draft(actor, permit_id, body, request.headers.get("If-Match")), actor)


@bp.post("/<uuid:permit_id>/validate")
@documented("Check steps of a draft without saving", body=ValidateBody, response=SectionCheck)
@require_auth()
def validate(permit_id: uuid.UUID) -> Response:
    body = parse_body(ValidateBody)
    return success(drafts.check_sections(Actor.current(), permit_id, body.sections))


@bp.post("/<uuid:permit_id>/submit")
@documented("Submit a draft for approval (the permit gets its number)", response=PermitOut)
@require_auth()
@idempotent
def submit(permit_id: uuid.UUID) -> Response:
    return _act(permit_id, "submit")


@bp.post("/<uuid:permit_id>/approve")
@documented("Approve (issuer) or give final approval (coordinator), with a signature",
            body=ApproveBody, response=PermitOut)
@require_auth()
@idempotent
def approve(permit_id: uuid.UUID) -> Response:
    body = parse_body(ApproveBody)
    return _act(permit_id, "approve", signature_b64=body.signature.image_base64,
                signature_id=body.signature.signature_id, comment=body.comment,
                acknowledgement=body.simops_acknowledgement)


@bp.post("/<uuid:permit_id>/reject")
@documented("Reject with a reason", body=ReasonBody, response=PermitOut)
@require_auth()
@idempotent
def reject(permit_id: uuid.UUID) -> Response:
    body = parse_body(ReasonBody)
    return _act(permit_id, "reject", reason=body.reason)


@bp.post("/<uuid:permit_id>/revise")
@documented("Take a rejected permit back to draft", response=PermitOut)
@require_auth()
@idempotent
def revise(permit_id: uuid.UUID) -> Response:
    return _act(permit_id, "revise")


@bp.post("/<uuid:permit_id>/cancel")
@documented("Cancel a permit", body=CancelBody, response=PermitOut)
@require_auth()
@idempotent
def cancel(permit_id: uuid.UUID) -> Response:
    body = parse_body(CancelBody)
    return _act(permit_id, "cancel", reason=body.reason)


@bp.post("/<uuid:permit_id>/daily-approve")
@documented("Confirm today for this permit (receiver, issuer, coordinator in order)", response=PermitOut)
@require_auth()
@idempotent
def daily_approve(permit_id: uuid.UUID) -> Response:
    actor = Actor.current()
    permit, _ = daily_service.confirm_one(actor, permit_id)
    return _one(permit, actor)


@bp.get("/<uuid:permit_id>/days")
@documented("The daily confirmations of a permit", response=list[DayOut])
@require_auth()
def days(permit_id: uuid.UUID) -> Response:
    return success(daily_service.days(Actor.current(), permit_id))


@bp.post("/<uuid:permit_id>/suspend")
@documented("Suspend work with a reason", body=ReasonBody, response=PermitOut)
@require_auth()
@idempotent
def suspend(permit_id: uuid.UUID) -> Response:
    return _act(permit_id, "suspend", reason=parse_body(ReasonBody).reason)


@bp.post("/<uuid:permit_id>/reinstate")
@documented("Reinstate a suspended permit", body=ReasonBody, response=PermitOut)
@require_auth()
@idempotent
def reinstate(permit_id: uuid.UUID) -> Response:
    return _act(permit_id, "reinstate", reason=parse_body(ReasonBody).reason)


@bp.post("/<uuid:permit_id>/request-closeout")
@documented("Ask to close out (hot work names its fire watch here)", body=CloseoutBody, response=PermitOut)
@require_auth()
@idempotent
def request_closeout(permit_id: uuid.UUID) -> Response:
    body = parse_body(CloseoutBody)
    return _act(permit_id, "request-closeout", comment=body.reason, fire_watch=body.fire_watch)


@bp.post("/<uuid:permit_id>/close")
@documented("Close a permit with notes and a signature", body=CloseBody, response=PermitOut)
@require_auth()
@idempotent
def close(permit_id: uuid.UUID) -> Response:
    body = parse_body(CloseBody)
    return _act(permit_id, "close", reason=body.completion_notes, signature_b64=body.signature.image_base64,
                signature_id=body.signature.signature_id)


@bp.get("/<uuid:permit_id>/pdf")
@documented("A short-lived download link of the permit PDF", response=PdfLink)
@require_auth()
def pdf(permit_id: uuid.UUID) -> Response:
    return success(documents.pdf_link(Actor.current(), permit_id))


@bp.get("/<uuid:permit_id>/timeline")
@documented("Everything that happened to a permit", response=list[TimelineEntry])
@require_auth()
def timeline(permit_id: uuid.UUID) -> Response:
    return success(listing.timeline(Actor.current(), permit_id))


@bp.get("/<uuid:permit_id>/audit/verify")
@documented("Check the permit's hash-chained audit trail", response=ChainCheck)
@require_auth()
def verify_audit(permit_id: uuid.UUID) -> Response:
    permit = access.visible_permit(Actor.current(), permit_id)
    return success(audit.verify_chain(permit.id))
