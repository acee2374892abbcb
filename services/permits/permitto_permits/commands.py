"""Flask CLI commands of the permits service."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from permitto_common.database import utcnow

from .extensions import db
from .models import IsolationPoint, Template, TemplateVersion, WorkArea
from .template_schema import check_schema

SEED_DIR = Path(__file__).parent / "seed_templates"
SEED_POINTS = Path(__file__).parent / "seed_points.json"
SEED_AREAS = Path(__file__).parent / "seed_areas.json"


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


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--projects", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="The demo projects' ids by code (auth's seed-demo --projects-output): seeds their "
                       "isolation points and work areas too.")
    def seed_demo_command(projects: Path | None) -> None:
        """Publish the standard permit templates (hot work, confined space, height, electrical)."""
        click.echo(f"permit templates ready ({seed_templates()} created)")
        if projects:
            ids = json.loads(projects.read_text(encoding="utf-8"))
            click.echo(f"isolation points ready ({seed_points(ids)} created)")
            click.echo(f"work areas ready ({seed_areas(ids)} created)")
