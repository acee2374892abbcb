"""/api/v1/work-areas, /api/v1/site-plans and /api/v1/simops-matrix: a project's places, its plan, the live
board and the SIMOPS rules (docs/domain.md, "Work areas" and "SIMOPS")."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common.errors import success
from permitto_common.idempotency import idempotent
from permitto_common.openapi import documented
from permitto_common.security import require_auth
from permitto_common.validation import parse_body, parse_query

from .. import areas, simops
from ..access import Actor
from ..extensions import db
from ..models import SitePlan
from ..schemas import (
    AreaBody,
    AreaOut,
    AreaPatch,
    AreaQuery,
    BoardOut,
    BoardQuery,
    MatrixBody,
    MatrixEntry,
    PlanConfirmBody,
    PlanOut,
    PlanTicket,
    PlanUploadBody,
)

bp = Blueprint("areas", __name__, url_prefix="/api/v1")


@bp.get("/work-areas")
@documented("A project's work areas", query=AreaQuery, response=list[AreaOut])
@require_auth()
def list_areas() -> Response:
    query = parse_query(AreaQuery)
    found = areas.list_areas(Actor.current(), query.project_id, include_inactive=query.include_inactive)
    return success([areas.area_out(a) for a in found])


@bp.post("/work-areas")
@documented("Add a work area (coordinator, administrator)", body=AreaBody, response=AreaOut, status=201)
@require_auth()
@idempotent
def create_area() -> Response:
    return success(areas.area_out(areas.create_area(Actor.current(), parse_body(AreaBody))), status=201)


@bp.patch("/work-areas/<uuid:area_id>")
@documented("Rename, move, place on the plan or retire a work area", body=AreaPatch, response=AreaOut)
@require_auth()
def update_area(area_id: uuid.UUID) -> Response:
    return success(areas.area_out(areas.update_area(Actor.current(), area_id, parse_body(AreaPatch))))


@bp.get("/work-areas/board")
@documented("The live board: each area coloured by its most severe live permit, and the plan",
            query=BoardQuery, response=BoardOut)
@require_auth()
def board() -> Response:
    return success(areas.board(Actor.current(), parse_query(BoardQuery).project_id))


@bp.get("/site-plans/<uuid:project_id>")
@documented("A project's site plan: a short-lived link to the image and its size (null: none yet)",
            response=PlanOut | None)
@require_auth()
def site_plan(project_id: uuid.UUID) -> Response:
    actor = Actor.current()
    areas.list_areas(actor, project_id, include_inactive=False)  # the same visibility as the areas
    return success(areas.plan_out(db.session.get(SitePlan, project_id)))


@bp.post("/site-plans/<uuid:project_id>/upload-url")
@documented("A presigned URL to PUT the site plan image to (PNG or JPEG)", body=PlanUploadBody, response=PlanTicket,
            status=201)
@require_auth()
def plan_upload(project_id: uuid.UUID) -> Response:
    return success(areas.plan_upload(Actor.current(), project_id, parse_body(PlanUploadBody)), status=201)


@bp.post("/site-plans/<uuid:project_id>/confirm")
@documented("Make the uploaded image the project's site plan", body=PlanConfirmBody, response=PlanOut)
@require_auth()
@idempotent
def plan_confirm(project_id: uuid.UUID) -> Response:
    return success(areas.plan_out(areas.plan_confirm(Actor.current(), project_id, parse_body(PlanConfirmBody))))


@bp.get("/simops-matrix/<uuid:project_id>")
@documented("A project's SIMOPS matrix: the verdict of every pair of permit types", response=list[MatrixEntry])
@require_auth()
def get_matrix(project_id: uuid.UUID) -> Response:
    return success(simops.get_matrix(Actor.current(), project_id))


@bp.put("/simops-matrix/<uuid:project_id>")
@documented("Change verdicts of the SIMOPS matrix (coordinator, administrator)", body=MatrixBody,
            response=list[MatrixEntry])
@require_auth()
@idempotent
def set_matrix(project_id: uuid.UUID) -> Response:
    return success(simops.set_matrix(Actor.current(), project_id, parse_body(MatrixBody)))
