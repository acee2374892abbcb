"""Simultaneous operations (docs/domain.md, "SIMOPS"): two live permits conflict when their work areas are
the same or one contains the other, their validity windows overlap and their daily work hours overlap.
Each project's matrix of permit-type pairs says what a conflict means: BLOCK refuses the step, WARN lets
it pass only with an acknowledgement (who and why), ALLOW lets it be. The lifecycle table's guard runs the
check at submission, at each approval and at each activation, under a per-project lock, so two
conflicting permits approved at the same moment cannot both pass a block."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from sqlalchemy import ColumnElement, any_, bindparam, select, text

from permitto_common.database import DriverRead, bind
from permitto_common.errors import Conflict, Forbidden, NotFound, field_error

from . import audit, clock
from .access import Actor
from .areas import LIVE, same_place
from .directory import directory
from .events import SIMOPS_ACKNOWLEDGED
from .extensions import db
from .models import Permit, SimopsAcknowledgement, SimopsRule, WorkArea
from .schemas import MatrixBody, area_ref
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

log = logging.getLogger(__name__)
# How far along a live permit is: a block counts the permits at least as far along as the step being taken.
STAGE = {SUBMITTED: 1, ISSUER_APPROVED: 2, APPROVED: 3, PENDING_DAILY: 3, ACTIVE: 3, SUSPENDED: 3, PENDING_CLOSEOUT: 3}
TYPES = ("CSE", "EW", "HW", "WAH")
# The defaults a coordinator may change (pairs in alphabetical order).
DEFAULTS = {("CSE", "HW"): "BLOCK", ("HW", "HW"): "WARN", ("EW", "WAH"): "WARN", ("CSE", "CSE"): "WARN"}


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def matrix(project_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """Every pair's verdict for a project: its own choices over the defaults."""
    verdicts = {(a, b): DEFAULTS.get((a, b), "ALLOW") for a in TYPES for b in TYPES if a <= b}
    for rule in db.session.scalars(select(SimopsRule).where(SimopsRule.project_id == project_id)):
        verdicts[(rule.type_a, rule.type_b)] = rule.verdict
    return verdicts


def matrix_out(project_id: uuid.UUID) -> list[dict[str, Any]]:
    own = {(r.type_a, r.type_b) for r in db.session.scalars(
        select(SimopsRule).where(SimopsRule.project_id == project_id))}
    return [{"typeA": a, "typeB": b, "verdict": verdict, "isDefault": (a, b) not in own}
            for (a, b), verdict in sorted(matrix(project_id).items())]


def get_matrix(actor: Actor, project_id: uuid.UUID) -> list[dict[str, Any]]:
    if not actor.sees_project(project_id):
        raise NotFound("No such project.")
    return matrix_out(project_id)


def set_matrix(actor: Actor, project_id: uuid.UUID, body: MatrixBody) -> list[dict[str, Any]]:
    if actor.role not in (ADMIN, COORDINATOR):
        raise Forbidden("Only a coordinator or an administrator changes the SIMOPS matrix.")
    if directory().project(project_id) is None:
        raise NotFound("No such project.")
    before = matrix(project_id)
    for rule in body.rules:
        a, b = _pair(rule.type_a, rule.type_b)
        row = db.session.get(SimopsRule, (project_id, a, b)) or SimopsRule(project_id=project_id, type_a=a, type_b=b)
        row.verdict, row.updated_by, row.updated_at = rule.verdict, actor.id, clock.now()
        db.session.add(row)
    db.session.flush()
    changed = {f"{a}+{b}": v for (a, b), v in matrix(project_id).items() if before[(a, b)] != v}
    db.session.commit()
    if changed:
        log.info("simops matrix changed", extra={"project_id": str(project_id), "by": str(actor.id),
                                                 "changes": changed})
    return matrix_out(project_id)


class OtherPermit(Protocol):
    """What a clash needs of the other permit: a Permit, or a row of the page's plain read."""

    id: uuid.UUID
    number: str | None
    title: str
    type: str
    status: str
    work_area_id: uuid.UUID | None
    work_start: time
    work_end: time


class ShownOther(OtherPermit, Protocol):
    """A row of the page's plain read: the other permit with its area's code and name."""

    work_area_id: uuid.UUID  # it is in one of the same places: never none
    area_code: str
    area_name: str


Other = TypeVar("Other", bound=OtherPermit)


@dataclass(frozen=True)
class Clash(Generic[Other]):
    other: Other
    verdict: str
    acknowledgement: SimopsAcknowledgement | None


def _hours_overlap(a: OtherPermit, b: OtherPermit) -> bool:
    return a.work_start < b.work_end and b.work_start < a.work_end


def _others_terms(values: dict[str, Any] | None = None) -> list[ColumnElement[bool]]:
    """The other live permits in the same places (areas.same_place) at the same time, as SQL whose permit,
    area and window are bind parameters: with their values given (the lifecycle's ORM read), or open (the
    page's plain read, compiled once). The one statement of "where and when" for both."""
    return [Permit.project_id == bind("project_id", values), Permit.id != bind("permit_id", values),
            Permit.status == any_(bindparam("live", sorted(LIVE))),
            Permit.work_area_id.in_(same_place(values)), Permit.valid_from < bind("valid_to", values),
            Permit.valid_to > bind("valid_from", values)]


