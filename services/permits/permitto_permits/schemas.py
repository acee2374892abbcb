"""Request bodies and queries of the permits API (camelCase on the wire) and the shapes it returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import Row
from typing_extensions import TypedDict  # pydantic reads typed dicts from here on Python 3.11

from permitto_common.validation import Body, Text

from .models import Permit, Template, TemplateVersion
from .states import STATES
from .template_schema import isolation_required

PermitType = Literal["HW", "CSE", "WAH", "EW"]
Status = Literal[STATES]  # type: ignore[valid-type]


class CreateTemplateBody(Body):
    type: PermitType
    name: str = Field(min_length=3, max_length=200)
    description: Text = Field("", max_length=4000)
    schema_: dict[str, Any] = Field(alias="schema")


class UpdateTemplateBody(Body):
    name: str | None = Field(None, min_length=3, max_length=200)
    description: Text | None = Field(None, max_length=4000)
    is_active: bool | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")


class TemplateQuery(Body):
    type: PermitType | None = None
    active: bool | None = None
    status: Literal["DRAFT", "PUBLISHED"] | None = None


class CreatePermitBody(Body):
    template_id: uuid.UUID
    project_id: uuid.UUID
    title: str = Field(min_length=3, max_length=200)
    valid_from: datetime = Field(description="ISO 8601; without an offset it is the project's local time")
    valid_to: datetime
    work_start: time = time(8, 0)
    work_end: time = time(17, 0)
    extended_hours: bool = False
    work_area_id: uuid.UUID | None = Field(None, description="where the work is; required to submit")
    form_data: dict[str, Any] = Field(default_factory=dict)


class UpdatePermitBody(Body):
    version: int | None = Field(None, ge=1, description="the version read; or send If-Match")
    title: str | None = Field(None, min_length=3, max_length=200)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    work_start: time | None = None
    work_end: time | None = None
    extended_hours: bool | None = None
    work_area_id: uuid.UUID | None = None
    form_data: dict[str, Any] | None = Field(None, description="merged into the saved data; null clears a field")


class ValidateBody(Body):
    sections: list[str] | None = Field(None, max_length=30, description="the steps to check; all when absent")


class SignatureIn(Body):
    """Either the drawn PNG itself, or the id of one stored earlier with POST /files/signatures."""

    image_base64: str | None = Field(None, min_length=20, max_length=800_000)
    signature_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SignatureIn:
        if (self.image_base64 is None) == (self.signature_id is None):
            raise ValueError("give either imageBase64 or signatureId")
        return self


class ApproveBody(Body):
    signature: SignatureIn
    comment: Text | None = Field(None, max_length=2000)
    simops_acknowledgement: Text | None = Field(
        None, min_length=5, max_length=2000,
        description="how the work is kept apart from other work in the area that a WARN rule names")


class CloseBody(Body):
    signature: SignatureIn
    completion_notes: Text = Field(min_length=5, max_length=4000)


class BulkDailyBody(Body):
    permit_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class AnalyticsQuery(Body):
    project_id: uuid.UUID | None = None
    from_: date | None = Field(None, alias="from", description="the first day (UTC); 30 days before `to` unless given")
    to: date | None = Field(None, description="the last day, included (UTC); today unless given")

    @field_validator("to")
    @classmethod
    def _range(cls, to: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("from_")
        if first and to and first > to:
            raise ValueError("must not be before the first day (from)")
        if first and to and (to - first).days > 366:
            raise ValueError("the range is at most 366 days")
        return to


class ReasonBody(Body):
    reason: Text = Field(min_length=5, max_length=2000)


class CancelBody(Body):
    reason: Text | None = Field(None, min_length=5, max_length=2000)


class PermitQuery(Body):
    status: list[Status] | Status | None = None
    type: PermitType | None = None
    project_id: uuid.UUID | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    q: str | None = Field(None, min_length=1, max_length=64,
                           description="the start of a permit number, or words of its title")
    sort: Literal["-submittedAt", "submittedAt", "status", "projectCode"] = "-submittedAt"
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=500)


Coordinate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Pin(Body):
    type: Literal["pin"]
    x: Coordinate
    y: Coordinate


class Polygon(Body):
    type: Literal["polygon"]
    points: list[tuple[Coordinate, Coordinate]] = Field(min_length=3, max_length=60)


class AreaBody(Body):
    project_id: uuid.UUID
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    name: str = Field(min_length=2, max_length=200)
    parent_id: uuid.UUID | None = None
    shape: Pin | Polygon | None = Field(None, discriminator="type",
                                        description="where it is on the site plan, from 0 to 1 of its width and height")


class AreaPatch(Body):
    name: str | None = Field(None, min_length=2, max_length=200)
    parent_id: uuid.UUID | None = None
    shape: Pin | Polygon | None = Field(None, discriminator="type")
    is_active: bool | None = None


class AreaQuery(Body):
    project_id: uuid.UUID
    include_inactive: bool = False


class BoardQuery(Body):
    project_id: uuid.UUID


class PlanUploadBody(Body):
    content_type: Literal["image/png", "image/jpeg"]
    size: int = Field(gt=0, le=20 * 1024 * 1024)


class PlanConfirmBody(Body):
    key: str = Field(min_length=10, max_length=400)


class MatrixRule(Body):
    type_a: PermitType
    type_b: PermitType
    verdict: Literal["BLOCK", "WARN", "ALLOW"]


class MatrixBody(Body):
    rules: list[MatrixRule] = Field(min_length=1, max_length=10)


EnergyType = Literal["ELECTRICAL", "MECHANICAL", "HYDRAULIC", "PNEUMATIC", "CHEMICAL", "THERMAL", "GRAVITY", "STORED"]
Line = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\r\n]+$")]  # a lock, tag or instrument


class PointBody(Body):
    project_id: uuid.UUID
    tag: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")
    description: str = Field(min_length=3, max_length=300)
    equipment: str = Field(min_length=2, max_length=200)
    energy_type: EnergyType
    method: Text = Field(min_length=3, max_length=2000, description="how the point is isolated")
    verification: Text = Field(min_length=3, max_length=2000, description="how the isolation is proven (try / test)")


class PointPatch(Body):
    description: str | None = Field(None, min_length=3, max_length=300)
    equipment: str | None = Field(None, min_length=2, max_length=200)
    energy_type: EnergyType | None = None
    method: Text | None = Field(None, min_length=3, max_length=2000)
    verification: Text | None = Field(None, min_length=3, max_length=2000)
    is_active: bool | None = None


class PointQuery(Body):
    project_id: uuid.UUID
    include_inactive: bool = False


class CertificateBody(Body):
    project_id: uuid.UUID
    title: str = Field(min_length=3, max_length=200)
    point_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    permit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class CertificatePointsBody(Body):
    point_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    version: int | None = Field(None, ge=1, description="the version read; a newer one is refused")


class LinkBody(Body):
    permit_id: uuid.UUID


class IsolateBody(Body):
    lock_number: Line
    tag_number: Line


class VerifyBody(Body):
    method: Text = Field(min_length=5, max_length=2000, description="how it was tried and tested, and the result")


class LockBody(Body):
    worker_name: str = Field(min_length=2, max_length=200)
    lock_number: Line


class GasValue(Body):
    gas: str = Field(min_length=1, max_length=64)
    value: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)


class ReadingBody(Body):
    instrument_id: Line
    calibration_due: date = Field(description="the date the instrument's calibration runs out")
    location: str | None = Field(None, max_length=200)
    values: list[GasValue] = Field(min_length=1, max_length=12)


# Answers: typed dicts the views build, checked by mypy and published in the OpenAPI document.
class TemplateVersionOut(TypedDict):
    id: str
    version: int
    status: str
    publishedAt: str | None
    createdAt: NotRequired[str]
    schema: NotRequired[dict[str, Any]]


class TemplateOut(TypedDict):
    id: str
    type: str
    name: str
    description: str
    isActive: bool
    publishedVersion: int | None
    draftVersion: int | None
    createdAt: str
    version: NotRequired[TemplateVersionOut]
    versions: NotRequired[list[TemplateVersionOut]]  # every version, newest first (with the schema only)


class PermitSummary(TypedDict):
    """Its ids and instants are held as they are (uuid.UUID, datetime): the envelope's encoder writes them
    in C in the very form str() and isoformat() give (permitto_common.jsonio), and a list page holds
    twenty rows of eight of them. The document says what they are: format uuid and date-time."""
    id: uuid.UUID
    number: str | None
    title: str
    type: str
    status: str
    projectId: uuid.UUID
    projectCode: str
    requesterId: uuid.UUID
    validFrom: datetime
    validTo: datetime
    workStart: str
    workEnd: str
    extendedHours: bool
    version: int
    createdAt: datetime
    submittedAt: datetime | None
    approvedAt: datetime | None


class AreaRef(TypedDict):
    id: str
    code: str
    name: str


def area_ref(area_id: uuid.UUID, code: str, name: str) -> AreaRef:
    """How a permit names its area, and a conflict the other permit's: enough to read it without another call."""
    return {"id": str(area_id), "code": code, "name": name}


