"""Flask CLI commands of the auth service."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask

from permitto_common.security import ADMIN

from .demo import seed_demo
from .extensions import db
from .models import Project, User
from .passwords import hash_password, policy_problems


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the demo logins here.")
    @click.option("--projects-output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the demo projects' ids by code here (the permits service seeds their libraries).")
    @click.option("--users-output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the demo users' ids by email here (the permits service seeds their competencies).")
    def seed_demo_command(output: Path | None, projects_output: Path | None, users_output: Path | None) -> None:
        """Create the demo projects and users (idempotent)."""
        logins = seed_demo()
        if output:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(logins, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if projects_output:
            projects = {p.code: str(p.id) for p in db.session.scalars(db.select(Project).order_by(Project.code))}
            projects_output.parent.mkdir(parents=True, exist_ok=True)
            projects_output.write_text(json.dumps(projects, indent=2) + "\n", encoding="utf-8")
        if users_output:
            emails = {login["email"] for login in logins}
            users = {u.email: str(u.id) for u in db.session.scalars(db.select(User)) if u.email in emails}
            users_output.parent.mkdir(parents=True, exist_ok=True)
            users_output.write_text(json.dumps(users, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"demo data ready: {len(logins)} users")

    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.password_option()
    def create_admin_command(email: str, name: str, password: str) -> None:
        """Create the first SUPER_ADMIN of a new deployment."""
        problems = policy_problems(password)
        if problems:
            raise click.ClickException("password needs " + ", ".join(problems))
        existing = db.session.execute(
            db.select(User).where(db.func.lower(User.email) == email.lower())
        ).scalar_one_or_none()
        if existing is not None:
            raise click.ClickException(f"a user with email {email} exists already")
        db.session.add(User(email=email, name=name, role=ADMIN, password_hash=hash_password(password)))
        db.session.commit()
        click.echo(f"created SUPER_ADMIN {email}")
