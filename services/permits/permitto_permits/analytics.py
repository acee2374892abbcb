"""Analytics for administrators and coordinators: the state of the register and how well it is kept."""

# ruff: noqa: S608  -- the SQL below is assembled from constants only; every value is a bound parameter

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from .extensions import db
from .schemas import AnalyticsOut, AnalyticsQuery, ProjectFigures


def summary(query: AnalyticsQuery) -> AnalyticsOut:
    params: dict[str, Any] = {
        "project": query.project_id,
        "from": datetime.combine(query.from_, time.min, tzinfo=ZoneInfo("UTC")) if query.from_ else None,
        "to": datetime.combine(query.to + timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC")) if query.to else None,
    }
    scope = ("(CAST(:project AS uuid) IS NULL OR p.project_id = CAST(:project AS uuid)) "
             "AND (CAST(:from AS timestamptz) IS NULL OR p.created_at >= CAST(:from AS timestamptz)) "
             "AND (CAST(:to AS timestamptz) IS NULL OR p.created_at < CAST(:to AS timestamptz))")
    by_status = db.session.execute(text(
        f"SELECT p.project_id, p.project_code, p.type, p.status, count(*) FROM permits p WHERE {scope} "
        "GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4"), params).all()
    approval = db.session.execute(text(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM approved_at - submitted_at)), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM approved_at - submitted_at)), count(*) "
        f"FROM permits p WHERE approved_at IS NOT NULL AND submitted_at IS NOT NULL AND {scope}"), params).one()
    compliance = db.session.execute(text(
        "SELECT count(*) FILTER (WHERE d.completed_at IS NOT NULL AND d.completed_at <= d.deadline_at), "
        "count(*) FILTER (WHERE d.deadline_at <= now() OR d.completed_at IS NOT NULL) "
        f"FROM daily_approvals d JOIN permits p ON p.id = d.permit_id WHERE {scope}"), params).one()
    suspensions = db.session.execute(text(
        "SELECT date_trunc('week', a.created_at)::date AS week, count(*) FROM audit_entries a "
        "JOIN permits p ON p.id = a.permit_id "
        f"WHERE a.action IN ('deadline_suspend', 'suspend') AND {scope} GROUP BY 1 ORDER BY 1"), params).all()
    projects: dict[str, ProjectFigures] = {}
    for project_id, code, permit_type, status, count in by_status:
        entry = projects.setdefault(str(project_id), {"projectId": str(project_id), "projectCode": code,
                                                      "total": 0, "byStatus": {}, "byType": {}})
        entry["total"] += count
        entry["byStatus"][status] = entry["byStatus"].get(status, 0) + count
        entry["byType"].setdefault(permit_type, {})[status] = count
    on_time, due = compliance
    return {
        "projects": list(projects.values()),
        "approvalTime": {"approved": approval[2],
                         "medianHours": round(approval[0] / 3600, 2) if approval[0] is not None else None,
                         "p90Hours": round(approval[1] / 3600, 2) if approval[1] is not None else None},
        "dailyCompliance": {"daysDue": due, "confirmedBeforeDeadline": on_time,
                            "rate": round(on_time / due, 4) if due else None},
        "suspensionsPerWeek": [{"week": week.isoformat(), "count": count} for week, count in suspensions],
    }
