"""Analytics for administrators and coordinators: how fast permits are approved, what was open on each
day, why work was stopped, how well the daily confirmations are kept and which close-outs are overdue.

Every figure covers the days of the query's range (UTC days; the last 30 unless told), taken by when the
thing happened: an approval by when it was given, a suspension by when work stopped, a daily confirmation
by its deadline. Overdue close-outs are as of now. Times come from the audit trail, so a permit that was
rejected and submitted again is timed from its last submission.
"""

# ruff: noqa: S608  -- the SQL below is assembled from constants only; every value is a bound parameter

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from . import clock
from .extensions import db
from .schemas import (
    AnalyticsOut,
    AnalyticsQuery,
    CauseCount,
    DayStates,
    OverdueCloseout,
    ProjectCompliance,
    ProjectFigures,
    StageTime,
)
from .states import ACTIVE, APPROVED, ISSUER_APPROVED, PENDING_CLOSEOUT, PENDING_DAILY, SUBMITTED, SUSPENDED

DEFAULT_DAYS = 30
CLOSEOUT_DUE_HOURS = 24  # a permit waiting for close-out longer than this is overdue (docs/domain.md)
OPEN_STATES = (SUBMITTED, ISSUER_APPROVED, APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED, PENDING_CLOSEOUT)
SUSPENDING = {"deadline_suspend": "DEADLINE", "gas_suspend": "GAS", "retest_suspend": "RETEST", "suspend": "MANUAL"}
PROJECT = "(CAST(:project AS uuid) IS NULL OR p.project_id = CAST(:project AS uuid))"


