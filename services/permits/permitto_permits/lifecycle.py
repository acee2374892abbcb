"""Permits: drafts, validation, the state machine applied, visibility, listing, pending actions, timeline."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Row, false, func, select
from sqlalchemy.orm import load_only, selectinload

from permitto_common.errors import APIError, Conflict, Forbidden, ValidationFailed, field_error
from permitto_common.jobs import QUEUE_PERMITS, enqueue

from . import audit, clock, daily, relay, state_machine
from .access import Actor, refusal, visibility_filter, visible_permit
from .directory import directory
from .extensions import db
from .models import AuditEntry, Permit, Signature, Template, TemplateVersion
from .numbers import next_number
from .schemas import CreatePermitBody, PermitQuery, SectionCheck, TimelineEntry, UpdatePermitBody
from .signatures import signature_by_id, store_signature
from .state_machine import COORDINATOR, DRAFT, ISSUER, RECEIVER
from .template_schema import section_keys, validate_form
from .templates_service import latest

log = logging.getLogger(__name__)
MAX_VALIDITY = timedelta(days=7)
STANDARD_HOURS = (time(6, 0), time(20, 0))  # outside them a permit needs the extended-hours flag
COUNT_CAP = 10_000
DAILY_VERB = "daily-approve"


# validity ---------------------------------------------------------------------------------------------
def localize(moment: datetime, tz: str) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


VALID_TO_ORDER = field_error("validTo", "must be after validFrom")


def require_validity_order(permit: Permit) -> None:
    """Even a draft keeps its window in order (the database insists): a user's slip is a 422, not a 500."""
    if permit.valid_from >= permit.valid_to:
        raise ValidationFailed([VALID_TO_ORDER])


def validity_problems(permit: Permit, *, now: datetime) -> list[dict[str, str]]:
    problems = []
    if permit.valid_from >= permit.valid_to:
        problems.append(VALID_TO_ORDER)
    elif permit.valid_to - permit.valid_from > MAX_VALIDITY:
        problems.append(field_error("validTo", "a standard permit is valid for at most 7 days"))
    if permit.valid_to <= now:
        problems.append(field_error("validTo", "is in the past"))
    if permit.work_start >= permit.work_end:
        problems.append(field_error("workEnd", "must be after workStart"))
    elif not permit.extended_hours and (permit.work_start < STANDARD_HOURS[0] or permit.work_end > STANDARD_HOURS[1]):
        problems.append(field_error("extendedHours", "work outside 06:00–20:00 needs the extended-hours flag"))
    return problems


# drafts -----------------------------------------------------------------------------------------------
def create_permit(actor: Actor, body: CreatePermitBody) -> Permit:
    if actor.role != RECEIVER:
        raise Forbidden("Only receivers request permits.")
    template = db.session.get(Template, body.template_id, options=[selectinload(Template.versions)])
    version = latest(template, published_only=True) if template and template.is_active else None
    if version is None:
        raise ValidationFailed([field_error("templateId", "no published, active template with this id")])
    project = directory().project(body.project_id)
    if project is None or body.project_id not in actor.project_ids():
        raise ValidationFailed([field_error("projectId", "you are not assigned to this project")])
    if not project["isActive"]:
        raise ValidationFailed([field_error("projectId", "this project is inactive and accepts no new permits")])
    problems = validate_form(version.schema, body.form_data, partial=True)
    if problems:
        raise ValidationFailed(problems)
    tz = project["timezone"]
    permit = Permit(
        project_id=body.project_id, project_code=project["code"], timezone=tz, type=template.type,  # type: ignore[union-attr]
        first_day_grace_minutes=project.get("firstDayGraceMinutes", 60),
        template_version_id=version.id, title=body.title, requester_id=actor.id, form_data=body.form_data,
        valid_from=localize(body.valid_from, tz), valid_to=localize(body.valid_to, tz),
        work_start=body.work_start, work_end=body.work_end, extended_hours=body.extended_hours,
    )
    require_validity_order(permit)
    db.session.add(permit)
    db.session.flush()
    audit.record(permit, "created", actor_id=actor.id, actor_role=actor.role, to_status=DRAFT,
                 details={"templateVersion": version.version})
    db.session.commit()
    return visible_permit(actor, permit.id)


