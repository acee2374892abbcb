"""Gas testing's rules on real PostgreSQL with an explicit clock: the template's gases are declared in the
order of testing with limits; readings are append-only in the database itself; an overdue re-test
suspends an ACTIVE permit once, at the first sweep after it fell due, and a deadline past the day's end
is none."""

import copy
import json
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from permit_factory import make_permit

from permitto_common.errors import ValidationFailed
from permitto_permits import daily, gas
from permitto_permits.commands import SEED_DIR
from permitto_permits.extensions import db
from permitto_permits.models import GasReading
from permitto_permits.template_schema import check_schema

NY = "America/New_York"
CONFINED = json.loads((SEED_DIR / "cse.json").read_text())["schema"]


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(NY))


def test_gases_are_declared_in_the_order_of_testing_with_limits():
    check_schema(CONFINED)
    wrong = copy.deepcopy(CONFINED)
    gases = wrong["gasTests"]["gases"]
    gases[0], gases[2] = gases[2], gases[0]  # a toxic before oxygen
    with pytest.raises(ValidationFailed) as caught:
        check_schema(wrong)
    assert "in the order oxygen, flammables, toxics" in caught.value.details[0]["message"]
    unlimited = copy.deepcopy(CONFINED)
    del unlimited["gasTests"]["gases"][1]["max"]
    with pytest.raises(ValidationFailed) as caught:
        check_schema(unlimited)
    assert "give a lower limit, an upper limit or both" in caught.value.details[0]["message"]


def _reading(permit, taken, passed=True):
    reading = GasReading(permit_id=permit.id, work_date=taken.date(), taken_at=taken, tester_id=uuid.uuid4(),
                         instrument_id="GD-1", calibration_due=taken.date() + timedelta(days=30), values=[],
                         passed=passed)
    db.session.add(reading)
    db.session.flush()
    return reading


def _active(monday):
    """An ACTIVE confined-space permit on its first work day (Monday 06:00 to Wednesday 17:00)."""
    permit = make_permit(status="ACTIVE", tz=NY, kind="CSE", valid_from=at(monday, 6),
                         valid_to=at(monday + timedelta(days=2), 17))
    daily.open_day(permit, monday, at(monday, 6))
    return permit


def test_readings_cannot_be_changed_or_deleted(app):
    with app.app_context():
        permit = make_permit(status="APPROVED", tz=NY, kind="CSE")
        reading = _reading(permit, datetime.now(ZoneInfo(NY)))
        db.session.commit()
        for statement in (sa.update(GasReading).where(GasReading.id == reading.id).values(passed=False),
                          sa.delete(GasReading).where(GasReading.id == reading.id)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()


def test_an_overdue_retest_suspends_once_at_the_first_sweep_after_it_fell_due(app):
    with app.app_context():
        monday = date(2026, 6, 1)
        permit = _active(monday)
        _reading(permit, at(monday, 7, 30))  # the template re-tests every 120 minutes: due at 09:30
        assert daily.apply_due(permit, at(monday, 9, 29)) == []
        # the scheduler was down from 09:00 to 11:00: the first sweep after suspends, once
        assert daily.apply_due(permit, at(monday, 11, 0)) == ["retest_suspend"]
        assert permit.status == "SUSPENDED"
        assert permit.suspension_kind == "RETEST"
        assert "overdue since" in permit.suspension_reason
        assert daily.apply_due(permit, at(monday, 11, 1)) == []
        assert gas.reinstate_problems(permit)  # a new passing reading first
        _reading(permit, at(monday, 11, 5))
        assert gas.reinstate_problems(permit) == []
        db.session.rollback()


def test_a_retest_falling_due_after_the_days_end_is_no_deadline(app):
    with app.app_context():
        monday = date(2026, 6, 1)
        permit = _active(monday)
        _reading(permit, at(monday, 16, 0))  # due at 18:00, after the 17:00 end of the day
        assert daily.apply_due(permit, at(monday, 18, 30)) == ["end_day"]
        assert permit.status == "PENDING_DAILY"
        db.session.rollback()


def test_a_gas_not_tested_before_work_may_be_left_out_of_a_reading(app):
    from permitto_permits.access import Actor
    from permitto_permits.models import TemplateVersion
    from permitto_permits.schemas import ReadingBody

    with app.test_request_context():
        monday = datetime.now(ZoneInfo(NY)).date()
        permit = _active(monday)
        schema = copy.deepcopy(CONFINED)
        schema["gasTests"]["gases"][3]["initialTest"] = False  # carbon monoxide: when tested, not before work
        version = TemplateVersion(template_id=permit.template_version.template_id, version=99, status="PUBLISHED",
                                  schema=check_schema(schema).model_dump(exclude_none=True))
        db.session.add(version)
        db.session.flush()
        permit.template_version_id = version.id
        db.session.flush()
        db.session.expire(permit, ["template_version"])
        coordinator = Actor.known(uuid.uuid4(), "COORDINATOR", set())
        due = (monday + timedelta(days=30)).isoformat()
        values = [{"gas": "o2", "value": 20.9}, {"gas": "lel", "value": 0}]
        with pytest.raises(ValidationFailed) as caught:  # hydrogen sulphide is tested before work starts
            gas.record(coordinator, permit.id, ReadingBody.model_validate(
                {"instrumentId": "GD-1", "calibrationDue": due, "values": values}))
        assert [d["field"] for d in caught.value.details] == ["values.h2s"]
        reading = gas.record(coordinator, permit.id, ReadingBody.model_validate(
            {"instrumentId": "GD-1", "calibrationDue": due, "values": [*values, {"gas": "h2s", "value": 0}]}))
        assert reading.passed
        assert [v["gas"] for v in reading.values] == ["o2", "lel", "h2s"]
        assert permit.status == "ACTIVE"