def _range(query: AnalyticsQuery, today: date) -> tuple[date, date]:
    last = query.to or today
    first = query.from_ or last - timedelta(days=DEFAULT_DAYS - 1)
    return first, last


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def summary(query: AnalyticsQuery) -> AnalyticsOut:
    now = clock.now()
    first, last = _range(query, now.date())
    params: dict[str, Any] = {"project": query.project_id, "start": _midnight(first),
                              "end": _midnight(last + timedelta(days=1)), "now": now,
                              "first": first, "last": last, "open": list(OPEN_STATES),
                              "suspending": list(SUSPENDING), "due": timedelta(hours=CLOSEOUT_DUE_HOURS)}
    rows = db.session.execute
    in_range = "{at} >= :start AND {at} < :end"

    by_status = rows(text(
        "SELECT p.project_id, p.project_code, p.type, p.status, count(*) FROM permits p "
        f"WHERE {PROJECT} AND {in_range.format(at='p.created_at')} GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4"), params).all()
    projects: dict[str, ProjectFigures] = {}
    for project_id, code, permit_type, status, count in by_status:
        entry = projects.setdefault(str(project_id), {"projectId": str(project_id), "projectCode": code,
                                                      "total": 0, "byStatus": {}, "byType": {}})
        entry["total"] += count
        entry["byStatus"][status] = entry["byStatus"].get(status, 0) + count
        entry["byType"].setdefault(permit_type, {})[status] = count

    # Each approval against the step before it: the issuer's against the last submission, the final one
    # against the issuer's approval, and the whole review (total) from the last submission.
    stages = rows(text(
        "WITH steps AS (SELECT p.type, a.action, a.created_at AS at, "
        "  (SELECT max(b.created_at) FROM audit_entries b WHERE b.permit_id = a.permit_id AND b.seq < a.seq "
        "     AND b.action = 'submit') AS submitted, "
        "  (SELECT max(b.created_at) FROM audit_entries b WHERE b.permit_id = a.permit_id AND b.seq < a.seq "
        "     AND b.action = 'issuer_approve') AS issued "
        "  FROM audit_entries a JOIN permits p ON p.id = a.permit_id "
        f"  WHERE a.action IN ('issuer_approve', 'final_approve') AND {PROJECT} "
        f"    AND {in_range.format(at='a.created_at')}), "
        "timed AS ("
        "  SELECT 'issuer' AS stage, type, extract(epoch FROM at - submitted) AS s FROM steps "
        "    WHERE action = 'issuer_approve' AND submitted IS NOT NULL "
        "  UNION ALL SELECT 'coordinator', type, extract(epoch FROM at - issued) FROM steps "
        "    WHERE action = 'final_approve' AND issued IS NOT NULL "
        "  UNION ALL SELECT 'total', type, extract(epoch FROM at - submitted) FROM steps "
        "    WHERE action = 'final_approve' AND submitted IS NOT NULL) "
        "SELECT stage, type, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
        "  percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM timed "
        "GROUP BY GROUPING SETS ((stage, type), (stage)) ORDER BY stage, type NULLS FIRST"), params).all()
    approval_stages: list[StageTime] = [
        {"stage": stage, "type": permit_type, "count": count, "medianSeconds": round(median, 1),
         "p90Seconds": round(p90, 1)} for stage, permit_type, count, median, p90 in stages]
    total = next((s for s in approval_stages if s["stage"] == "total" and s["type"] is None), None)

    # What was open at the end of each day: each permit's state is that of its last step before then.
    states = rows(text(
        "SELECT d.day, s.status, count(*) FROM generate_series(CAST(:first AS date), CAST(:last AS date), "
        "  interval '1 day') AS d(day) "
        f"JOIN permits p ON p.created_at < d.day + interval '1 day' AND {PROJECT} "
        "CROSS JOIN LATERAL (SELECT a.to_status AS status FROM audit_entries a WHERE a.permit_id = p.id "
        "  AND a.to_status IS NOT NULL AND a.created_at < d.day + interval '1 day' ORDER BY a.seq DESC LIMIT 1) s "
        "WHERE s.status = ANY(:open) GROUP BY 1, 2 ORDER BY 1, 2"), params).all()
    per_day: dict[str, DayStates] = {}
    day = first
    while day <= last:
        per_day[day.isoformat()] = {"day": day.isoformat(), "counts": {}}
        day += timedelta(days=1)
    for when, status, count in states:
        per_day[when.date().isoformat()]["counts"][status] = count

    compliance = rows(text(
        "SELECT p.project_id, p.project_code, "
        "  count(*) FILTER (WHERE d.completed_at IS NOT NULL AND d.completed_at <= d.deadline_at), "
        "  count(*) FILTER (WHERE d.deadline_at <= :now OR d.completed_at IS NOT NULL) "
        f"FROM daily_approvals d JOIN permits p ON p.id = d.permit_id WHERE {PROJECT} "
        f"  AND {in_range.format(at='d.deadline_at')} GROUP BY 1, 2 ORDER BY 2"), params).all()
    by_project: list[ProjectCompliance] = [
        {"projectId": str(project_id), "projectCode": code, "daysDue": due, "confirmedBeforeDeadline": on_time,
         "rate": round(on_time / due, 4) if due else None} for project_id, code, on_time, due in compliance]
    all_on_time = sum(c["confirmedBeforeDeadline"] for c in by_project)
    all_due = sum(c["daysDue"] for c in by_project)

    suspensions = rows(text(
        "SELECT date_trunc('week', a.created_at)::date AS week, a.action, count(*) FROM audit_entries a "
        f"JOIN permits p ON p.id = a.permit_id WHERE a.action = ANY(:suspending) AND {PROJECT} "
        f"  AND {in_range.format(at='a.created_at')} GROUP BY 1, 2 ORDER BY 1, 2"), params).all()
    weeks: dict[str, int] = {}
    causes: dict[str, int] = {}
    for week, action, count in suspensions:
        weeks[week.isoformat()] = weeks.get(week.isoformat(), 0) + count
        causes[SUSPENDING[action]] = causes.get(SUSPENDING[action], 0) + count

    overdue = rows(text(
        "SELECT p.id, p.number, p.title, p.project_code, w.since FROM permits p "
        "CROSS JOIN LATERAL (SELECT max(a.created_at) AS since FROM audit_entries a WHERE a.permit_id = p.id "
        "  AND a.to_status = 'PENDING_CLOSEOUT') w "
        f"WHERE p.status = 'PENDING_CLOSEOUT' AND {PROJECT} AND w.since <= CAST(:now AS timestamptz) - :due "
        "ORDER BY w.since LIMIT 200"), params).all()
    overdue_closeouts: list[OverdueCloseout] = [
        {"id": str(permit_id), "number": number, "title": title, "projectCode": code,
         "waitingSince": since.isoformat(), "hoursWaiting": round((now - since).total_seconds() / 3600, 1)}
        for permit_id, number, title, code, since in overdue]

    return {
        "range": {"from": first.isoformat(), "to": last.isoformat()},
        "projects": list(projects.values()),
        "approvalTime": {"approved": total["count"] if total else 0,
                         "medianHours": round(total["medianSeconds"] / 3600, 2) if total else None,
                         "p90Hours": round(total["p90Seconds"] / 3600, 2) if total else None},
        "approvalStages": approval_stages,
        "statesOverTime": list(per_day.values()),
        "dailyCompliance": {"daysDue": all_due, "confirmedBeforeDeadline": all_on_time,
                            "rate": round(all_on_time / all_due, 4) if all_due else None},
        "complianceByProject": by_project,
        "suspensionsPerWeek": [{"week": week, "count": count} for week, count in weeks.items()],
        "suspensionCauses": [CauseCount(cause=cause, count=count) for cause, count in sorted(causes.items())],
        "overdueCloseouts": overdue_closeouts,
    }
