"""Drafts: a receiver starts a permit from a published template, saves it step by step, and checks
steps before submitting (docs/domain.md, "Permits and drafts")."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload

from permitto_common.errors import APIError, Conflict, Forbidden, ValidationFailed, field_error

from . import audit, clock
from .access import Actor, visible_permit
from .areas import area_for_permit
from .directory import directory
from .extensions import db
from .models import Permit, Template
from .schemas import CreatePermitBody, SectionCheck, UpdatePermitBody
from .states import DRAFT, RECEIVER
from .template_schema import max_validity_hours, section_keys, validate_form
from .templates_service import latest

STANDARD_HOURS = (time(6, 0), time(20, 0))  # outside them a permit needs the extended-hours flag


# validity ---------------------------------------------------------------------------------------------
def localize(moment: datetime, tz: str) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


VALID_TO_ORDER = field_error("validTo", "must be after validFrom")


def require_validity_order(permit: Permit) -> None:
    """Even a draft keeps its window in order (the database insists): a user's slip is a 422, not a 500."""
    if permit.valid_from >= permit.valid_to:
        raise ValidationFailed([VALID_TO_ORDER])


def cap_words(schema: dict[str, Any]) -> str:
    hours = max_validity_hours(schema)
    span = f"{hours // 24} days" if hours % 24 == 0 else f"{hours} hours"
    return f"a permit of this type is valid for at most {span} in all, extensions included"


def validity_problems(permit: Permit, *, now: datetime) -> list[dict[str, str]]:
    problems = []
    schema = permit.template_version.read_schema()
    if permit.valid_from >= permit.valid_to:
        problems.append(VALID_TO_ORDER)
    elif permit.valid_to - permit.valid_from > timedelta(hours=max_validity_hours(schema)):
        problems.append(field_error("validTo", cap_words(schema)))
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
    area_for_permit(body.project_id, body.work_area_id)
    tz = project["timezone"]
    permit = Permit(
        project_id=body.project_id, project_code=project["code"], timezone=tz, type=template.type,  # type: ignore[union-attr]
        first_day_grace_minutes=project.get("firstDayGraceMinutes", 60),
        template_version_id=version.id, title=body.title, requester_id=actor.id, form_data=body.form_data,
        valid_from=localize(body.valid_from, tz), valid_to=localize(body.valid_to, tz),
        work_start=body.work_start, work_end=body.work_end, extended_hours=body.extended_hours,
        work_area_id=body.work_area_id,
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
        problems = validate_form(permit.template_version.read_schema(), merged, partial=True)
        if problems:
            raise ValidationFailed(problems)
        permit.form_data = merged
    for key, value in changes.items():
        if value is None:
            continue
        if key in ("valid_from", "valid_to"):
            value = localize(value, permit.timezone)
        if key == "work_area_id":
            area_for_permit(permit.project_id, value)
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
    schema = permit.template_version.read_schema()
    known = section_keys(schema)
    unknown = [s for s in sections or [] if s not in known]
    if unknown:
        raise ValidationFailed([field_error("sections", f"unknown section(s): {', '.join(unknown)}")])
    problems = validate_form(schema, permit.form_data, sections=set(sections) if sections else None)
    if sections is None:
        problems += validity_problems(permit, now=clock.now())
    return {"valid": not problems, "problems": problems}