def update_draft(actor: Actor, permit_id: uuid.UUID, body: UpdatePermitBody, if_match: str | None) -> Permit:
    permit = visible_permit(actor, permit_id, lock=True)
    if permit.requester_id != actor.id:
        raise Forbidden("Only the receiver who requested this permit edits it.")
    if permit.status != DRAFT:
        raise Conflict(f"The permit is {permit.status}; only a DRAFT can be edited.",
                       details=[field_error("status", permit.status)])
    expected = body.version if body.version is not None else _version_from_etag(if_match)
    if expected is None:
        raise APIError("Send the version you edited (If-Match header or version field).", status=428)
    if expected != permit.version:
        raise APIError(f"The permit changed since you read it (version {permit.version}, you sent {expected}).",
                       status=412, details=[field_error("version", f"current version is {permit.version}")])
    changes = body.model_dump(exclude_unset=True, exclude={"version", "form_data"})
    if body.form_data is not None:
        merged = {**permit.form_data, **body.form_data}
        merged = {key: value for key, value in merged.items() if value is not None}
        problems = validate_form(permit.template_version.schema, merged, partial=True)
        if problems:
            raise ValidationFailed(problems)
        permit.form_data = merged
    for key, value in changes.items():
        if value is None:
            continue
        if key in ("valid_from", "valid_to"):
            value = localize(value, permit.timezone)
        setattr(permit, key, value)
    require_validity_order(permit)
    permit.version += 1
    audit.record(permit, "updated", actor_id=actor.id, actor_role=actor.role,
                 details={"fields": sorted(changes) + (sorted(body.form_data) if body.form_data else [])})
    db.session.commit()
    return visible_permit(actor, permit.id)