class AcknowledgementOut(TypedDict):
    by: PersonOut
    role: str
    reason: str
    at: str


class ConflictOut(TypedDict):
    permitId: str
    number: str | None
    title: str
    type: str
    status: str
    verdict: Literal["BLOCK", "WARN"]
    workArea: AreaRef | None
    acknowledgement: AcknowledgementOut | None


class AreaOut(TypedDict):
    id: str
    projectId: str
    code: str
    name: str
    parentId: str | None
    shape: dict[str, Any] | None
    isActive: bool


class BoardPermit(TypedDict):
    id: str
    number: str | None
    title: str
    type: str
    status: str
    workAreaId: str


class BoardArea(AreaOut):
    colour: Literal["red", "amber", "blue", "grey", "none"]
    permits: list[BoardPermit]


class PlanOut(TypedDict):
    url: str
    expiresIn: int
    width: int
    height: int
    contentType: str
    uploadedAt: str


class BoardConflict(TypedDict):
    permits: list[BoardPermit]
    verdict: Literal["BLOCK", "WARN"]
    acknowledged: bool


class BoardOut(TypedDict):
    projectId: str
    plan: PlanOut | None
    areas: list[BoardArea]
    conflicts: list[BoardConflict]  # live pairs in the same place at the same time (SIMOPS)


