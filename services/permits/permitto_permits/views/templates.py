"""/api/v1/templates: coordinators build and publish; everyone reads what is published."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from permitto_common.errors import NotFound, success
from permitto_common.openapi import documented
from permitto_common.security import current_identity, require_auth
from permitto_common.validation import parse_body, parse_query

from .. import templates_service as service
from ..schemas import CreateTemplateBody, TemplateOut, TemplateQuery, UpdateTemplateBody, template_out
from ..states import ADMIN, COORDINATOR

bp = Blueprint("templates", __name__, url_prefix="/api/v1/templates")
EDITORS = (COORDINATOR,)


def _sees_drafts() -> bool:
    return current_identity().role in (COORDINATOR, ADMIN)


@bp.get("")
@documented("List templates (coordinators and admins also see drafts)", query=TemplateQuery, response=list[TemplateOut])
@require_auth()
def list_templates() -> Response:
    drafts = _sees_drafts()
    templates = service.list_templates(parse_query(TemplateQuery), published_only=not drafts)
    return success([template_out(t, service.latest(t, published_only=not drafts), with_schema=False)
                    for t in templates])


@bp.post("")
@documented("Create a template (its first draft version)", body=CreateTemplateBody, response=TemplateOut, status=201)
@require_auth(*EDITORS)
def create_template() -> Response:
    body = parse_body(CreateTemplateBody)
    template = service.create_template(body, actor_id=uuid.UUID(current_identity().user_id))
    return success(template_out(template, service.latest(template, published_only=False)), status=201)


@bp.get("/<uuid:template_id>")
@documented("A template with its latest version and schema", response=TemplateOut)
@require_auth()
def get_template(template_id: uuid.UUID) -> Response:
    template = service.get_template(template_id)
    drafts = _sees_drafts()
    version = service.latest(template, published_only=not drafts)
    if version is None or (not drafts and not template.is_active):
        raise NotFound("No such template.")
    return success(template_out(template, version))


@bp.get("/<uuid:template_id>/versions/<int:number>")
@documented("One version of a template", response=TemplateOut)
@require_auth()
def get_version(template_id: uuid.UUID, number: int) -> Response:
    template = service.get_template(template_id)
    version = next((v for v in template.versions if v.version == number), None)
    if version is None or (version.status != "PUBLISHED" and not _sees_drafts()):
        raise NotFound("No such template version.")
    return success(template_out(template, version))


@bp.patch("/<uuid:template_id>")
@documented("Change a template (a published version is frozen: edits make the next draft)",
            body=UpdateTemplateBody, response=TemplateOut)
@require_auth(*EDITORS)
def update_template(template_id: uuid.UUID) -> Response:
    body = parse_body(UpdateTemplateBody)
    template = service.update_template(service.get_template(template_id), body,
                                       actor_id=uuid.UUID(current_identity().user_id))
    return success(template_out(template, service.latest(template, published_only=False)))


@bp.post("/<uuid:template_id>/publish")
@documented("Publish the draft version", response=TemplateOut)
@require_auth(*EDITORS)
def publish(template_id: uuid.UUID) -> Response:
    template = service.publish(service.get_template(template_id), actor_id=uuid.UUID(current_identity().user_id))
    return success(template_out(template, service.latest(template, published_only=True)))