def _version_from_etag(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationFailed([field_error("If-Match", 'must be the ETag you read, e.g. "3"')]) from None


def check_sections(actor: Actor, permit_id: uuid.UUID, sections: list[str] | None) -> SectionCheck:
    permit = visible_permit(actor, permit_id)
    schema = permit.template_version.schema
    known = section_keys(schema)
    unknown = [s for s in sections or [] if s not in known]
    if unknown:
        raise ValidationFailed([field_error("sections", f"unknown section(s): {', '.join(unknown)}")])
    problems = validate_form(schema, permit.form_data, sections=set(sections) if sections else None)
    if sections is None:
        problems += validity_problems(permit, now=clock.now())
    return {"valid": not problems, "problems": problems}


# transitions ------------------------------------------------------------------------------------------
def allowed_actions(actor: Actor, permit: Permit) -> list[str]:
    """The verbs this actor may use on this permit now: the same checks the verbs themselves make
    (role, state, ownership, membership, separation of duties), the daily confirmation included."""
    verbs = {verb for verb in state_machine.VERBS for step in state_machine.candidates(verb, permit.status)
             if refusal(actor, permit, step) is None}
    if permit.status in daily.CONFIRMABLE and daily.confirm_refusal(permit, actor, clock.now()) is None:
        verbs.add(DAILY_VERB)
    return sorted(verbs)


def transition(actor: Actor, permit_id: uuid.UUID, verb: str, *, reason: str | None = None,
               signature_b64: str | None = None, signature_id: uuid.UUID | None = None,
               comment: str | None = None) -> Permit:
    """Apply one verb of the API through the state machine table, atomically."""
    permit = visible_permit(actor, permit_id, lock=True)  # the row lock serialises racing approvers
    allowed_roles = {role for action in state_machine.VERBS[verb] for role in state_machine.BY_ACTION[action].roles}
    if actor.role not in allowed_roles:
        raise Forbidden(f"A {actor.role} cannot {verb} a permit.")
    options = [t for t in state_machine.candidates(verb, permit.status) if actor.role in t.roles]
    if not options:
        allowed = state_machine.verbs_from(permit.status, actor.role)
        raise Conflict(
            f"The permit is {permit.status}; '{verb}' is not possible now."
            + (f" You may: {', '.join(allowed)}." if allowed else ""),
            code="INVALID_STATE",
            details=[field_error("status", permit.status)] + [field_error("allowedActions", a) for a in allowed],
        )
    step = options[0]
    refused = refusal(actor, permit, step)
    if refused:
        raise Forbidden(refused)
    if step.reason and not reason:
        raise ValidationFailed([field_error("reason", "a reason is required")])
    now = clock.now()
    if step.action == "submit":
        problems = validate_form(permit.template_version.schema, permit.form_data) + validity_problems(permit, now=now)
        if problems:
            raise ValidationFailed(problems, "The permit cannot be submitted yet; fix every problem listed.")
        if permit.number is None:
            local_year = permit.valid_from.astimezone(ZoneInfo(permit.timezone)).year
            permit.number = next_number(permit.project_id, permit.project_code, permit.type, local_year)
        permit.submitted_at = now
        permit.listed_at = now
        permit.rejection_reason = None
    signature_meta: dict[str, Any] = {}
    if step.signature:
        if signature_id is not None:
            stored = signature_by_id(signature_id, permit_id=permit.id, user_id=actor.id)
        elif signature_b64:
            stored = store_signature(permit.id, actor.role, signature_b64, actor.id)
        else:
            raise ValidationFailed([field_error("signature", "a signature is required")])
        db.session.add(Signature(permit_id=permit.id, action=step.action, user_id=actor.id, role=actor.role,
                                 storage_key=stored["key"], sha256=stored["sha256"], signed_at=now))
        signature_meta = {"signature": stored["key"], "signatureSha256": stored["sha256"]}
    if step.action == "issuer_approve":
        permit.issuer_approved_at, permit.issuer_approved_by = now, actor.id
    elif step.action == "final_approve":
        permit.approved_at, permit.approved_by = now, actor.id
    elif step.action in ("issuer_reject", "final_reject"):
        permit.rejection_reason = reason
    elif step.action in ("cancel", "coordinator_cancel"):
        permit.cancel_reason = reason
    elif step.action == "suspend":
        permit.suspension_kind, permit.suspension_reason = "MANUAL", reason
    elif step.action == "reinstate":
        permit.suspension_kind = permit.suspension_reason = None
    elif step.action == "request_closeout":
        permit.closeout_requested_at = now
    elif step.action == "close":
        permit.closed_at, permit.closed_by, permit.closeout_notes = now, actor.id, reason
    previous = permit.status
    permit.status = step.target
    permit.version += 1
    audit.record(permit, step.action, actor_id=actor.id, actor_role=actor.role, from_status=previous,
                 to_status=step.target, comment=reason or comment, details=signature_meta)
    if step.event:
        audit.emit(permit, step.event, actor_id=actor.id, fromStatus=previous, reason=reason)
    if step.action == "reinstate":
        # Back in the daily cycle: today's record is opened if needed; if it is complete, work resumes.
        record = daily.open_day(permit, daily.local_date(now, permit.timezone), now)
        if record is not None and record.complete:
            daily.system_step(permit, "activate", now, workDate=record.work_date.isoformat())
    if step.action == "final_approve":
        daily.apply_due(permit, now)  # already within validity: the first day opens at once
    db.session.commit()
    # After the commit, nothing may fail the action: the event is in the outbox, the PDF is made on demand.
    if step.event:
        relay.kick()
    if step.action in ("final_approve", "close"):
        try:
            enqueue(current_app, QUEUE_PERMITS, "permitto_permits.jobs.generate_pdf",
                    kwargs={"permit_id": str(permit.id)}, job_id=f"pdf-{permit.id}-{permit.version}")
        except Exception as exc:
            log.warning("could not queue the permit PDF; it is made on first download", extra={"error": str(exc)})
    return visible_permit(actor, permit.id)


# reading ----------------------------------------------------------------------------------------------
SORTS: dict[str, tuple[str, bool]] = {
    "-submittedAt": ("listed_at", True),
    "submittedAt": ("listed_at", False),
    "status": ("status", False),
    "projectCode": ("project_code", False),
}


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        values = None
    if isinstance(values, list) and 2 <= len(values) <= 3:
        return values
    raise ValidationFailed([field_error("cursor", "is not a cursor this API gave out")]) from None


# What a list row shows (schemas.permit_summary): the form data, often kilobytes of JSON, stays in the database.
SUMMARY_COLUMNS = (
    Permit.id, Permit.number, Permit.title, Permit.type, Permit.status, Permit.project_id, Permit.project_code,
    Permit.requester_id, Permit.valid_from, Permit.valid_to, Permit.work_start, Permit.work_end,
    Permit.extended_hours, Permit.version, Permit.created_at, Permit.submitted_at, Permit.approved_at,
    Permit.listed_at,
)
SUMMARY = load_only(*SUMMARY_COLUMNS, raiseload=True)


def list_permits(actor: Actor, query: PermitQuery) -> tuple[Sequence[Row[Any]], str | None, int, bool]:
    """A page of the permits the actor may see. Plain rows, not ORM objects: the hottest read of the
    API (a phone refreshing its list) skips the identity map and instance bookkeeping."""
    stmt = visibility_filter(actor, select(*SUMMARY_COLUMNS))
    statuses = query.status if isinstance(query.status, list) else ([query.status] if query.status else [])
    if statuses:
        stmt = stmt.where(Permit.status.in_(statuses))
    if query.type:
        stmt = stmt.where(Permit.type == query.type)
    if query.project_id:
        stmt = stmt.where(Permit.project_id == query.project_id)
    if query.from_:
        stmt = stmt.where(Permit.valid_to >= datetime.combine(query.from_, time.min, tzinfo=ZoneInfo("UTC")))
    if query.to:
        stmt = stmt.where(Permit.valid_from < datetime.combine(query.to + timedelta(days=1), time.min,
                                                               tzinfo=ZoneInfo("UTC")))
    if query.q:
        stmt = stmt.where(Permit.number.like(query.q.upper().replace("%", "").replace("_", "\\_") + "%"))
    filtered = stmt
    column, descending = SORTS[query.sort]
    keys = [getattr(Permit, column)] + ([Permit.listed_at] if column != "listed_at" else []) + [Permit.id]
    if query.cursor:
        values = _decode_cursor(query.cursor)
        if len(values) != len(keys):
            raise ValidationFailed([field_error("cursor", "belongs to another sort order")])
        parsed = [datetime.fromisoformat(v) if k.key == "listed_at" else (uuid.UUID(v) if k.key == "id" else v)
                  for k, v in zip(keys, values, strict=True)]
        row = func.row(*keys)
        stmt = stmt.where(row < func.row(*parsed) if descending else row > func.row(*parsed))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = db.session.execute(stmt.order_by(*order).limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, k.key) for k in keys])
    # Counting a million rows costs more than the page: the total stops at COUNT_CAP.
    total = db.session.scalar(select(func.count()).select_from(filtered.limit(COUNT_CAP + 1).subquery())) or 0
    return rows, next_cursor, min(total, COUNT_CAP), total > COUNT_CAP


