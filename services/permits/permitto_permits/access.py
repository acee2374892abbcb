"""Who is acting, and what of the permits they may see and do (docs/domain.md, roles and visibility)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Select, Uuid, any_, or_, select
from sqlalchemy.orm import joinedload

from permitto_common.database import DriverRead, bind
from permitto_common.errors import Conflict, NotFound, field_error
from permitto_common.security import current_identity

from .directory import directory
from .extensions import db
from .models import Handover, Permit, Signature, TemplateVersion, WorkArea, published_schema
from .schemas import area_ref
from .states import ADMIN, COORDINATOR, ISSUER

if TYPE_CHECKING:
    from .schemas import AreaRef
    from .state_machine import Transition

_Mapped = TypeVar("_Mapped")


@dataclass(frozen=True)
class Actor:
    """The one type for "who is acting": a person through the API (the sweeps act as SYSTEM, no Actor)."""

    id: uuid.UUID
    role: str
    _projects: list[set[uuid.UUID]] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def current(cls) -> Actor:
        identity = current_identity()
        return cls(uuid.UUID(identity.user_id), identity.role)

    @classmethod
    def known(cls, user_id: uuid.UUID, role: str, project_ids: set[uuid.UUID]) -> Actor:
        """An actor whose projects are already known (jobs and tests that hold them)."""
        return cls(user_id, role, [set(project_ids)])

    def sees_project(self, project_id: uuid.UUID) -> bool:
        """Coordinators and administrators are site-wide; issuers and receivers see their own projects."""
        return self.role in (ADMIN, COORDINATOR) or project_id in self.project_ids()

    def project_ids(self) -> set[uuid.UUID]:
        """The projects the actor is assigned to, asked of auth once per request."""
        if not self._projects:
            self._projects.append({uuid.UUID(p) for p in directory().project_ids_of(self.id)})
        return self._projects[0]


def add_unique(record: Any, *, field: str, words: str, code: str) -> None:
    """Commit a new record whose key is unique in its project; a duplicate (also one that won a race) is
    a 409 naming the field, not a database error."""
    from sqlalchemy.exc import IntegrityError

    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(words, code=code, details=[field_error(field, "is already used in this project")]) from None


VIEWER_ID = "viewer_id"
VIEWER_PROJECTS = "viewer_projects"


def visibility_terms(role: str, viewer: dict[str, Any] | None = None) -> list[ColumnElement[bool]]:
    """Which permits a viewer of this role sees, as SQL whose viewer is bind parameters (VIEWER_ID, and
    VIEWER_PROJECTS for an issuer): with their values (viewer_params(actor)) given here, or left open
    for a statement written once per role and given them at each run. The one statement of the rule."""
    if role == ADMIN:
        return []
    viewer_id = bind(VIEWER_ID, viewer, type_=Uuid)
    submitted_or_mine = or_(Permit.submitted_at.is_not(None), Permit.requester_id == viewer_id)
    if role == COORDINATOR:
        return [submitted_or_mine]
    if role == ISSUER:
        return [Permit.project_id == any_(bind(VIEWER_PROJECTS, viewer)), submitted_or_mine]
    # A receiver sees the permits they hold, and those handed to them or by them (docs/domain.md, "Handover").
    handed = select(Handover.permit_id).where(or_(Handover.from_user_id == viewer_id,
                                                  Handover.to_user_id == viewer_id))
    return [or_(Permit.requester_id == viewer_id, Permit.id.in_(handed))]


def viewer_params(actor: Actor) -> dict[str, Any]:
    """The values of visibility_terms' bind parameters for this actor."""
    params: dict[str, Any] = {VIEWER_ID: actor.id}
    if actor.role == ISSUER:
        params[VIEWER_PROJECTS] = sorted(actor.project_ids())
    return params


def visibility_filter(actor: Actor, stmt: Select[Any]) -> Select[Any]:
    return stmt.where(*visibility_terms(actor.role, viewer_params(actor)))


def visible_permit(actor: Actor, permit_id: uuid.UUID, *, lock: bool = False) -> Permit:
    permit = db.session.scalars(_permit_read(actor.role, lock),
                                {**viewer_params(actor), "permit_id": permit_id}).unique().one_or_none()
    if permit is None:
        raise NotFound("No such permit.")  # someone else's permit does not exist for you
    found: Permit = permit
    return found


