"""The console's analytics on real PostgreSQL: approval times per stage and type from the audit trail
(a rejected permit is timed from its last submission), what was open each day, suspensions by cause,
compliance per project and overdue close-outs, all within the asked range and project."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from permit_factory import make_permit

from permitto_common.errors import ValidationFailed
from permitto_common.validation import parse_model
from permitto_permits import analytics
from permitto_permits.extensions import db
from permitto_permits.models import AuditEntry, DailyApproval
from permitto_permits.schemas import AnalyticsQuery

HOUR = timedelta(hours=1)


def step(permit, action, to_status, at, comment=None):
    """An audit entry as the transition would leave it, at a time of the test's choosing."""
    seq = (db.session.scalar(db.select(db.func.max(AuditEntry.seq)).where(AuditEntry.permit_id == permit.id)) or 0) + 1
    db.session.add(AuditEntry(permit_id=permit.id, seq=seq, created_at=at, action=action, to_status=to_status,
                              comment=comment, details={}, prev_hash="0" * 64, hash=f"{seq:064d}"))
    permit.status = to_status
    db.session.flush()


def figures(project, first, last):
    return analytics.summary(parse_model(AnalyticsQuery, {"projectId": str(project), "from": first.isoformat(),
                                                          "to": last.isoformat()}))


