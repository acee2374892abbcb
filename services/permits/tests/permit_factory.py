"""The one way the permits tests build a permit in the database (tests of the real engine, no API)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from permitto_permits.commands import seed_templates
from permitto_permits.extensions import db
from permitto_permits.models import Permit, Template, TemplateVersion


def make_permit(*, status: str = "DRAFT", tz: str = "UTC", valid_from: datetime | None = None,
                valid_to: datetime | None = None, grace: int = 0, kind: str = "HW", **fields: Any) -> Permit:
    """A permit of a seed template in any state; numbered once past DRAFT. Its project gives no
    first-day grace unless told (the grace has its own test)."""
    seed_templates()
    # hot work unless told: no isolation nor gas test stands between its daily cycle and work
    version = db.session.scalars(db.select(TemplateVersion).join(Template).where(Template.type == kind)).one()
    valid_from = valid_from or datetime.now(UTC)
    permit = Permit(project_id=fields.pop("project_id", uuid.uuid4()), project_code="SITE", timezone=tz, type=kind,
                    template_version_id=version.id, title=fields.pop("title", "Weld"), status=status,
                    requester_id=fields.pop("requester_id", uuid.uuid4()), valid_from=valid_from,
                    valid_to=valid_to or valid_from + timedelta(days=1), first_day_grace_minutes=grace,
                    number=None if status == "DRAFT" else f"SITE-{kind}-2026-{uuid.uuid4().hex[:6]}",
                    submitted_at=None if status == "DRAFT" else valid_from, **fields)
    db.session.add(permit)
    db.session.flush()
    return permit
