"""Flask CLI commands of the permits service."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from permitto_common.database import utcnow

from .extensions import db
from .models import Template, TemplateVersion
from .template_schema import check_schema

SEED_DIR = Path(__file__).parent / "seed_templates"


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


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Publish the standard permit templates (hot work, confined space, height, electrical)."""
        click.echo(f"permit templates ready ({seed_templates()} created)")