class PlanTicket(TypedDict):
    key: str
    url: str
    headers: dict[str, str]
    expiresIn: int


class MatrixEntry(TypedDict):
    typeA: str
    typeB: str
    verdict: str
    isDefault: bool


class SignatureOut(TypedDict):
    action: str
    userId: uuid.UUID
    role: str
    signedAt: datetime
    sha256: str


class PermitOut(PermitSummary):
    """As PermitSummary, its ids and instants held as they are, for the envelope's encoder."""
    templateVersionId: uuid.UUID
    templateId: uuid.UUID
    templateVersion: int
    formData: dict[str, Any]
    timezone: str
    rejectionReason: str | None
    cancelReason: str | None
    issuerApprovedAt: datetime | None
    issuerApprovedBy: uuid.UUID | None
    approvedBy: uuid.UUID | None
    suspensionKind: str | None
    suspensionReason: str | None
    expiryWarnedAt: datetime | None
    closedAt: datetime | None
    closedBy: uuid.UUID | None
    closeoutNotes: str | None
    signatures: list[SignatureOut]
    allowedActions: list[str]
    suspendedAt: datetime | None
    workAreaId: uuid.UUID | None
    workArea: AreaRef | None
    conflicts: list[ConflictOut]
    isolationRequired: bool
    gasTests: dict[str, Any] | None  # the gases its template version tests, their limits, the re-test interval
    hotWork: dict[str, Any] | None  # {fireWatchMinutes}: close-out names a fire watch


class PendingActionsOut(TypedDict):
    count: int
    permits: list[PermitSummary]
    dailyConfirmations: list[PermitSummary]


class DailyResult(TypedDict):
    permitId: str
    ok: bool
    status: NotRequired[str]
    workDate: NotRequired[str]
    error: NotRequired[dict[str, Any]]


class Confirmation(TypedDict):
    at: str | None
    userId: str | None
    name: str | None


class DayOut(TypedDict):
    workDate: str
    deadlineAt: str
    complete: bool
    receiver: Confirmation
    issuer: Confirmation
    coordinator: Confirmation


class ActorOut(TypedDict):
    id: str
    name: str | None
    role: str | None