@lru_cache(maxsize=1)
def _others_read() -> DriverRead:
    return DriverRead(select(*(getattr(Permit, name) for name in OtherPermit.__annotations__),
                             WorkArea.code.label("area_code"), WorkArea.name.label("area_name"))
                      .join(WorkArea, WorkArea.id == Permit.work_area_id)
                      .where(*_others_terms()).order_by(Permit.valid_from), db.engine.dialect)


@overload
def clashes(permit: Permit, *, lock: bool = ..., plain: Literal[False] = ...) -> list[Clash[Permit]]: ...
@overload
def clashes(permit: Permit, *, lock: bool = ..., plain: Literal[True]) -> list[Clash[ShownOther]]: ...
def clashes(permit: Permit, *, lock: bool = False,
            plain: bool = False) -> list[Clash[Permit]] | list[Clash[ShownOther]]:
    """The live permits this one conflicts with under a BLOCK or WARN rule. lock: take the project's
    SIMOPS lock first (held to the end of the transaction), so concurrent checks see each other's outcome.
    plain: the others as plain rows of what a clash shows (the permit's page), not Permits."""
    if permit.work_area_id is None:
        return []
    if lock:
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": f"simops:{permit.project_id}"})
    values = {"project_id": permit.project_id, "permit_id": permit.id, "area_id": permit.work_area_id,
              "valid_from": permit.valid_from, "valid_to": permit.valid_to}
    others: Sequence[Any] = (_others_read().rows(db.session, values) if plain else db.session.scalars(
        select(Permit).where(*_others_terms(values)).order_by(Permit.valid_from)).all())
    if not others:
        return []  # nothing else here at that time: no rule to read
    verdicts = matrix(permit.project_id)
    found = []
    for other in others:
        verdict = verdicts[_pair(permit.type, other.type)]
        if verdict == "ALLOW" or not _hours_overlap(permit, other):
            continue
        a, b = sorted((permit.id, other.id))
        found.append(Clash(other, verdict, db.session.get(SimopsAcknowledgement, (a, b))))
    return found


def check(permit: Permit, *, actor: Actor | None, acknowledgement: str | None, now: datetime, counting: int,
          warn_needs_acknowledgement: bool) -> None:
    """The lifecycle's guard: a BLOCK with a permit at least at stage `counting` refuses, naming the permits;
    a WARN, when this step needs it, passes only acknowledged (earlier, or now with the words given,
    recorded with who and why)."""
    found = clashes(permit, lock=True)
    blocked = [c for c in found if c.verdict == "BLOCK" and STAGE[c.other.status] >= counting]
    if blocked:
        raise Conflict("Conflicting work in the same area: " + "; ".join(_name(c.other) for c in blocked)
                       + ". The SIMOPS matrix blocks these permit types together.", code="SIMOPS_BLOCKED",
                       details=[field_error("conflicts", _name(c.other)) for c in blocked])
    waiting = [c for c in found if c.verdict == "WARN" and c.acknowledgement is None]
    if not waiting or not warn_needs_acknowledgement:
        return
    if not acknowledgement or actor is None:
        raise Conflict("Other work in the same area at the same time: " + "; ".join(_name(c.other) for c in waiting)
                       + ". Approve with an acknowledgement that says how the work is kept apart.",
                       code="SIMOPS_ACKNOWLEDGEMENT_REQUIRED",
                       details=[field_error("simopsAcknowledgement", f"needed for {_name(c.other)}")
                                for c in waiting])
    for clash in waiting:
        a, b = sorted((permit.id, clash.other.id))
        db.session.add(SimopsAcknowledgement(permit_a=a, permit_b=b, acknowledged_by=actor.id, role=actor.role,
                                             reason=acknowledgement, acknowledged_at=now))
        audit.record(permit, "simops_acknowledged", actor_id=actor.id, actor_role=actor.role, comment=acknowledgement,
                     details={"with": clash.other.number, "withPermitId": str(clash.other.id)})
        # the people of the other permit are told: new work beside theirs, and how it is kept apart
        audit.emit(clash.other, SIMOPS_ACKNOWLEDGED, actor_id=actor.id, reason=acknowledgement,
                   withNumber=permit.number, withTitle=permit.title, withType=permit.type)
    db.session.flush()


def _name(permit: Permit) -> str:
    return f"{permit.number or permit.title} ({permit.type}, {permit.status})"


def conflicts_out(permit: Permit) -> list[dict[str, Any]]:
    """The permit's live conflicts, as its page shows them, each with the other permit's area."""
    if permit.status not in LIVE and permit.status != "DRAFT":
        return []
    found = clashes(permit, plain=True)
    if not found:
        return []
    names = directory().users({str(c.acknowledgement.acknowledged_by) for c in found if c.acknowledgement})
    out = []
    for clash in found:
        ack, other = clash.acknowledgement, clash.other
        out.append({
            "permitId": str(other.id), "number": other.number, "title": other.title,
            "type": other.type, "status": other.status, "verdict": clash.verdict,
            "workArea": area_ref(other.work_area_id, other.area_code, other.area_name),
            "acknowledgement": {"by": {"id": str(ack.acknowledged_by),
                                       "name": names.get(str(ack.acknowledged_by), {}).get("name")},
                                "role": ack.role, "reason": ack.reason, "at": ack.acknowledged_at.isoformat()}
            if ack else None,
        })
    return out
