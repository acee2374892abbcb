"""A permit's page reads it on the driver (access.permit_to_show): the same permit as the ORM's read, by
the same rule of who sees it, held outside the session so that nothing done to it is saved."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from permit_factory import make_permit
from sqlalchemy import inspect

from permitto_common.errors import NotFound
from permitto_permits.access import Actor, permit_to_show, visible_permit
from permitto_permits.extensions import db
from permitto_permits.models import Permit, Signature, TemplateVersion, WorkArea
from permitto_permits.schemas import permit_out
from permitto_permits.states import COORDINATOR, ISSUER, RECEIVER


def columns(instance, cls):
    return {c.key: getattr(instance, c.key) for c in cls.__table__.columns}


def signed(permit, count):
    start = datetime.now(UTC)
    for n in range(count):  # written out of order: the page lists them by time, as Permit.signatures does
        db.session.add(Signature(permit_id=permit.id, action=f"STEP_{n}", user_id=uuid.uuid4(), role=ISSUER,
                                 storage_key=f"signatures/{n}.png", sha256=f"{n:064d}",
                                 signed_at=start - timedelta(minutes=n)))
    db.session.flush()
    db.session.expire_all()


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_page_holds_the_permit_as_the_orm_reads_it(app, count):
    permit = make_permit(status="APPROVED")
    signed(permit, count)
    coordinator = Actor.known(uuid.uuid4(), COORDINATOR, set())
    (shown, area), loaded = permit_to_show(coordinator, permit.id), visible_permit(coordinator, permit.id)
    assert area is None  # it names no work area
    assert columns(shown, Permit) == columns(loaded, Permit)
    assert [columns(s, Signature) for s in shown.signatures] == [columns(s, Signature) for s in loaded.signatures]
    assert len(shown.signatures) == count
    assert [s.signed_at for s in shown.signatures] == sorted(s.signed_at for s in shown.signatures)
    version_columns = [c.key for c in TemplateVersion.__table__.columns]
    assert {k: getattr(shown.template_version, k) for k in version_columns} == \
        {k: getattr(loaded.template_version, k) for k in version_columns}
    assert shown.template_version.read_schema() == loaded.template_version.read_schema()
    assert permit_out(shown, [], work_area=None, conflicts=[]) == permit_out(loaded, [], work_area=None, conflicts=[])


def test_it_is_held_outside_the_session_so_nothing_done_to_it_is_saved(app):
    permit = make_permit(status="SUBMITTED", title="Weld")
    signed(permit, 1)
    shown, _ = permit_to_show(Actor.known(uuid.uuid4(), COORDINATOR, set()), permit.id)
    assert inspect(shown).transient
    assert shown not in db.session
    assert all(inspect(s).transient for s in shown.signatures)
    assert inspect(shown.template_version).transient
    shown.title = "Changed on a page read"
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(Permit, permit.id).title == "Weld"


def test_who_may_not_see_it_is_told_it_does_not_exist(app):
    owner, project = uuid.uuid4(), uuid.uuid4()
    draft = make_permit(status="DRAFT", requester_id=owner, project_id=project)
    submitted = make_permit(status="SUBMITTED", requester_id=owner, project_id=project)
    stranger = Actor.known(uuid.uuid4(), RECEIVER, {project})
    other_issuer = Actor.known(uuid.uuid4(), ISSUER, {uuid.uuid4()})
    coordinator = Actor.known(uuid.uuid4(), COORDINATOR, set())
    for actor, permit in ((stranger, submitted), (other_issuer, submitted), (coordinator, draft)):
        with pytest.raises(NotFound):
            permit_to_show(actor, permit.id)
        with pytest.raises(NotFound):
            visible_permit(actor, permit.id)  # the same rule
    assert permit_to_show(Actor.known(owner, RECEIVER, {project}), draft.id)[0].id == draft.id
    assert permit_to_show(Actor.known(uuid.uuid4(), ISSUER, {project}), submitted.id)[0].id == submitted.id


def test_the_page_names_the_permit_s_work_area_from_the_same_read(app):
    project = uuid.uuid4()
    area = WorkArea(project_id=project, code="TANK-3", name="Tank 3 roof")
    db.session.add(area)
    db.session.flush()
    permit = make_permit(status="SUBMITTED", project_id=project, work_area_id=area.id)
    signed(permit, 2)  # one row per signature: the area is read from the first
    shown, named = permit_to_show(Actor.known(uuid.uuid4(), COORDINATOR, set()), permit.id)
    assert named == {"id": str(area.id), "code": "TANK-3", "name": "Tank 3 roof"}
    assert len(shown.signatures) == 2
