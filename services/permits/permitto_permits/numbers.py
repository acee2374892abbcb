"""Permit numbers {PROJECT}-{TYPE}-{YEAR}-{SEQ}: unique and gap-free.

Assigned at submit, not at creation: drafts are often abandoned, and a number given to a draft
that is then cancelled would leave a gap in the register the site keeps. The counter row is
locked by the UPDATE until the submit commits, so concurrent submits queue and take 1, 2, 3…
and a submit that fails rolls its increment back with it."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from .extensions import db


def next_number(project_id: uuid.UUID, project_code: str, permit_type: str, year: int) -> str:
    seq = db.session.execute(
        text(
            "INSERT INTO number_counters (project_id, type, year, last_seq) VALUES (:p, :t, :y, 1) "
            "ON CONFLICT (project_id, type, year) DO UPDATE SET last_seq = number_counters.last_seq + 1 "
            "RETURNING last_seq"
        ),
        {"p": project_id, "t": permit_type, "y": year},
    ).scalar_one()
    return f"{project_code}-{permit_type}-{year}-{seq:03d}"
