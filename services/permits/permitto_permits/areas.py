"""Work areas and the site plan (docs/domain.md, "Work areas"): each project's areas, nested, drawn on
its plan as a pin or a polygon; the plan image itself lives in object storage through the files service.
The live board colours each area by the most severe live permit in it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import CompoundSelect, Select, select, union

from permitto_common.database import bind
from permitto_common.errors import Forbidden, NotFound, ValidationFailed, field_error

from . import clock
from .access import Actor, add_unique, visibility_filter
from .directory import directory
from .extensions import db, files
from .models import Permit, SitePlan, WorkArea
from .schemas import AreaBody, AreaPatch, PlanConfirmBody, PlanUploadBody
from .states import (
    ACTIVE,
    ADMIN,
    APPROVED,
    COORDINATOR,
    ISSUER_APPROVED,
    PENDING_CLOSEOUT,
    PENDING_DAILY,
    SUBMITTED,
    SUSPENDED,
)

# Permits not terminal: what SIMOPS and the board weigh (drafts and rejected ones are not permits yet;
# one waiting for close-out still counts: a fire watch may stand, the area is not handed back).
LIVE = (SUBMITTED, ISSUER_APPROVED, APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED, PENDING_CLOSEOUT)
# The board's colour of an area: its most severe live permit's (work stopped beats work going on).
SEVERITY = {SUSPENDED: 4, ACTIVE: 3, PENDING_DAILY: 2, APPROVED: 2, ISSUER_APPROVED: 1, SUBMITTED: 1,
            PENDING_CLOSEOUT: 1}
COLOUR = {4: "red", 3: "amber", 2: "blue", 1: "grey", 0: "none"}


def _manager(actor: Actor, doing: str) -> None:
    """Work areas and the site plan are the site's layout: coordinators and administrators keep them."""
    if actor.role not in (ADMIN, COORDINATOR):
        raise Forbidden(f"Only a coordinator or an administrator may {doing}.")


def project_areas(project_id: uuid.UUID, *, include_inactive: bool = True) -> list[WorkArea]:
    stmt = select(WorkArea).where(WorkArea.project_id == project_id).order_by(WorkArea.code)
    if not include_inactive:
        stmt = stmt.where(WorkArea.is_active.is_(True))
    return list(db.session.scalars(stmt))


class Placed(Protocol):
    """What the nesting of areas needs of one."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def parent_id(self) -> uuid.UUID | None: ...


def same_place(values: Mapping[str, Any] | None = None) -> CompoundSelect[Any]:
    """Where work counts as "the same area" as work in the area `area_id` of the project `project_id`:
    the area, everything it is inside and everything inside it, at any depth, as a statement of their
    ids that PostgreSQL walks (the UNIONs end a loop in the nesting, were there one). Its values are
    bind parameters, given (values) or left open, so it sits inside the SIMOPS read of the other permits
    (simops._others_terms), which is then one statement for the page and for the lifecycle's check."""
    def start() -> Select[Any]:
        return select(WorkArea.id, WorkArea.parent_id).where(WorkArea.project_id == bind("project_id", values),
                                                             WorkArea.id == bind("area_id", values))
    up = start().cte("area_up", recursive=True)
    up = up.union(select(WorkArea.id, WorkArea.parent_id).join(up, WorkArea.id == up.c.parent_id))
    down = start().cte("area_down", recursive=True)
    down = down.union(select(WorkArea.id, WorkArea.parent_id).join(down, WorkArea.parent_id == down.c.id))
    return union(select(up.c.id), select(down.c.id))


def list_areas(actor: Actor, project_id: uuid.UUID, *, include_inactive: bool) -> Sequence[WorkArea]:
    if not actor.sees_project(project_id):
        raise NotFound("No such project.")
    return project_areas(project_id, include_inactive=include_inactive)


