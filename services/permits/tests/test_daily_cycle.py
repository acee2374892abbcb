"""The daily cycle on real PostgreSQL with an explicit clock: five days of one permit (two clean days, a
missed 08:00 and its catch-up, an end of day, expiry and close-out), a DST change, reminders once."""

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from permit_factory import make_permit

from permitto_common.errors import APIError
from permitto_permits import daily
from permitto_permits.access import Actor
from permitto_permits.extensions import db
from permitto_permits.models import AuditEntry, OutboxEvent

NY = "America/New_York"
PROJECT = uuid.uuid4()
RECEIVER = Actor.known(uuid.uuid4(), "RECEIVER", set())
ISSUER = Actor.known(uuid.uuid4(), "ISSUER", {PROJECT})
COORDINATOR = Actor.known(uuid.uuid4(), "COORDINATOR", set())


def at(day, hh, mm=0, tz=NY):
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(tz))


def approved_permit(valid_from, valid_to, tz=NY, grace=0):
    return make_permit(status="APPROVED", tz=tz, valid_from=valid_from, valid_to=valid_to, grace=grace,
                       project_id=PROJECT, requester_id=RECEIVER.id)


def confirm_all(permit, now):
    for who in (RECEIVER, ISSUER, COORDINATOR):
        daily.confirm(permit, who, now)


def actions(permit):
    return [e.action for e in db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.permit_id == permit.id).order_by(AuditEntry.seq))]


def events(permit):
    return [e.event_type for e in db.session.scalars(
        db.select(OutboxEvent).where(OutboxEvent.permit_id == permit.id).order_by(OutboxEvent.created_at))]


def test_five_days_of_one_permit(app):
    monday = date(2026, 6, 1)
    permit = approved_permit(at(monday, 6), at(monday + timedelta(days=4), 17))
    # day 1: the first work day starts; a reminder at 07:00, all three confirm before 08:00 -> ACTIVE
    assert daily.apply_due(permit, at(monday, 6, 30)) == ["start_day"]
    assert permit.status == "PENDING_DAILY"
    assert daily.apply_due(permit, at(monday, 7, 1)) == ["reminder"]
    assert daily.apply_due(permit, at(monday, 7, 2)) == []  # reminders once per permit and day
    confirm_all(permit, at(monday, 7, 30))
    assert permit.status == "ACTIVE"
    assert daily.apply_due(permit, at(monday, 12)) == []
    # end of work hours: back to PENDING_DAILY for Tuesday
    assert daily.apply_due(permit, at(monday, 17, 1)) == ["end_day"]
    assert permit.status == "PENDING_DAILY"
    # day 2: clean again
    confirm_all(permit, at(monday + timedelta(days=1), 6, 45))
    assert permit.status == "ACTIVE"
    daily.apply_due(permit, at(monday + timedelta(days=1), 17, 5))
    # day 3: nobody confirms; the sweep runs late (08:07) and still suspends, once
    wednesday = monday + timedelta(days=2)
    assert daily.apply_due(permit, at(wednesday, 8, 7)) == ["deadline_suspend"]
    assert permit.status == "SUSPENDED"
    assert daily.apply_due(permit, at(wednesday, 8, 8)) == []
    # completing the missing confirmations reinstates it
    daily.confirm(permit, RECEIVER, at(wednesday, 9))
    with pytest.raises(APIError) as out_of_order:
        daily.confirm(permit, COORDINATOR, at(wednesday, 9, 1))
    assert out_of_order.value.code == "OUT_OF_ORDER"
    with pytest.raises(APIError) as twice:
        daily.confirm(permit, RECEIVER, at(wednesday, 9, 2))
    assert twice.value.code == "ALREADY_CONFIRMED"
    daily.confirm(permit, ISSUER, at(wednesday, 9, 5))
    daily.confirm(permit, COORDINATOR, at(wednesday, 9, 10))
    assert permit.status == "ACTIVE"
    # an end of day, then day 4 clean; the expiry warning comes 24 h before validTo
    daily.apply_due(permit, at(wednesday, 17, 30))
    thursday = wednesday + timedelta(days=1)
    confirm_all(permit, at(thursday, 7))
    assert daily.apply_due(permit, at(thursday, 17, 1)) == ["expiry_warning", "end_day"]
    # day 5 runs to validTo: expiry moves it to PENDING_CLOSEOUT
    friday = thursday + timedelta(days=1)
    confirm_all(permit, at(friday, 7))
    assert daily.apply_due(permit, at(friday, 17)) == ["expire"]
    assert permit.status == "PENDING_CLOSEOUT"
    assert daily.apply_due(permit, at(friday + timedelta(days=1), 9)) == []
    assert actions(permit).count("deadline_suspend") == 1
    assert actions(permit).count("daily_confirm") == 15
    assert actions(permit)[:3] == ["start_day", "daily_confirm", "daily_confirm"]
    assert actions(permit)[-1] == "expire"
    assert events(permit).count("DAILY_REMINDER") == 1
    assert events(permit).count("PERMIT_SUSPENDED") == 1
    assert events(permit).count("PERMIT_EXPIRY_WARNING") == 1


