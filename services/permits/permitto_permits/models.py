"""Templates and their versions, permits, signatures, numbers, the audit chain, the outbox, isolations,
gas readings, work areas and the SIMOPS rules."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from permitto_common.database import utcnow

from .extensions import db


class Template(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "templates"
    __table_args__ = (CheckConstraint("type IN ('HW','CSE','WAH','EW')", name="type"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(4), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.version"
    )


class TemplateVersion(db.Model):  # type: ignore[name-defined,misc]
    """A version of a template's form. Published versions are frozen; permits pin one."""

    __tablename__ = "template_versions"
    __table_args__ = (
        UniqueConstraint("template_id", "version", name="uq_template_versions_template_version"),
        CheckConstraint("status IN ('DRAFT','PUBLISHED')", name="status"),
        # At most one draft per template at a time.
        Index("uq_template_versions_one_draft", "template_id", unique=True,
              postgresql_where="status = 'DRAFT'"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("templates.id"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="DRAFT")
    schema: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[uuid.UUID | None]
    published_at: Mapped[datetime | None]

    template: Mapped[Template] = relationship(back_populates="versions")

    def read_schema(self) -> dict[str, Any]:
        """The form's schema. A published version's never changes, so it is parsed once per process and
        shared: a permit's page reads the version without it (4-5 KB of JSON a read). Callers never change
        what they are given."""
        if self.status != "PUBLISHED":
            return self.schema
        frozen = _PUBLISHED_SCHEMAS.get(self.id)
        if frozen is None:
            if len(_PUBLISHED_SCHEMAS) >= _PUBLISHED_SCHEMAS_KEPT:
                _PUBLISHED_SCHEMAS.clear()  # a process that saw very many versions parses them again
            frozen = _PUBLISHED_SCHEMAS[self.id] = self.schema
        return frozen


_PUBLISHED_SCHEMAS: dict[uuid.UUID, dict[str, Any]] = {}
_PUBLISHED_SCHEMAS_KEPT = 2000


def published_schema(version_id: uuid.UUID) -> dict[str, Any] | None:
    """The schema of a published version that this process has parsed already, or None."""
    return _PUBLISHED_SCHEMAS.get(version_id)


class Permit(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "permits"
    __table_args__ = (
        CheckConstraint("valid_from < valid_to", name="validity_order"),
        # Keyset pagination and the role filters walk these (listed_at: submitted, or created for drafts).
        Index("ix_permits_listed", "listed_at", "id"),
        Index("ix_permits_project_listed", "project_id", "listed_at", "id"),
        Index("ix_permits_project_status_listed", "project_id", "status", "listed_at", "id"),
        Index("ix_permits_requester_listed", "requester_id", "listed_at", "id"),
        Index("ix_permits_status_listed", "status", "listed_at", "id"),
        Index("ix_permits_code_listed", "project_code", "listed_at", "id"),
        Index("ix_permits_number_prefix", "number", postgresql_ops={"number": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    project_id: Mapped[uuid.UUID]
    project_code: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    # The project's grace for the first work day, taken with the time zone when the permit is created.
    first_day_grace_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    type: Mapped[str] = mapped_column(String(4))
    template_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("template_versions.id"))
    work_area_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_areas.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="DRAFT")
    requester_id: Mapped[uuid.UUID]
    form_data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime]
    work_start: Mapped[time] = mapped_column(default=time(8, 0))
    work_end: Mapped[time] = mapped_column(default=time(17, 0))
    extended_hours: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    listed_at: Mapped[datetime] = mapped_column(default=utcnow)
    issuer_approved_at: Mapped[datetime | None]
    issuer_approved_by: Mapped[uuid.UUID | None]
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[uuid.UUID | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    suspension_kind: Mapped[str | None] = mapped_column(String(10))  # DEADLINE or MANUAL
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None]  # a gas suspension is lifted by a passing reading taken after this
    expiry_warned_at: Mapped[datetime | None]
    closeout_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[uuid.UUID | None]
    closeout_notes: Mapped[str | None] = mapped_column(Text)
    pdf_key: Mapped[str | None] = mapped_column(String(400))
    pdf_version: Mapped[int | None]  # the permit version the stored PDF shows; older means stale

    template_version: Mapped[TemplateVersion] = relationship()
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.signed_at")


class DailyApproval(db.Model):  # type: ignore[name-defined,misc]
    """One work day of an approved permit: the three confirmations, in order, each with who and when."""

    __tablename__ = "daily_approvals"
    __table_args__ = (UniqueConstraint("permit_id", "work_date", name="uq_daily_approvals_permit_date"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), index=True)
    work_date: Mapped[date]
    deadline_at: Mapped[datetime]  # work start, project local time, as an instant
    receiver_at: Mapped[datetime | None]
    receiver_by: Mapped[uuid.UUID | None]
    issuer_at: Mapped[datetime | None]
    issuer_by: Mapped[uuid.UUID | None]
    coordinator_at: Mapped[datetime | None]
    coordinator_by: Mapped[uuid.UUID | None]
    completed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def complete(self) -> bool:
        return self.coordinator_at is not None


class Signature(db.Model):  # type: ignore[name-defined,misc]
    """A signature recorded on a transition; the image lives in object storage (files service)."""

    __tablename__ = "signatures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[uuid.UUID]
    role: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class NumberCounter(db.Model):  # type: ignore[name-defined,misc]
    """Last permit sequence per project, type and year; its row lock makes numbers gap-free."""

    __tablename__ = "number_counters"

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Append-only, hash-chained per permit: each entry's hash covers its content and the previous hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("permit_id", "seq", name="uq_audit_entries_permit_seq"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"))
    seq: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxEvent(db.Model):  # type: ignore[name-defined,misc]
    """A domain event written in the same transaction as the change; relayed to notifications."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_undelivered", "created_at", postgresql_where="delivered_at IS NULL"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(40))
    permit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("permits.id"), index=True)  # None: to a person
    permit_number: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[uuid.UUID | None]
    actor_id: Mapped[uuid.UUID | None]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)


ENERGY_TYPES = ("ELECTRICAL", "MECHANICAL", "HYDRAULIC", "PNEUMATIC", "CHEMICAL", "THERMAL", "GRAVITY", "STORED")


class IsolationPoint(db.Model):  # type: ignore[name-defined,misc]
    """A project's library entry: a place where one energy source is locked out (docs/domain.md, "Isolations")."""

    __tablename__ = "isolation_points"
    __table_args__ = (
        UniqueConstraint("project_id", "tag", name="uq_isolation_points_project_tag"),
        CheckConstraint("energy_type IN ('" + "','".join(ENERGY_TYPES) + "')", name="energy_type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    tag: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300))
    equipment: Mapped[str] = mapped_column(String(200))
    energy_type: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(Text)  # how it is isolated
    verification: Mapped[str] = mapped_column(Text)  # how the isolation is proven (try / test)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IsolationCertificate(db.Model):  # type: ignore[name-defined,misc]
    """The points one job needs, approved before they count; linked to the permits they protect."""

    __tablename__ = "isolation_certificates"
    __table_args__ = (CheckConstraint("status IN ('PENDING_APPROVAL','APPROVED')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="PENDING_APPROVAL")
    prepared_by: Mapped[uuid.UUID]
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[uuid.UUID | None]
    approved_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    points: Mapped[list[CertificatePoint]] = relationship(order_by="CertificatePoint.position")
    links: Mapped[list[CertificatePermit]] = relationship(order_by="CertificatePermit.linked_at")


class CertificatePermit(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "certificate_permits"

    certificate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("isolation_certificates.id"), primary_key=True)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), primary_key=True, index=True)
    linked_by: Mapped[uuid.UUID]
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificatePoint(db.Model):  # type: ignore[name-defined,misc]
    """One point of a certificate and what happened to it: isolated, verified by another person, removed."""

    __tablename__ = "certificate_points"
    __table_args__ = (UniqueConstraint("certificate_id", "point_id", name="uq_certificate_points_point"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    certificate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("isolation_certificates.id"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("isolation_points.id"), index=True)
    position: Mapped[int]
    isolated_by: Mapped[uuid.UUID | None]
    isolated_at: Mapped[datetime | None]
    lock_number: Mapped[str | None] = mapped_column(String(60))
    tag_number: Mapped[str | None] = mapped_column(String(60))
    verified_by: Mapped[uuid.UUID | None]
    verified_at: Mapped[datetime | None]
    verification_note: Mapped[str | None] = mapped_column(Text)
    removed_by: Mapped[uuid.UUID | None]
    removed_at: Mapped[datetime | None]

    point: Mapped[IsolationPoint] = relationship()
    locks: Mapped[list[PersonalLock]] = relationship(order_by="PersonalLock.applied_at")


class PersonalLock(db.Model):  # type: ignore[name-defined,misc]
    """Group lockout: each worker's own lock on an isolated point, on until that worker takes it off."""

    __tablename__ = "personal_locks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    certificate_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificate_points.id"), index=True)
    worker_name: Mapped[str] = mapped_column(String(200))
    lock_number: Mapped[str] = mapped_column(String(60))
    applied_by: Mapped[uuid.UUID]
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by: Mapped[uuid.UUID | None]
    removed_at: Mapped[datetime | None]


class GasReading(db.Model):  # type: ignore[name-defined,misc]
    """One atmospheric test of a permit's work day; append-only (nothing updates or deletes a reading)."""

    __tablename__ = "gas_readings"
    __table_args__ = (Index("ix_gas_readings_permit_taken", "permit_id", "taken_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"))
    work_date: Mapped[date]
    taken_at: Mapped[datetime]
    tester_id: Mapped[uuid.UUID]
    instrument_id: Mapped[str] = mapped_column(String(60))
    calibration_due: Mapped[date]
    location: Mapped[str | None] = mapped_column(String(200))
    values: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # in the order tested, each with its verdict
    passed: Mapped[bool]


class WorkArea(db.Model):  # type: ignore[name-defined,misc]
    """A place on a project where permits are worked (docs/domain.md, "Work areas"); areas nest, and may be
    drawn on the site plan as a pin or a polygon, in coordinates from 0 to 1 of the plan's width and height."""

    __tablename__ = "work_areas"
    __table_args__ = (UniqueConstraint("project_id", "code", name="uq_work_areas_project_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_areas.id"), index=True)  # the walk down
    shape: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SitePlan(db.Model):  # type: ignore[name-defined,misc]
    """A project's site plan image, stored by the files service."""

    __tablename__ = "site_plans"

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(400))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by: Mapped[uuid.UUID]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SimopsRule(db.Model):  # type: ignore[name-defined,misc]
    """A project's verdict on two permit types in one area at one time; missing pairs take the defaults."""

    __tablename__ = "simops_rules"
    __table_args__ = (
        CheckConstraint("verdict IN ('BLOCK','WARN','ALLOW')", name="verdict"),
        CheckConstraint("type_a <= type_b", name="pair_order"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type_a: Mapped[str] = mapped_column(String(4), primary_key=True)
    type_b: Mapped[str] = mapped_column(String(4), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(5))
    updated_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SimopsAcknowledgement(db.Model):  # type: ignore[name-defined,misc]
    """Somebody approved a permit knowing it works beside another under a WARN rule, and said why."""

    __tablename__ = "simops_acknowledgements"
    __table_args__ = (CheckConstraint("permit_a < permit_b", name="pair_order"),)

    permit_a: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), primary_key=True)
    permit_b: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), primary_key=True, index=True)
    acknowledged_by: Mapped[uuid.UUID]
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompetencyType(db.Model):  # type: ignore[name-defined,misc]
    """A kind of competence a permit may demand of a party ("Gas tester"), keyed as templates name it."""

    __tablename__ = "competency_types"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Competency(db.Model):  # type: ignore[name-defined,misc]
    """One person's certificate of a competency: who issued it, its number, when it is valid, the evidence."""

    __tablename__ = "competencies"
    __table_args__ = (CheckConstraint("valid_from <= valid_to", name="validity_order"),
                      Index("ix_competencies_user_type", "user_id", "type_id"),
                      Index("ix_competencies_valid_to", "valid_to", postgresql_where="revoked_at IS NULL"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("competency_types.id"))
    issuer: Mapped[str] = mapped_column(String(200))  # the body that certified it
    number: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    evidence_key: Mapped[str | None] = mapped_column(String(400))
    evidence_type: Mapped[str | None] = mapped_column(String(60))
    recorded_by: Mapped[uuid.UUID]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    expiry_notified_at: Mapped[datetime | None]  # the 30-day notice went out (once per certificate)

    type: Mapped[CompetencyType] = relationship()


class CrewMember(db.Model):  # type: ignore[name-defined,misc]
    """A worker signed on to a permit: acknowledged its hazards and precautions with a signature, on a
    user's device; signed off at the end of the day or the job. Workers need not be Permitto users."""

    __tablename__ = "crew_members"
    __table_args__ = (CheckConstraint("role IN ('WORKER','ENTRANT','ATTENDANT')", name="role"),
                      Index("ix_crew_members_on", "permit_id", postgresql_where="signed_off_at IS NULL"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default="WORKER")
    user_id: Mapped[uuid.UUID | None]  # when the worker is a Permitto user
    competency_ref: Mapped[str | None] = mapped_column(String(100))
    competency_valid_to: Mapped[date | None]
    briefing_sha256: Mapped[str] = mapped_column(String(64))  # the hazards and precautions acknowledged
    signature_key: Mapped[str] = mapped_column(String(400))
    signature_sha256: Mapped[str] = mapped_column(String(64))
    signed_on_at: Mapped[datetime]
    signed_on_by: Mapped[uuid.UUID]  # whose device
    signed_off_at: Mapped[datetime | None]
    signed_off_by: Mapped[uuid.UUID | None]

    entries: Mapped[list[CrewEntry]] = relationship(order_by="CrewEntry.entered_at")


class CrewEntry(db.Model):  # type: ignore[name-defined,misc]
    """Confined space: one entry of an entrant into the space and the exit, each with who recorded it."""

    __tablename__ = "crew_entries"
    __table_args__ = (Index("uq_crew_entries_inside", "crew_member_id", unique=True,
                            postgresql_where="exited_at IS NULL"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    crew_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crew_members.id"), index=True)
    entered_at: Mapped[datetime]
    entered_by: Mapped[uuid.UUID]
    exited_at: Mapped[datetime | None]
    exited_by: Mapped[uuid.UUID | None]


class Handover(db.Model):  # type: ignore[name-defined,misc]
    """A shift handover of a permit from its holder to another receiver: both sign, the issuer acknowledges."""

    __tablename__ = "handovers"
    __table_args__ = (
        CheckConstraint("status IN ('REQUESTED','ACCEPTED','DONE','CANCELLED')", name="status"),
        Index("uq_handovers_one_open", "permit_id", unique=True, postgresql_where="status IN ('REQUESTED','ACCEPTED')"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), index=True)
    from_user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    to_user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default="REQUESTED")
    note: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # isolations and gas tests, as handed
    requested_at: Mapped[datetime]
    from_signature_key: Mapped[str] = mapped_column(String(400))
    from_signature_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime | None]
    to_signature_key: Mapped[str | None] = mapped_column(String(400))
    to_signature_sha256: Mapped[str | None] = mapped_column(String(64))
    acknowledged_by: Mapped[uuid.UUID | None]
    acknowledged_at: Mapped[datetime | None]
    cancelled_by: Mapped[uuid.UUID | None]
    cancelled_at: Mapped[datetime | None]


class Extension(db.Model):  # type: ignore[name-defined,misc]
    """A request for more time: the holder asks, the issuer then the coordinator approve (or either refuses)."""

    __tablename__ = "extensions"
    __table_args__ = (
        CheckConstraint("status IN ('REQUESTED','ISSUER_APPROVED','APPROVED','REFUSED','WITHDRAWN')", name="status"),
        CheckConstraint("from_valid_to < new_valid_to", name="later"),
        Index("uq_extensions_one_open", "permit_id", unique=True,
              postgresql_where="status IN ('REQUESTED','ISSUER_APPROVED')"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="REQUESTED")
    requested_by: Mapped[uuid.UUID]
    requested_at: Mapped[datetime]
    from_valid_to: Mapped[datetime]
    new_valid_to: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    issuer_by: Mapped[uuid.UUID | None]
    issuer_at: Mapped[datetime | None]
    coordinator_by: Mapped[uuid.UUID | None]
    coordinator_at: Mapped[datetime | None]
    refused_by: Mapped[uuid.UUID | None]
    refused_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)


class FireWatch(db.Model):  # type: ignore[name-defined,misc]
    """Hot work's watch after the work stops: named, held for the template's minutes, signed clear."""

    __tablename__ = "fire_watches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permits.id"), unique=True)
    minutes: Mapped[int]
    watcher_name: Mapped[str | None] = mapped_column(String(200))
    watcher_user_id: Mapped[uuid.UUID | None]
    competency_ref: Mapped[str | None] = mapped_column(String(100))
    competency_valid_to: Mapped[date | None]
    named_by: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime | None]  # when the named watch began: the hold runs from here
    ends_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    cleared_by: Mapped[uuid.UUID | None]  # whose device the fire watch signed on
    clear_note: Mapped[str | None] = mapped_column(Text)
    signature_key: Mapped[str | None] = mapped_column(String(400))
    signature_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