def _check_parent(project_id: uuid.UUID, area_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    if parent_id is None:
        return
    areas = project_areas(project_id)
    if parent_id not in {a.id for a in areas}:
        raise ValidationFailed([field_error("parentId", "is not an area of this project")])
    if area_id is not None:
        parent = {a.id: a.parent_id for a in areas}
        at: uuid.UUID | None = parent_id
        while at is not None:
            if at == area_id:
                raise ValidationFailed([field_error("parentId", "would put the area inside itself")])
            at = parent.get(at)


def create_area(actor: Actor, body: AreaBody) -> WorkArea:
    _manager(actor, "define work areas")
    if directory().project(body.project_id) is None:
        raise ValidationFailed([field_error("projectId", "no such project")])
    _check_parent(body.project_id, None, body.parent_id)
    area = WorkArea(project_id=body.project_id, code=body.code, name=body.name, parent_id=body.parent_id,
                    shape=body.shape.model_dump() if body.shape else None, created_by=actor.id)
    add_unique(area, field="code", words=f"The code {body.code} is already used in this project.",
               code="DUPLICATE_CODE")
    return area


def update_area(actor: Actor, area_id: uuid.UUID, body: AreaPatch) -> WorkArea:
    area = db.session.get(WorkArea, area_id, with_for_update=True)
    if area is None or not actor.sees_project(area.project_id):
        raise NotFound("No such work area.")
    _manager(actor, "change work areas")
    changes = body.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        _check_parent(area.project_id, area.id, body.parent_id)
        area.parent_id = body.parent_id
    if "shape" in changes:
        area.shape = body.shape.model_dump() if body.shape else None
    for name in ("name", "is_active"):
        if changes.get(name) is not None:
            setattr(area, name, changes[name])
    db.session.commit()
    return area


def area_for_permit(project_id: uuid.UUID, area_id: uuid.UUID | None) -> WorkArea | None:
    """The work area a permit names: an active area of the permit's own project (422 otherwise)."""
    if area_id is None:
        return None
    area = db.session.get(WorkArea, area_id)
    if area is None or area.project_id != project_id or not area.is_active:
        raise ValidationFailed([field_error("workAreaId", "is not an active work area of this project")])
    return area


# -- the site plan -----------------------------------------------------------------------------------
def plan_upload(actor: Actor, project_id: uuid.UUID, body: PlanUploadBody) -> dict[str, Any]:
    _manager(actor, "upload the site plan")
    if directory().project(project_id) is None:
        raise NotFound("No such project.")
    data: dict[str, Any] = files.post(f"/internal/site-plans/{project_id}/upload-url",
                                      json_body={"contentType": body.content_type, "size": body.size}).body["data"]
    return data


def plan_confirm(actor: Actor, project_id: uuid.UUID, body: PlanConfirmBody) -> SitePlan:
    _manager(actor, "upload the site plan")
    if not body.key.startswith(f"plans/{project_id}/"):
        raise ValidationFailed([field_error("key", "is not an upload of this project's plan")])
    checked = files.post(f"/internal/site-plans/{project_id}/confirm", json_body={"key": body.key},
                         handles=(422,))
    if checked.status == 422:
        raise ValidationFailed(checked.body["error"]["details"], checked.body["error"]["message"])
    meta = checked.body["data"]
    plan = db.session.get(SitePlan, project_id, with_for_update=True) or SitePlan(project_id=project_id)
    plan.storage_key, plan.content_type = meta["key"], meta["contentType"]
    plan.width, plan.height, plan.uploaded_by, plan.uploaded_at = meta["width"], meta["height"], actor.id, clock.now()
    db.session.add(plan)
    db.session.commit()
    return plan


def plan_out(plan: SitePlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    link = files.get("/internal/site-plans/link", params={"key": plan.storage_key}).body["data"]
    return {"url": link["url"], "expiresIn": link["urlExpiresIn"], "width": plan.width, "height": plan.height,
            "contentType": plan.content_type, "uploadedAt": plan.uploaded_at.isoformat()}


# -- the live board ----------------------------------------------------------------------------------
def board(actor: Actor, project_id: uuid.UUID) -> dict[str, Any]:
    """Each area with the live permits in it (the ones this person may see) and its colour; the plan."""
    if not actor.sees_project(project_id):
        raise NotFound("No such project.")
    areas = project_areas(project_id, include_inactive=False)
    permits = db.session.scalars(visibility_filter(actor, select(Permit)).where(
        Permit.project_id == project_id, Permit.status.in_(LIVE), Permit.work_area_id.is_not(None))).all()
    by_area: dict[uuid.UUID, list[Permit]] = {}
    for permit in permits:
        by_area.setdefault(permit.work_area_id, []).append(permit)
    out = []
    for area in areas:
        inside = [p for a in related_down(area.id, areas) for p in by_area.get(a, [])]
        level = max((SEVERITY[p.status] for p in inside), default=0)
        out.append({**area_out(area), "colour": COLOUR[level],
                    "permits": [{"id": str(p.id), "number": p.number, "title": p.title, "type": p.type,
                                 "status": p.status, "workAreaId": str(p.work_area_id)} for p in inside]})
    from . import simops  # here: SIMOPS reads the areas of this module

    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for permit in permits:
        for clash in simops.clashes(permit):
            if clash.other.id not in {p.id for p in permits}:
                continue  # a conflict with a permit this person may not see is shown on that permit only
            a, b = sorted((permit, clash.other), key=lambda p: str(p.id))
            pairs[(str(a.id), str(b.id))] = {
                "permits": [{"id": str(p.id), "number": p.number, "title": p.title, "type": p.type, "status": p.status,
                             "workAreaId": str(p.work_area_id)} for p in (a, b)],
                "verdict": clash.verdict, "acknowledged": clash.acknowledgement is not None}
    return {"projectId": str(project_id), "plan": plan_out(db.session.get(SitePlan, project_id)), "areas": out,
            "conflicts": list(pairs.values())}


def related_down(area_id: uuid.UUID, areas: Sequence[Placed]) -> set[uuid.UUID]:
    """The area and everything inside it (a building is as red as its worst floor)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for a in areas:
        children.setdefault(a.parent_id, []).append(a.id)
    found, todo = {area_id}, [area_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def area_out(area: WorkArea) -> dict[str, Any]:
    return {"id": str(area.id), "projectId": str(area.project_id), "code": area.code, "name": area.name,
            "parentId": str(area.parent_id) if area.parent_id else None, "shape": area.shape,
            "isActive": area.is_active}