def permit_to_show(actor: Actor, permit_id: uuid.UUID) -> tuple[Permit, AreaRef | None]:
    """The permit as its page shows it, read on the driver in one statement: a Permit outside the session,
    holding every column of its row, its template version and its signatures, and how it names its work
    area. For reading only: nothing it holds is tracked, so nothing done to it is saved (every change
    reads visible_permit, lock=True).

    The page is the most read answer of the API, and the ORM's loading of the permit, its version and its
    signatures was a third of its CPU (docs/performance.md); the same rule of who sees it applies."""
    rows = _page_read(actor.role).rows(db.session, {**viewer_params(actor), "permit_id": permit_id})
    if not rows:
        raise NotFound("No such permit.")  # someone else's permit does not exist for you
    first = rows[0]
    permit = _unattached(Permit, zip(_PERMIT_KEYS, first[:_SIGNATURES_AT], strict=True))
    version = _unattached(TemplateVersion, zip(_VERSION_KEYS, first[_VERSION_AT:_AREA_AT], strict=True))
    schema = published_schema(version.id) if version.status == "PUBLISHED" else None
    if schema is None:  # a version not read yet in this process, or not published: its schema is read
        schema = db.session.scalar(select(TemplateVersion.schema).where(TemplateVersion.id == version.id))
    version.__dict__["schema"] = schema
    permit.__dict__["template_version"] = version
    permit.__dict__["signatures"] = [
        _unattached(Signature, zip(_SIGNATURE_KEYS, row[_SIGNATURES_AT:_VERSION_AT], strict=True))
        for row in rows if row[_SIGNATURES_AT] is not None]  # a permit with none has one row, its join empty
    area: AreaRef | None = None
    if permit.work_area_id is not None:
        area = area_ref(permit.work_area_id, first.area_code, first.area_name)
    return permit, area


_PERMIT_COLUMNS = list(Permit.__table__.columns)
_SIGNATURE_COLUMNS = list(Signature.__table__.columns)
_VERSION_COLUMNS = [c for c in TemplateVersion.__table__.columns if c.key != "schema"]  # published: parsed once
_PERMIT_KEYS = [c.key for c in _PERMIT_COLUMNS]
_SIGNATURE_KEYS = [c.key for c in _SIGNATURE_COLUMNS]
_VERSION_KEYS = [c.key for c in _VERSION_COLUMNS]
_SIGNATURES_AT = len(_PERMIT_COLUMNS)
_VERSION_AT = _SIGNATURES_AT + len(_SIGNATURE_COLUMNS)
_AREA_AT = _VERSION_AT + len(_VERSION_COLUMNS)


@lru_cache(maxsize=8)
def _page_read(role: str) -> DriverRead:
    """One row per signature (one row with none), in the order of Permit.signatures; the area's code and
    name last."""
    return DriverRead(
        select(*_PERMIT_COLUMNS, *(c.label(f"signature_{c.key}") for c in _SIGNATURE_COLUMNS),
               *(c.label(f"version_{c.key}") for c in _VERSION_COLUMNS),
               WorkArea.code.label("area_code"), WorkArea.name.label("area_name"))
        .select_from(Permit)
        .join(TemplateVersion, TemplateVersion.id == Permit.template_version_id)
        .outerjoin(WorkArea, WorkArea.id == Permit.work_area_id)
        .outerjoin(Signature, Signature.permit_id == Permit.id)
        .where(Permit.id == bind("permit_id"), *visibility_terms(role))
        .order_by(Signature.signed_at), db.engine.dialect)


def _unattached(cls: type[_Mapped], values: Iterable[tuple[str, Any]]) -> _Mapped:
    """An instance of a mapped class holding these column values as if loaded, in no session."""
    instance: _Mapped = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance.__dict__.update(values)
    return instance


@lru_cache(maxsize=16)
def _permit_read(role: str, lock: bool) -> Select[tuple[Permit]]:
    """One statement object per role (and lock), its values bind parameters: SQLAlchemy remembers a
    statement object's cache key, so a reused one is not walked again on every read of a permit."""
    stmt = select(Permit).where(Permit.id == bind("permit_id"), *visibility_terms(role))
    if lock:
        stmt = stmt.with_for_update(of=Permit)  # the permit's row only, never its (shared) template version
    # The version and the signatures joined in the same statement (every permit has one version, and a
    # handful of signatures at most): one round trip where a second statement for the signatures cost
    # more than the permit's own. The version's schema is left out: TemplateVersion.read_schema keeps
    # published ones parsed.
    return stmt.options(joinedload(Permit.signatures),
                        joinedload(Permit.template_version, innerjoin=True).defer(TemplateVersion.schema))


def refusal(actor: Actor, permit: Permit, step: Transition) -> str | None:
    """Why this actor may not take this step on this permit (its role and state aside), or None."""
    if actor.role not in step.roles:
        return f"A {actor.role} cannot {step.action.replace('_', ' ')} a permit."
    if step.owner_only and permit.requester_id != actor.id:
        return "Only the receiver who requested this permit can do this."
    # Issuers act on their projects only; coordinators and administrators are site-wide.
    if step.member_only and actor.role == ISSUER and permit.project_id not in actor.project_ids():
        return "You are not assigned to this permit's project."
    if step.not_requester and permit.requester_id == actor.id:
        return "Separation of duties: nobody approves or rejects their own permit."
    return None