@pytest.fixture
def week():
    """Monday noon, a week and a half ago, and the project the test's permits are in."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime.combine(monday, time(12), tzinfo=UTC), uuid.uuid4()


def test_approval_times_per_stage_and_type_from_the_last_submission(app, week):
    t0, project = week
    first = make_permit(project_id=project, kind="HW", created_at=t0 - HOUR)
    step(first, "created", "DRAFT", t0 - HOUR)
    step(first, "submit", "SUBMITTED", t0)
    step(first, "issuer_approve", "ISSUER_APPROVED", t0 + HOUR)
    step(first, "final_approve", "APPROVED", t0 + 3 * HOUR)
    second = make_permit(project_id=project, kind="HW", created_at=t0 - HOUR)
    step(second, "created", "DRAFT", t0 - HOUR)
    step(second, "submit", "SUBMITTED", t0)
    step(second, "issuer_reject", "REJECTED_ISSUER", t0 + HOUR / 2)
    step(second, "revise", "DRAFT", t0 + HOUR)
    step(second, "submit", "SUBMITTED", t0 + 2 * HOUR)
    step(second, "issuer_approve", "ISSUER_APPROVED", t0 + 4 * HOUR)
    step(second, "final_approve", "APPROVED", t0 + 5 * HOUR)
    electrical = make_permit(project_id=project, kind="EW", created_at=t0 - HOUR)
    step(electrical, "submit", "SUBMITTED", t0)
    step(electrical, "issuer_approve", "ISSUER_APPROVED", t0 + 10 * HOUR)

    out = figures(project, t0.date(), t0.date() + timedelta(days=1))
    stages = {(s["stage"], s["type"]): s for s in out["approvalStages"]}
    assert stages[("issuer", "HW")]["count"] == 2
    assert stages[("issuer", "HW")]["medianSeconds"] == 1.5 * 3600  # 1 h and 2 h (not 4 h: resubmitted)
    assert stages[("issuer", "EW")]["medianSeconds"] == 10 * 3600
    assert stages[("issuer", None)]["count"] == 3
    assert stages[("coordinator", "HW")]["medianSeconds"] == 1.5 * 3600  # 2 h and 1 h
    assert stages[("total", "HW")]["medianSeconds"] == 3 * 3600
    assert stages[("total", "HW")]["p90Seconds"] == 3 * 3600
    assert ("coordinator", "EW") not in stages  # not approved yet
    assert out["approvalTime"] == {"approved": 2, "medianHours": 3.0, "p90Hours": 3.0}

    # A range that ends before the approvals holds none of them.
    before = figures(project, t0.date() - timedelta(days=3), t0.date() - timedelta(days=1))
    assert before["approvalStages"] == []
    assert before["approvalTime"]["approved"] == 0


def test_what_was_open_each_day_and_why_work_stopped(app, week):
    t0, project = week
    permit = make_permit(project_id=project, kind="HW", created_at=t0 - HOUR)
    step(permit, "created", "DRAFT", t0 - HOUR)
    step(permit, "submit", "SUBMITTED", t0)
    step(permit, "final_approve", "APPROVED", t0 + timedelta(days=1))
    step(permit, "start_day", "PENDING_DAILY", t0 + timedelta(days=1, hours=1))
    step(permit, "deadline_suspend", "SUSPENDED", t0 + timedelta(days=1, hours=2))
    step(permit, "activate", "ACTIVE", t0 + timedelta(days=2))
    step(permit, "gas_suspend", "SUSPENDED", t0 + timedelta(days=2, hours=1))
    step(permit, "activate", "ACTIVE", t0 + timedelta(days=2, hours=2))
    step(permit, "suspend", "SUSPENDED", t0 + timedelta(days=2, hours=3), comment="High winds on the roof")
    step(permit, "coordinator_cancel", "CANCELLED", t0 + timedelta(days=3))

    out = figures(project, t0.date() - timedelta(days=1), t0.date() + timedelta(days=4))
    days = {d["day"]: d["counts"] for d in out["statesOverTime"]}
    assert len(days) == 6  # every day of the range, an empty one included
    assert days[(t0.date() - timedelta(days=1)).isoformat()] == {}  # not made yet
    assert days[t0.date().isoformat()] == {"SUBMITTED": 1}
    assert days[(t0 + timedelta(days=1)).date().isoformat()] == {"SUSPENDED": 1}
    assert days[(t0 + timedelta(days=2)).date().isoformat()] == {"SUSPENDED": 1}
    assert days[(t0 + timedelta(days=3)).date().isoformat()] == {}  # cancelled: no longer open
    assert {c["cause"]: c["count"] for c in out["suspensionCauses"]} == {"DEADLINE": 1, "GAS": 1, "MANUAL": 1}
    assert sum(w["count"] for w in out["suspensionsPerWeek"]) == 3


def test_compliance_per_project_and_overdue_closeouts(app, week):
    t0, project = week
    other = uuid.uuid4()
    on_site = make_permit(project_id=project, kind="HW", status="ACTIVE", created_at=t0 - HOUR)
    elsewhere = make_permit(project_id=other, kind="HW", status="ACTIVE", created_at=t0 - HOUR)
    for day in range(3):
        deadline = t0 + timedelta(days=day)
        db.session.add(DailyApproval(permit_id=on_site.id, work_date=deadline.date(), deadline_at=deadline,
                                     completed_at=deadline - HOUR if day < 2 else deadline + HOUR))
        db.session.add(DailyApproval(permit_id=elsewhere.id, work_date=deadline.date(), deadline_at=deadline))
    now = datetime.now(UTC)
    late = make_permit(project_id=project, kind="HW", title="Roof edge", created_at=now - 40 * HOUR)
    step(late, "request_closeout", "PENDING_CLOSEOUT", now - 30 * HOUR)
    recent = make_permit(project_id=project, kind="HW", created_at=now - 40 * HOUR)
    step(recent, "expire", "PENDING_CLOSEOUT", now - 2 * HOUR)

    out = figures(project, t0.date(), now.date())
    [mine] = out["complianceByProject"]
    assert (mine["daysDue"], mine["confirmedBeforeDeadline"], mine["rate"]) == (3, 2, round(2 / 3, 4))
    assert [(o["id"], o["title"]) for o in out["overdueCloseouts"]] == [(str(late.id), "Roof edge")]
    assert out["overdueCloseouts"][0]["hoursWaiting"] == pytest.approx(30, abs=0.2)
    # the other project's unconfirmed days count there only
    [theirs] = figures(other, t0.date(), now.date())["complianceByProject"]
    assert (theirs["daysDue"], theirs["confirmedBeforeDeadline"], theirs["rate"]) == (3, 0, 0.0)


def test_a_range_backwards_or_over_a_year_is_refused_by_name():
    with pytest.raises(ValidationFailed) as backwards:
        parse_model(AnalyticsQuery, {"from": "2026-06-10", "to": "2026-06-01"})
    assert backwards.value.details == [{"field": "to", "message": "must not be before the first day (from)"}]
    with pytest.raises(ValidationFailed) as long:
        parse_model(AnalyticsQuery, {"from": "2025-01-01", "to": "2026-06-01"})
    assert long.value.details == [{"field": "to", "message": "the range is at most 366 days"}]