class TimelineEntry(TypedDict):
    seq: int
    action: str
    at: str
    actor: ActorOut | None
    fromStatus: str | None
    toStatus: str | None
    comment: str | None
    details: dict[str, Any] | None
    hash: str


class ChainCheck(TypedDict):
    valid: bool
    entries: int
    brokenAt: int | None
    head: NotRequired[str | None]


class PdfLink(TypedDict):
    url: str
    expiresIn: int
    fileName: str
    size: int
    permitVersion: int | None


class ProjectFigures(TypedDict):
    projectId: str
    projectCode: str
    total: int
    byStatus: dict[str, int]
    byType: dict[str, dict[str, int]]


class ApprovalTime(TypedDict):
    approved: int
    medianHours: float | None
    p90Hours: float | None


class DailyCompliance(TypedDict):
    daysDue: int
    confirmedBeforeDeadline: int
    rate: float | None


class WeekCount(TypedDict):
    week: str
    count: int


class StageTime(TypedDict):
    stage: str  # issuer (submitted to the issuer's approval), coordinator (to the final one), total
    type: str | None  # None: every type together
    count: int
    medianSeconds: float
    p90Seconds: float


class DayStates(TypedDict):
    day: str
    counts: dict[str, int]  # how many permits were in each state at the end of the day (UTC)


class CauseCount(TypedDict):
    cause: str  # DEADLINE, GAS, RETEST, MANUAL
    count: int


class ProjectCompliance(DailyCompliance):
    projectId: str
    projectCode: str


class OverdueCloseout(TypedDict):
    id: str
    number: str | None
    title: str
    projectCode: str
    waitingSince: str
    hoursWaiting: float


class AnalyticsOut(TypedDict):
    range: dict[str, str]  # from, to: the days the figures cover
    projects: list[ProjectFigures]
    approvalTime: ApprovalTime
    approvalStages: list[StageTime]
    statesOverTime: list[DayStates]
    dailyCompliance: DailyCompliance
    complianceByProject: list[ProjectCompliance]
    suspensionsPerWeek: list[WeekCount]
    suspensionCauses: list[CauseCount]
    overdueCloseouts: list[OverdueCloseout]


class PointFields(TypedDict):
    """What a library point says, in the library and on each certificate that lists it."""

    tag: str
    description: str
    equipment: str
    energyType: str
    method: str
    verification: str


class PointOut(PointFields):
    id: str
    projectId: str
    isActive: bool


class PersonOut(TypedDict):
    id: str
    name: str | None


class LockOut(TypedDict):
    id: str
    workerName: str
    lockNumber: str
    appliedAt: str | None
    removedAt: str | None


class CertificatePointOut(PointFields):
    pointId: str
    state: Literal["PLANNED", "ISOLATED", "VERIFIED", "REMOVED"]
    isolatedBy: PersonOut | None
    isolatedAt: str | None
    lockNumber: str | None
    tagNumber: str | None
    verifiedBy: PersonOut | None
    verifiedAt: str | None
    verificationNote: str | None
    removedBy: PersonOut | None
    removedAt: str | None
    locks: list[LockOut]


class LinkedPermit(TypedDict):
    id: str
    number: str | None
    title: str
    status: str


class CertificateOut(TypedDict):
    id: str
    projectId: str
    title: str
    status: Literal["PENDING_APPROVAL", "APPROVED"]
    version: int
    preparedBy: PersonOut | None
    preparedAt: str | None
    approvedBy: PersonOut | None
    approvedAt: str | None
    permits: list[LinkedPermit]
    points: list[CertificatePointOut]


class ReadingOut(TypedDict):
    id: str
    workDate: str
    takenAt: str
    tester: PersonOut
    instrumentId: str
    calibrationDue: str
    location: str | None
    values: list[dict[str, Any]]
    passed: bool


class SectionCheck(TypedDict):
    valid: bool
    problems: list[dict[str, str]]


