"""Jobs of the notifications service, enqueued by name by other services (the kwargs are the contract)."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import render_template

from .channels.email import Email, email_backend

log = logging.getLogger(__name__)

ACCOUNT_EMAILS = {
    "invitation": "You are invited to Permitto",
    "password_reset": "Reset your Permitto password",
}


def send_account_email(*, kind: str, to: str, name: str, link: str, expires_at: str) -> str:
    """Invitation and password-reset emails for the auth service; retried by RQ on failure."""
    if kind not in ACCOUNT_EMAILS:
        raise ValueError(f"unknown account email kind {kind!r}")
    expires = datetime.fromisoformat(expires_at).strftime("%Y-%m-%d %H:%M UTC")
    context = {"name": name, "link": link, "expires": expires}
    email = Email(
        to=to,
        subject=ACCOUNT_EMAILS[kind],
        text=render_template(f"email/{kind}.txt", **context),
        html=render_template(f"email/{kind}.html", **context),
    )
    message_id = email_backend().send(email)
    log.info("account email sent", extra={"kind": kind, "message_id": message_id})
    return message_id
