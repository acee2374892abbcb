"""The auth service as a service: the shared contract, demo data, the users table."""

import json

from sqlalchemy import func, select

from devstack.service_contract import *  # noqa: F403
from permitto_auth.demo import DEMO_USERS, seed_demo
from permitto_auth.extensions import db
from permitto_auth.models import ProjectAssignment, User
from permitto_auth.passwords import verify_password


def test_seed_demo_is_idempotent(app, tmp_path):
    first = seed_demo()
    second = seed_demo()
    assert first == second
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
    admin = db.session.scalar(select(User).where(User.role == "SUPER_ADMIN"))
    assert verify_password(admin.password_hash, DEMO_USERS[0].password)
    assignments = db.session.scalar(select(func.count()).select_from(ProjectAssignment))
    assert assignments == sum(len(u.projects) for u in DEMO_USERS)
    roles = {login["role"] for login in first}
    assert roles == {"SUPER_ADMIN", "COORDINATOR", "ISSUER", "RECEIVER"}
    json.dumps(first)  # the logins file is plain JSON


def test_emails_are_unique_regardless_of_case(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    db.session.add(User(email="Ann@Example.com", name="Ann", role="RECEIVER"))
    db.session.commit()
    db.session.add(User(email="ann@example.com", name="Ann again", role="RECEIVER"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