def template_out(template: Template, version: TemplateVersion | None, *, with_schema: bool = True) -> TemplateOut:
    published = [v.version for v in template.versions if v.status == "PUBLISHED"]
    draft = next((v.version for v in template.versions if v.status == "DRAFT"), None)
    out: TemplateOut = {
        "id": str(template.id),
        "type": template.type,
        "name": template.name,
        "description": template.description,
        "isActive": template.is_active,
        "publishedVersion": max(published) if published else None,
        "draftVersion": draft,
        "createdAt": template.created_at.isoformat(),
    }
    if version is not None:
        out["version"] = {
            "id": str(version.id), "version": version.version, "status": version.status,
            "publishedAt": version.published_at.isoformat() if version.published_at else None,
        }
        if with_schema:
            out["version"]["schema"] = version.schema
    if with_schema:
        out["versions"] = [{"id": str(v.id), "version": v.version, "status": v.status,
                            "createdAt": v.created_at.isoformat(),
                            "publishedAt": v.published_at.isoformat() if v.published_at else None}
                           for v in sorted(template.versions, key=lambda v: -v.version)]
    return out


def permit_summary(permit: Permit | Row[Any]) -> PermitSummary:
    """From a permit, or a row of listing.SUMMARY_COLUMNS."""
    return {
        "id": permit.id,
        "number": permit.number,
        "title": permit.title,
        "type": permit.type,
        "status": permit.status,
        "projectId": permit.project_id,
        "projectCode": permit.project_code,
        "requesterId": permit.requester_id,
        "validFrom": permit.valid_from,
        "validTo": permit.valid_to,
        "workStart": permit.work_start.isoformat("minutes"),
        "workEnd": permit.work_end.isoformat("minutes"),
        "extendedHours": permit.extended_hours,
        "version": permit.version,
        "createdAt": permit.created_at,
        "submittedAt": permit.submitted_at,
        "approvedAt": permit.approved_at,
    }


def permit_out(permit: Permit, allowed_actions: list[str], *, work_area: AreaRef | None,
               conflicts: list[ConflictOut]) -> PermitOut:
    return {
        **permit_summary(permit),
        "templateVersionId": permit.template_version_id,
        "templateId": permit.template_version.template_id,
        "templateVersion": permit.template_version.version,
        "formData": permit.form_data,
        "timezone": permit.timezone,
        "rejectionReason": permit.rejection_reason,
        "cancelReason": permit.cancel_reason,
        "issuerApprovedAt": permit.issuer_approved_at,
        "issuerApprovedBy": permit.issuer_approved_by,
        "approvedBy": permit.approved_by,
        "suspensionKind": permit.suspension_kind,
        "suspensionReason": permit.suspension_reason,
        "expiryWarnedAt": permit.expiry_warned_at,
        "closedAt": permit.closed_at,
        "closedBy": permit.closed_by,
        "closeoutNotes": permit.closeout_notes,
        "signatures": [{"action": s.action, "userId": s.user_id, "role": s.role, "signedAt": s.signed_at,
                        "sha256": s.sha256} for s in permit.signatures],
        "allowedActions": allowed_actions,
        "suspendedAt": permit.suspended_at,
        "workAreaId": permit.work_area_id,
        "workArea": work_area,
        "conflicts": conflicts,
        "isolationRequired": isolation_required(permit.template_version.read_schema()),
        "gasTests": permit.template_version.read_schema().get("gasTests"),
        "hotWork": permit.template_version.read_schema().get("hotWork"),
    }


# People on the permit (docs/domain.md, "Competencies" and "People on the permit").
CompetencyKey = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$", description="e.g. GAS_TESTER")]
Name = Annotated[str, Field(min_length=2, max_length=200)]


class CompetencyTypeBody(Body):
    key: CompetencyKey
    name: Name
    description: Text | None = Field(None, max_length=2000)


class CompetencyBody(Body):
    user_id: uuid.UUID
    type_key: CompetencyKey
    issuer: Name = Field(description="the body that certified the person")
    number: str = Field(min_length=1, max_length=100)
    valid_from: date
    valid_to: date
    evidence_key: str | None = Field(None, max_length=400, description="from POST /competencies/evidence-upload")


class EvidenceUploadBody(Body):
    user_id: uuid.UUID
    content_type: Literal["application/pdf", "image/png", "image/jpeg"]
    size: int = Field(ge=1, le=10 * 1024 * 1024)


class RevokeBody(Body):
    reason: Text = Field(min_length=5, max_length=2000)


class CompetencyQuery(Body):
    user_id: uuid.UUID | None = Field(None, description="whose; yourself when absent")