def test_a_scheduler_down_for_two_days_catches_up_in_order(app):
    monday = date(2026, 6, 1)
    permit = approved_permit(at(monday, 6), at(monday + timedelta(days=6), 17))
    daily.apply_due(permit, at(monday, 6, 30))
    confirm_all(permit, at(monday, 7))
    steps = daily.apply_due(permit, at(monday + timedelta(days=2), 10))
    # Monday's end of day, Tuesday missed (suspended), rolled over to Wednesday, still suspended
    assert steps == ["end_day", "deadline_suspend", "end_day"]
    assert permit.status == "SUSPENDED"
    assert daily.current_day(permit).work_date == monday + timedelta(days=2)


def test_deadlines_follow_local_time_across_a_dst_change(app):
    # New York springs forward on Sunday 2026-03-08: 08:00 local is 13:00 UTC before, 12:00 UTC after.
    saturday = date(2026, 3, 7)
    permit = approved_permit(at(saturday, 6), at(saturday + timedelta(days=3), 17))
    daily.apply_due(permit, at(saturday, 6, 30))
    assert daily.current_day(permit).deadline_at.astimezone(ZoneInfo("UTC")).hour == 13
    confirm_all(permit, at(saturday, 7))
    daily.apply_due(permit, at(saturday, 17, 1))
    sunday_record = daily.current_day(permit)
    assert sunday_record.work_date == date(2026, 3, 8)
    assert sunday_record.deadline_at.astimezone(ZoneInfo("UTC")).hour == 12
    # at 07:59 local (11:59 UTC) nothing is due but the reminder; at 08:00 local the suspension
    assert daily.apply_due(permit, datetime(2026, 3, 8, 11, 59, tzinfo=ZoneInfo("UTC"))) == ["reminder"]
    assert daily.apply_due(permit, datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("UTC"))) == ["deadline_suspend"]


def test_confirmations_check_role_ownership_project_and_state(app):
    monday = date(2026, 6, 1)
    permit = approved_permit(at(monday, 6), at(monday + timedelta(days=2), 17))
    with pytest.raises(APIError, match="no daily confirmation"):
        daily.confirm(permit, RECEIVER, at(monday, 5))  # still APPROVED: the day has not started
    daily.apply_due(permit, at(monday, 6, 30))
    stranger = Actor.known(uuid.uuid4(), "RECEIVER", set())
    with pytest.raises(APIError, match="requested this permit"):
        daily.confirm(permit, stranger, at(monday, 7))
    outsider = Actor.known(uuid.uuid4(), "ISSUER", set())
    daily.confirm(permit, RECEIVER, at(monday, 7))
    with pytest.raises(APIError, match="not assigned"):
        daily.confirm(permit, outsider, at(monday, 7, 1))
    with pytest.raises(APIError, match="No daily approval is open for today"):
        daily.confirm(permit, ISSUER, at(monday + timedelta(days=1), 7))


def test_sweep_handles_every_permit_once_and_is_idempotent(app):
    monday = date(2026, 6, 1)
    permits = [approved_permit(at(monday, 6), at(monday + timedelta(days=2), 17)) for _ in range(3)]
    db.session.commit()  # the sweep runs each permit in its own transaction
    first = daily.sweep(at(monday, 8, 30))
    assert first["start_day"] >= 3
    assert first["deadline_suspend"] >= 3
    second = daily.sweep(at(monday, 8, 31))
    for permit in permits:
        db.session.refresh(permit)
        assert permit.status == "SUSPENDED"
        assert actions(permit).count("deadline_suspend") == 1
    assert second.get("deadline_suspend", 0) == 0 or all(p.status == "SUSPENDED" for p in permits)


def test_the_first_day_is_due_after_work_can_first_start_plus_the_projects_grace(app):
    monday = date(2026, 6, 1)
    # approved at 09:30, after the 08:00 work start: due 10:30 with a 60-minute grace, not at once
    late = approved_permit(at(monday, 6), at(monday + timedelta(days=2), 17), grace=60)
    late.approved_at = at(monday, 9, 30)
    assert daily.apply_due(late, at(monday, 9, 30)) == ["start_day", "reminder"]
    assert late.status == "PENDING_DAILY"
    assert daily.current_day(late).deadline_at == at(monday, 10, 30)
    assert daily.apply_due(late, at(monday, 10, 29)) == []
    assert daily.apply_due(late, at(monday, 10, 30)) == ["deadline_suspend"]
    # approved the evening before: the first day is due at the work start plus the grace
    early = approved_permit(at(monday, 6), at(monday + timedelta(days=2), 17), grace=45)
    early.approved_at = at(monday - timedelta(days=1), 18)
    daily.apply_due(early, at(monday, 6, 30))
    assert daily.current_day(early).deadline_at == at(monday, 8, 45)
    # the next days keep the work start
    confirm_all(early, at(monday, 8))
    daily.apply_due(early, at(monday, 17, 1))
    assert daily.current_day(early).deadline_at == at(monday + timedelta(days=1), 8)
