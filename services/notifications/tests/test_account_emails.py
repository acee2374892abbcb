"""Invitation and reset emails: the job auth enqueues, delivered to a real SMTP server."""

import pytest

from permitto_common.jobs import QUEUE_NOTIFICATIONS, enqueue, run_worker


def test_invitation_email_is_rendered_and_delivered(app, smtp_server):
    enqueue(app, QUEUE_NOTIFICATIONS, "permitto_notifications.jobs.send_account_email", kwargs={
        "kind": "invitation", "to": "new.hire@site.example", "name": "Zoë Nouveau",
        "link": "http://permitto.test/set-password?token=tok123", "expires_at": "2026-12-01T10:00:00+00:00",
    })
    assert run_worker(app, [QUEUE_NOTIFICATIONS], burst=True, fork=False)
    [message] = smtp_server.to("new.hire@site.example")
    assert message["Subject"] == "You are invited to Permitto"
    assert message["From"] == "Permitto <noreply@permitto.test>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Zoë Nouveau" in text
    assert "http://permitto.test/set-password?token=tok123" in text
    assert 'href="http://permitto.test/set-password?token=tok123"' in html
    assert "2026-12-01 10:00 UTC" in text


def test_unknown_kind_fails_the_job_not_silently(app):
    from permitto_notifications.jobs import send_account_email

    with pytest.raises(ValueError, match="unknown account email kind"):
        send_account_email(kind="spam", to="x@y.z", name="X", link="l", expires_at="2026-12-01T10:00:00+00:00")