class ExpiringQuery(Body):
    days: int = Field(30, ge=1, le=365)


class PersonIn(Body):
    """Someone a permit names who need not be a Permitto user: a worker of the crew, the fire watch."""

    name: Name
    company: Name
    user_id: uuid.UUID | None = Field(None, description="when the person is a Permitto user: their register counts")
    competency_ref: str | None = Field(None, min_length=1, max_length=100, description="the certificate's number")
    competency_valid_to: date | None = None


class CrewBody(PersonIn):
    role: Literal["WORKER", "ENTRANT", "ATTENDANT"] = "WORKER"
    acknowledged: bool = Field(description="the worker read the permit's hazards and precautions (must be true)")
    signature: SignatureIn


class HandoverBody(Body):
    to_user_id: uuid.UUID = Field(description="the incoming holder, a receiver of the project")
    note: Text = Field(min_length=5, max_length=4000)
    signature: SignatureIn


class SignedBody(Body):
    signature: SignatureIn


class ExtensionBody(Body):
    valid_to: datetime = Field(description="the new end of the permit's validity")
    reason: Text = Field(min_length=5, max_length=2000)


class CloseoutBody(Body):
    reason: Text | None = Field(None, min_length=5, max_length=2000)
    fire_watch: PersonIn | None = Field(None, description="hot work: who keeps the fire watch (required)")


class FireWatchClearBody(Body):
    signature: SignatureIn
    note: Text = Field(min_length=5, max_length=2000, description="what the fire watch found")


class EvidenceLink(TypedDict):
    url: str
    urlExpiresIn: int


class CompetencyTypeOut(TypedDict):
    id: str
    key: str
    name: str
    description: str


class CompetencyOut(TypedDict):
    id: str
    userId: str
    name: str | None
    type: CompetencyTypeOut
    issuer: str
    number: str
    validFrom: str
    validTo: str
    state: Literal["VALID", "EXPIRED", "NOT_YET_VALID", "REVOKED"]
    daysLeft: int
    hasEvidence: bool
    revokedAt: str | None
    revokeReason: str | None


class CrewEntryOut(TypedDict):
    enteredAt: str
    exitedAt: str | None


class CrewMemberOut(TypedDict):
    id: str
    name: str
    company: str
    role: Literal["WORKER", "ENTRANT", "ATTENDANT"]
    userId: str | None
    competencyRef: str | None
    competencyValidTo: str | None
    signedOnAt: str
    signedOnBy: PersonOut
    signedOffAt: str | None
    signedOffBy: PersonOut | None
    onPermit: bool
    inside: bool
    entries: list[CrewEntryOut]


class HandoverOut(TypedDict):
    id: str
    status: Literal["REQUESTED", "ACCEPTED", "DONE", "CANCELLED"]
    fromUser: PersonOut
    toUser: PersonOut
    note: str
    snapshot: dict[str, Any]
    requestedAt: str
    acceptedAt: str | None
    acknowledgedBy: PersonOut | None
    acknowledgedAt: str | None
    cancelledAt: str | None


class ExtensionOut(TypedDict):
    id: str
    status: Literal["REQUESTED", "ISSUER_APPROVED", "APPROVED", "REFUSED", "WITHDRAWN"]
    requestedBy: PersonOut
    requestedAt: str
    fromValidTo: str
    newValidTo: str
    reason: str
    issuerApprovedBy: PersonOut | None
    issuerApprovedAt: str | None
    approvedBy: PersonOut | None
    approvedAt: str | None
    refusedBy: PersonOut | None
    refusalReason: str | None


class FireWatchOut(TypedDict):
    minutes: int
    watcherName: str | None
    watcherUserId: str | None
    competencyRef: str | None
    startedAt: str | None
    endsAt: str | None
    clearedAt: str | None
    clearedBy: PersonOut | None
    clearNote: str | None


class PeopleOut(TypedDict):
    """Who is on a permit now and what passed between people: the crew, handovers, extensions, fire watch."""

    holder: PersonOut
    onPermit: int
    inside: int
    crew: list[CrewMemberOut]
    handovers: list[HandoverOut]
    extensions: list[ExtensionOut]
    fireWatch: FireWatchOut | None
    maxValidTo: str
    hotWork: bool
    confinedSpace: bool
