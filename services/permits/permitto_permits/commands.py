"""Flask CLI commands of the permits service."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from permitto_common.database import utcnow

from .extensions import db
from .models import Competency, CompetencyType, IsolationPoint, Template, TemplateVersion, WorkArea
from .template_schema import check_schema

SEED_DIR = Path(__file__).parent / "seed_templates"
SEED_POINTS = Path(__file__).parent / "seed_points.json"
SEED_AREAS = Path(__file__).parent / "seed_areas.json"
SEED_COMPETENCIES = Path(__file__).parent / "seed_competencies.json"


def seed_templates() -> int:
    """Publish the four standard templates if no template of that type exists (idempotent)."""
    created = 0
    for path in sorted(SEED_DIR.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        if db.session.scalar(select(Template.id).where(Template.type == spec["type"])) is not None:
            continue
        schema = check_schema(spec["schema"]).model_dump(exclude_none=True)
        template = Template(type=spec["type"], name=spec["name"], description=spec["description"])
        db.session.add(template)
        db.session.flush()
        db.session.add(TemplateVersion(template_id=template.id, version=1, status="PUBLISHED", schema=schema,
                                       published_at=utcnow()))
        created += 1
    db.session.commit()
    return created


def seed_points(projects: dict[str, str]) -> int:
    """The demo projects' isolation libraries (by project code), where a tag is not there yet (idempotent)."""
    created = 0
    for code, points in json.loads(SEED_POINTS.read_text(encoding="utf-8")).items():
        if code not in projects:
            continue
        project_id = uuid.UUID(projects[code])
        for spec in points:
            if db.session.scalar(select(IsolationPoint.id).where(IsolationPoint.project_id == project_id,
                                                                 IsolationPoint.tag == spec["tag"])):
                continue
            db.session.add(IsolationPoint(project_id=project_id, tag=spec["tag"], description=spec["description"],
                                          equipment=spec["equipment"], energy_type=spec["energyType"],
                                          method=spec["method"], verification=spec["verification"]))
            created += 1
    db.session.commit()
    return created


def seed_areas(projects: dict[str, str]) -> int:
    """The demo projects' work areas, nested and drawn on their plans, where a code is not there yet."""
    created = 0
    for code, areas in json.loads(SEED_AREAS.read_text(encoding="utf-8")).items():
        if code not in projects:
            continue
        project_id = uuid.UUID(projects[code])
        known = {a.code: a for a in db.session.scalars(select(WorkArea).where(WorkArea.project_id == project_id))}
        for spec in areas:  # parents come first in the file
            if spec["code"] in known:
                continue
            parent = known[spec["parent"]].id if spec.get("parent") else None
            area = WorkArea(project_id=project_id, code=spec["code"], name=spec["name"], parent_id=parent,
                            shape=spec.get("shape"))
            db.session.add(area)
            db.session.flush()
            known[area.code] = area
            created += 1
    db.session.commit()
    return created


def seed_competency_types() -> int:
    """The common kinds of competency a template may demand, where a key is not there yet (idempotent)."""
    created = 0
    for spec in json.loads(SEED_COMPETENCIES.read_text(encoding="utf-8"))["types"]:
        if db.session.scalar(select(CompetencyType.id).where(CompetencyType.key == spec["key"])) is None:
            db.session.add(CompetencyType(key=spec["key"], name=spec["name"], description=spec["description"]))
            created += 1
    db.session.commit()
    return created


def seed_competencies(users: dict[str, str]) -> int:
    """The demo people's certificates (one runs out within 30 days, so its notice and the list show)."""
    created = 0
    today = utcnow().date()
    kinds = {k.key: k.id for k in db.session.scalars(select(CompetencyType))}
    for spec in json.loads(SEED_COMPETENCIES.read_text(encoding="utf-8"))["demo"]:
        user_id = users.get(spec["email"])
        if user_id is None or db.session.scalar(select(Competency.id).where(
                Competency.user_id == uuid.UUID(user_id), Competency.number == spec["number"])):
            continue
        db.session.add(Competency(user_id=uuid.UUID(user_id), type_id=kinds[spec["key"]], issuer=spec["issuer"],
                                  number=spec["number"], valid_from=today - timedelta(days=30),
                                  valid_to=today + timedelta(days=spec["validDays"]), recorded_by=uuid.UUID(user_id)))
        created += 1
    db.session.commit()
    return created


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--projects", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The demo projects' ids by code (auth's seed-demo --projects-output): seeds their "
                       "isolation points and work areas too.")
    @click.option("--users", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The demo users' ids by email (auth's seed-demo --users-output): seeds their competencies.")
    def seed_demo_command(projects: Path | None, users: Path | None) -> None:
        """Publish the standard permit templates (hot work, confined space, height, electrical)."""
        click.echo(f"permit templates ready ({seed_templates()} created)")
        click.echo(f"competency types ready ({seed_competency_types()} created)")
        if users:
            click.echo(f"demo competencies ready ({seed_competencies(json.loads(users.read_text(encoding='utf-8')))} "
                       "created)")
        if projects:
            ids = json.loads(projects.read_text(encoding="utf-8"))
            click.echo(f"isolation points ready ({seed_points(ids)} created)")
            click.echo(f"work areas ready ({seed_areas(ids)} created)")
