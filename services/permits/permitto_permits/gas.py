"""Gas testing (docs/domain.md, "Gas testing"): the readings of a permit's work days, append-only, each
judged against the limits its template version declares; what a failing or overdue test does to the
permit is a step of the lifecycle table (gas_suspend, retest_suspend), taken here and by the sweep."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from permitto_common.errors import Conflict, Forbidden, ValidationFailed, field_error

from . import audit, clock, competencies, daily, relay, transitions
from .access import Actor, visible_permit
from .extensions import db
from .models import GasReading, Permit
from .schemas import ReadingBody
from .states import ACTIVE, APPROVED, COORDINATOR, ISSUER, PENDING_DAILY, RECEIVER, SUSPENDED
from .template_schema import GasSpec, GasTests, gas_tests

TESTABLE = (APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED)
GAS_SUSPENSIONS = ("GAS", "RETEST")


def _judge(spec: GasSpec, value: float) -> bool:
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def _limits(spec: GasSpec) -> str:
    if spec.min is not None and spec.max is not None:
        return f"{spec.min:g}–{spec.max:g} {spec.unit}"
    return f"≥ {spec.min:g} {spec.unit}" if spec.min is not None else f"≤ {spec.max:g} {spec.unit}"


def record(actor: Actor, permit_id: uuid.UUID, body: ReadingBody) -> GasReading:
    permit = visible_permit(actor, permit_id, lock=True)
    if actor.role not in (RECEIVER, ISSUER, COORDINATOR):
        raise Forbidden("Gas tests are recorded by the permit's receiver, an issuer or a coordinator.")
    if actor.role == RECEIVER and permit.requester_id != actor.id:
        raise Forbidden("Only the receiver who requested this permit records its gas tests.")
    spec = gas_tests(permit.template_version.read_schema())
    if spec is None:
        raise Conflict("This permit's template declares no gas tests.", code="NO_GAS_TESTS")
    if permit.status not in TESTABLE:
        raise Conflict(f"The permit is {permit.status}; readings are taken while it is in its daily cycle.",
                       code="INVALID_STATE", details=[field_error("status", permit.status)])
    now = clock.now()
    competencies.require(permit, "gasTester", actor.id, now)
    today = daily.local_date(now, permit.timezone)
    problems = []
    if body.calibration_due < today:
        problems.append(field_error("calibrationDue", f"the instrument's calibration ran out on "
                                    f"{body.calibration_due.isoformat()}; use a calibrated instrument"))
    given = {v.gas: v.value for v in body.values}
    for i, v in enumerate(body.values):
        if v.gas not in {g.key for g in spec.gases}:
            problems.append(field_error(f"values[{i}].gas", "is not a gas this permit tests"))
    for gas in spec.gases:
        if gas.key not in given and gas.initialTest:
            problems.append(field_error(f"values.{gas.key}", f"{gas.name}: a value is required"))
    if problems:
        raise ValidationFailed(problems, "The reading cannot be recorded; fix every problem listed.")
    values = [{"gas": g.key, "name": g.name, "unit": g.unit, "value": given[g.key], "limits": _limits(g),
               "pass": _judge(g, given[g.key])} for g in spec.gases if g.key in given]  # in the order of testing
    reading = GasReading(permit_id=permit.id, work_date=today, taken_at=now, tester_id=actor.id,
                         instrument_id=body.instrument_id, calibration_due=body.calibration_due,
                         location=body.location, values=values, passed=all(v["pass"] for v in values))
    db.session.add(reading)
    permit.version += 1
    audit.record(permit, "gas_reading", actor_id=actor.id, actor_role=actor.role,
                 details={"passed": reading.passed, "instrument": body.instrument_id,
                          "values": {v["gas"]: v["value"] for v in values}, "location": body.location})
    failed = [v for v in values if not v["pass"]]
    if failed and permit.status == ACTIVE:
        transitions.system_step(permit, "gas_suspend", now, kind="GAS",
                                reason="Gas test failed: " + "; ".join(
                                    f"{v['name']} {v['value']:g} {v['unit']} (limit {v['limits']})" for v in failed))
    db.session.commit()
    if failed and permit.status == SUSPENDED:
        relay.kick()
    return reading


def readings(actor: Actor, permit_id: uuid.UUID) -> Sequence[GasReading]:
    permit = visible_permit(actor, permit_id)
    return db.session.scalars(select(GasReading).where(GasReading.permit_id == permit.id)
                              .order_by(GasReading.taken_at)).all()


def _latest(permit: Permit) -> GasReading | None:
    return db.session.scalar(select(GasReading).where(GasReading.permit_id == permit.id)
                             .order_by(GasReading.taken_at.desc()).limit(1))


def retest_due(permit: Permit, spec: GasTests) -> datetime | None:
    """When the last passing reading falls due for a re-test; None without an interval or a reading."""
    if spec.retestMinutes is None:
        return None
    last = _latest(permit)
    if last is None or not last.passed:
        return None
    return last.taken_at + timedelta(minutes=spec.retestMinutes)


def start_problems(permit: Permit, now: datetime) -> list[dict[str, str]]:
    """Why work may not start for the atmosphere: the work day's last reading must pass and be current."""
    spec = gas_tests(permit.template_version.read_schema())
    if spec is None or not any(g.initialTest for g in spec.gases):
        return []
    last = _latest(permit)
    today = daily.local_date(now, permit.timezone)
    if last is None or last.work_date != today:
        return [field_error("gasTest", f"no gas test yet today ({today.isoformat()}); test before work starts")]
    if not last.passed:
        return [field_error("gasTest", "the last gas test failed; the atmosphere must test safe first")]
    due = retest_due(permit, spec)
    if due is not None and now >= due:
        return [field_error("gasTest", "the last passing gas test is older than the re-test interval; test again")]
    return []


