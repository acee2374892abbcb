"""Email backends against real servers (a local HTTP server speaking Resend's API, SMTP), failed emails
parked after retries, and the in-app API on one's own notifications only."""

import json
import threading
import uuid

import pytest
from flask import Flask, request
from rq import Queue, Retry
from werkzeug.serving import make_server

from devstack.engines import free_port
from permitto_common.jobs import QUEUE_NOTIFICATIONS, enqueue, run_worker
from permitto_common.redis_conn import get_redis
from permitto_notifications.channels.email import DeliveryError, Email, ResendBackend, SmtpBackend, init_email
from permitto_notifications.extensions import db
from permitto_notifications.jobs import process_stragglers
from permitto_notifications.models import EmailDelivery, Notification


@pytest.fixture(scope="module")
def resend_server():
    """A local stand-in that speaks Resend's HTTP API and records every call."""
    calls = []
    api = Flask("resend")

    @api.post("/emails")
    def emails():
        calls.append({"auth": request.headers.get("Authorization"), "body": request.get_json()})
        if request.get_json()["to"] == ["bounce@site.example"]:
            return {"statusCode": 422, "message": "invalid recipient"}, 422
        return {"id": f"re_{len(calls)}"}, 200

    server = make_server("127.0.0.1", free_port(), api, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/emails", calls
    server.shutdown()


def test_resend_backend_posts_the_email_to_the_api(resend_server):
    url, calls = resend_server
    backend = ResendBackend(api_key="re_test_key", sender="Permitto <noreply@permitto.example>", url=url)
    message_id = backend.send(Email("ann@site.example", "Permit approved", "text body", "<p>html body</p>"))
    assert message_id.startswith("re_")
    assert calls[-1]["auth"] == "Bearer re_test_key"
    assert calls[-1]["body"] == {"from": "Permitto <noreply@permitto.example>", "to": ["ann@site.example"],
                                 "subject": "Permit approved", "text": "text body", "html": "<p>html body</p>"}
    with pytest.raises(DeliveryError, match="422"):
        backend.send(Email("bounce@site.example", "x", "x", "x"))


def deliver_with_two_retries(app, subject="s"):
    """One email through the real job and a burst worker, with two quick retries; the row afterwards."""
    delivery = EmailDelivery(dedupe_key=f"test:{uuid.uuid4()}", to="ann@site.example", subject=subject,
                             text_body="t", html_body="h")
    db.session.add(delivery)
    db.session.commit()
    enqueue(app, QUEUE_NOTIFICATIONS, "permitto_notifications.jobs.deliver_email",
            kwargs={"delivery_id": str(delivery.id)}, retry=Retry(max=2, interval=0))
    run_worker(app, [QUEUE_NOTIFICATIONS], burst=True, fork=False)
    db.session.refresh(delivery)
    return delivery


def test_a_failing_email_is_retried_then_parked_as_failed(app):
    working = app.extensions["permitto.email"]
    init_email(app, SmtpBackend(host="127.0.0.1", port=free_port(), sender="x@permitto.example"))  # nobody there
    try:
        delivery = deliver_with_two_retries(app)
        assert delivery.status == "FAILED"
        assert delivery.attempts == 3
        assert "SMTP delivery" in delivery.last_error
    finally:
        init_email(app, working)


def test_an_unexpected_failure_counts_as_an_attempt_and_is_retried_then_parked(app):
    # A row written before subjects were made one line: building the message raises ValueError,
    # not the channel's DeliveryError. It must still be counted, retried and parked, never looped on.
    delivery = deliver_with_two_retries(app, subject="broken\nsubject")
    assert (delivery.status, delivery.attempts) == ("FAILED", 3)
    assert delivery.last_error.startswith("ValueError")
    assert process_stragglers()["emails"] == 0  # parked: the safety net leaves it to an administrator


def test_a_retry_lost_with_redis_is_found_by_the_safety_net(app):
    from datetime import timedelta

    from permitto_common.database import utcnow

    lost = EmailDelivery(dedupe_key=f"test:{uuid.uuid4()}", to="ann@site.example", subject="s", text_body="t",
                         html_body="h", attempts=1, next_attempt_at=utcnow() - timedelta(minutes=5))
    waiting = EmailDelivery(dedupe_key=f"test:{uuid.uuid4()}", to="bob@site.example", subject="s", text_body="t",
                            html_body="h", attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5))
    never_queued = EmailDelivery(dedupe_key=f"test:{uuid.uuid4()}", to="cy@site.example", subject="s",
                                 text_body="t", html_body="h", created_at=utcnow() - timedelta(minutes=1))
    db.session.add_all([lost, waiting, never_queued])
    db.session.commit()
    queued = {job.kwargs["delivery_id"] for job in Queue(QUEUE_NOTIFICATIONS, connection=get_redis(app)).jobs}
    process_stragglers()
    requeued = {job.kwargs["delivery_id"] for job in Queue(QUEUE_NOTIFICATIONS, connection=get_redis(app)).jobs}
    assert {str(lost.id), str(never_queued.id)} <= requeued - queued
    assert str(waiting.id) not in requeued


def test_the_in_app_api_shows_and_changes_only_ones_own(client, mint):
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    for user, n in ((mine, 3), (theirs, 2)):
        for i in range(n):
            db.session.add(Notification(user_id=user, event_id=uuid.uuid4(), type="PERMIT_APPROVED",
                                        title=f"n{i}", body="b"))
    db.session.commit()
    me = {"Authorization": f"Bearer {mint(sub=str(mine))}"}
    listed = client.get("/api/v1/notifications?limit=2", headers=me).json
    assert listed["meta"]["total"] == 3
    assert listed["meta"]["unread"] == 3
    assert len(listed["data"]) == 2
    other = db.session.scalars(db.select(Notification).where(Notification.user_id == theirs)).first()
    assert client.patch(f"/api/v1/notifications/{other.id}/read", headers=me).status_code == 404
    first = listed["data"][0]["id"]
    assert client.patch(f"/api/v1/notifications/{first}/read", headers=me).json["data"]["readAt"]
    assert client.get("/api/v1/notifications?unread=true", headers=me).json["meta"]["total"] == 2
    assert client.post("/api/v1/notifications/read-all", headers=me).json["data"]["marked"] == 2
    theirs_unread = db.session.scalar(db.select(db.func.count()).where(Notification.user_id == theirs,
                                                                       Notification.read_at.is_(None)))
    assert theirs_unread == 2


def test_events_are_accepted_once(client, app):
    event = {"id": str(uuid.uuid4()), "type": "PERMIT_SUBMITTED", "occurredAt": "2026-11-26T10:00:00+00:00",
             "permitId": str(uuid.uuid4()), "payload": {"title": "x"}}
    headers = {"X-Internal-Token": app.config["INTERNAL_API_TOKEN"]}
    first = client.post("/internal/events", json={"events": [event]}, headers=headers).json["data"]
    second = client.post("/internal/events", json={"events": [event]}, headers=headers).json["data"]
    assert first["new"] == 1
    assert second["new"] == 0
    assert client.post("/internal/events", json={"events": [event]}).status_code == 403
    assert json.loads(json.dumps(second))["received"] == 1