def pending_actions(actor: Actor) -> dict[str, Any]:
    stmt = visibility_filter(actor, select(Permit))
    if actor.role == ISSUER:
        stmt = stmt.where(Permit.status == state_machine.SUBMITTED, Permit.requester_id != actor.id)
    elif actor.role == COORDINATOR:
        stmt = stmt.where(Permit.status == state_machine.ISSUER_APPROVED, Permit.requester_id != actor.id)
    elif actor.role == RECEIVER:
        stmt = stmt.where(Permit.requester_id == actor.id,
                          Permit.status.in_([state_machine.REJECTED_ISSUER, state_machine.REJECTED_COORD]))
    else:
        stmt = stmt.where(false())
    rows = db.session.scalars(stmt.options(SUMMARY).order_by(Permit.listed_at, Permit.id).limit(100)).all()
    return {"count": len(rows), "permits": rows}


def timeline(actor: Actor, permit_id: uuid.UUID) -> list[TimelineEntry]:
    permit = visible_permit(actor, permit_id)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.permit_id == permit.id).order_by(AuditEntry.seq)).all()
    names = directory().users({str(e.actor_id) for e in entries if e.actor_id})
    return [{
        "seq": e.seq, "at": e.created_at.isoformat(), "action": e.action,
        "actor": {"id": str(e.actor_id), "name": names.get(str(e.actor_id), {}).get("name"), "role": e.actor_role}
        if e.actor_id else None,
        "fromStatus": e.from_status, "toStatus": e.to_status, "comment": e.comment, "details": e.details,
        "hash": e.hash,
    } for e in entries]


def template_version(version_id: uuid.UUID) -> TemplateVersion | None:
    return db.session.get(TemplateVersion, version_id)