def reinstate_problems(permit: Permit) -> list[dict[str, str]]:
    if permit.suspension_kind not in GAS_SUSPENSIONS:
        return []
    last = _latest(permit)
    if last is None or not last.passed or (permit.suspended_at is not None and last.taken_at <= permit.suspended_at):
        return [field_error("gasTest", "a new passing gas test is needed after the suspension")]
    return []


def sweep_step(permit: Permit, now: datetime, *, before: datetime) -> str | None:
    """The re-test deadline of an ACTIVE permit, computed from the data: taken once, when due, also late
    (a deadline after the work day's end is not one: the day ends first)."""
    if permit.status != ACTIVE:
        return None
    spec = gas_tests(permit.template_version.read_schema())
    if spec is None:
        return None
    due = retest_due(permit, spec)
    if due is None or now < due or due >= before:
        return None
    transitions.system_step(permit, "retest_suspend", now, kind="RETEST", dueAt=due.isoformat(),
                            reason=f"Gas re-test overdue since {due.isoformat(timespec='minutes')} "
                                   f"(every {spec.retestMinutes} minutes)")
    return "retest_suspend"


def snapshot(permit: Permit) -> dict[str, Any] | None:
    """The last gas test as one shift hands the permit to the next (None without one)."""
    last = _latest(permit)
    if last is None:
        return None
    return {"takenAt": last.taken_at.isoformat(), "passed": last.passed,
            "values": {v["gas"]: v["value"] for v in last.values}}


def reading_out(reading: GasReading, names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(reading.id), "workDate": reading.work_date.isoformat(), "takenAt": reading.taken_at.isoformat(),
            "tester": {"id": str(reading.tester_id), "name": names.get(str(reading.tester_id), {}).get("name")},
            "instrumentId": reading.instrument_id, "calibrationDue": reading.calibration_due.isoformat(),
            "location": reading.location, "values": reading.values, "passed": reading.passed}
