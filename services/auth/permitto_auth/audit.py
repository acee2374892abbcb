"""Account audit entries, written in the caller's transaction (so a change and its record commit together)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import has_request_context, request

from permitto_common.observability import current_request_id

from .extensions import db
from .models import AccountAudit


def record(
    action: str,
    *,
    actor_id: uuid.UUID | None,
    target_user_id: uuid.UUID | None = None,
    target_project_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    db.session.add(
        AccountAudit(
            action=action,
            actor_id=actor_id,
            target_user_id=target_user_id,
            target_project_id=target_project_id,
            ip=request.remote_addr if has_request_context() else None,
            request_id=current_request_id(),
            details={key: value for key, value in details.items() if value is not None},
        )
    )
