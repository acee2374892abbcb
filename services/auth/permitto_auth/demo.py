"""Demo data for a local stack: known logins on two projects. Seeding is idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.security import ADMIN, COORDINATOR, ISSUER, RECEIVER

from .extensions import db
from .models import Project, ProjectAssignment, User
from .passwords import hash_password


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    projects: tuple[str, ...]
    password: str = "Permitto-demo-2026"  # noqa: S105  (demo data for local stacks only)


DEMO_PROJECTS = (
    ("DOWNTOWN", "Downtown Tower — 42-storey office build", "America/New_York"),
    ("HARBOR", "Harbor Refinery shutdown", "Europe/London"),
)

DEMO_USERS = (
    DemoUser("admin@permitto.example", "Ada Admin", ADMIN, ()),
    DemoUser("coordinator@permitto.example", "Chloé Coordinator", COORDINATOR, ("DOWNTOWN", "HARBOR")),
    DemoUser("issuer.downtown@permitto.example", "Ivan Issuer", ISSUER, ("DOWNTOWN",)),
    DemoUser("issuer.harbor@permitto.example", "Ingrid Issuer", ISSUER, ("HARBOR",)),
    DemoUser("receiver.downtown@permitto.example", "Rafael Receiver", RECEIVER, ("DOWNTOWN",)),
    DemoUser("receiver.harbor@permitto.example", "Rosa Receiver", RECEIVER, ("HARBOR",)),
    DemoUser("receiver.both@permitto.example", "Björn Receiver", RECEIVER, ("DOWNTOWN", "HARBOR")),
)


def seed_demo() -> list[dict[str, str]]:
    """Create what is missing; never overwrite a password someone changed."""
    projects: dict[str, Project] = {}
    for code, name, tz in DEMO_PROJECTS:
        project = db.session.execute(db.select(Project).filter_by(code=code)).scalar_one_or_none()
        if project is None:
            project = Project(code=code, name=name, timezone=tz)
            db.session.add(project)
        projects[code] = project
    db.session.flush()

    admin_id = None
    logins = []
    for demo in DEMO_USERS:
        user = db.session.execute(
            db.select(User).where(db.func.lower(User.email) == demo.email.lower())
        ).scalar_one_or_none()
        if user is None:
            user = User(
                email=demo.email,
                name=demo.name,
                role=demo.role,
                password_hash=hash_password(demo.password),
                created_by=admin_id,
            )
            db.session.add(user)
            db.session.flush()
        if demo.role == ADMIN:
            admin_id = user.id
        for code in demo.projects:
            exists = db.session.get(ProjectAssignment, (projects[code].id, user.id))
            if exists is None:
                db.session.add(ProjectAssignment(project_id=projects[code].id, user_id=user.id, assigned_by=admin_id))
        logins.append({"email": demo.email, "password": demo.password, "role": demo.role, "name": demo.name})
    db.session.commit()
    return logins
