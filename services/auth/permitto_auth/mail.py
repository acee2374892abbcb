"""Account emails are sent by the notifications service: auth enqueues the job by name on its queue."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from permitto_common.jobs import QUEUE_NOTIFICATIONS, enqueue

# The contract with the notifications service: this job name and these kwargs.
ACCOUNT_EMAIL_JOB = "permitto_notifications.jobs.send_account_email"


def send_account_email(*, kind: str, to: str, name: str, token: str, expires_at: datetime) -> None:
    # The web app's set-password screen reads the kind to greet an invited user rather than ask for a reset.
    link = f"{current_app.config['APP_URL'].rstrip('/')}/set-password?token={token}&kind={kind}"
    enqueue(
        current_app,
        QUEUE_NOTIFICATIONS,
        ACCOUNT_EMAIL_JOB,
        kwargs={"kind": kind, "to": to, "name": name, "link": link, "expires_at": expires_at.isoformat()},
    )
