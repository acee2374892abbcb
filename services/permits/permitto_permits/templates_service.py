"""Templates: drafts, publishing (which freezes a version), and the next draft after a publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from permitto_common.database import utcnow
from permitto_common.errors import Conflict, NotFound, ValidationFailed, field_error

from .extensions import db
from .models import Template, TemplateVersion
from .schemas import CreateTemplateBody, TemplateQuery, UpdateTemplateBody
from .template_schema import check_schema


def get_template(template_id: uuid.UUID) -> Template:
    template = db.session.get(Template, template_id, options=[selectinload(Template.versions)])
    if template is None:
        raise NotFound("No such template.")
    return template


def latest(template: Template, *, published_only: bool) -> TemplateVersion | None:
    versions = [v for v in template.versions if v.status == "PUBLISHED" or not published_only]
    return max(versions, key=lambda v: v.version) if versions else None


def list_templates(query: TemplateQuery, *, published_only: bool) -> Sequence[Template]:
    stmt = select(Template).options(selectinload(Template.versions)).order_by(Template.type, Template.name)
    if query.type:
        stmt = stmt.where(Template.type == query.type)
    if published_only:
        stmt = stmt.where(Template.is_active.is_(True))
    elif query.active is not None:
        stmt = stmt.where(Template.is_active.is_(query.active))
    templates = db.session.scalars(stmt).all()
    if published_only or query.status == "PUBLISHED":
        templates = [t for t in templates if latest(t, published_only=True) is not None]
    elif query.status == "DRAFT":
        templates = [t for t in templates if any(v.status == "DRAFT" for v in t.versions)]
    return templates


def create_template(body: CreateTemplateBody, *, actor_id: uuid.UUID) -> Template:
    schema = check_schema(body.schema_).model_dump(exclude_none=True)
    template = Template(type=body.type, name=body.name, description=body.description, created_by=actor_id)
    db.session.add(template)
    db.session.flush()
    db.session.add(TemplateVersion(template_id=template.id, version=1, status="DRAFT", schema=schema,
                                   created_by=actor_id))
    db.session.commit()
    return get_template(template.id)


def update_template(template: Template, body: UpdateTemplateBody, *, actor_id: uuid.UUID) -> Template:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise ValidationFailed([field_error("body", "Nothing to change.")])
    db.session.execute(select(Template.id).where(Template.id == template.id).with_for_update())
    for key in ("name", "description", "is_active"):
        if key in changes:
            setattr(template, key, changes[key])
    if body.schema_ is not None:
        schema = check_schema(body.schema_).model_dump(exclude_none=True)
        draft = next((v for v in template.versions if v.status == "DRAFT"), None)
        if draft is None:
            # A published version is frozen: editing starts the next version as a draft.
            newest = db.session.scalar(select(func.max(TemplateVersion.version))
                                       .where(TemplateVersion.template_id == template.id)) or 0
            draft = TemplateVersion(template_id=template.id, version=newest + 1, status="DRAFT",
                                    schema=schema, created_by=actor_id)
            db.session.add(draft)
        else:
            draft.schema = schema
    db.session.commit()
    db.session.expire(template)
    return get_template(template.id)


def publish(template: Template, *, actor_id: uuid.UUID) -> Template:
    draft = db.session.scalar(select(TemplateVersion).where(
        TemplateVersion.template_id == template.id, TemplateVersion.status == "DRAFT").with_for_update())
    if draft is None:
        raise Conflict("This template has no draft to publish; edit it first.")
    check_schema(draft.schema)
    draft.status = "PUBLISHED"
    draft.published_at = utcnow()
    draft.published_by = actor_id
    db.session.commit()
    db.session.expire(template)
    return get_template(template.id)
