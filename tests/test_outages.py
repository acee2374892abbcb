"""Outages and crashes, in a system of its own (stopping the shared test engines would disturb every
other test):

- Redis down while permits are approved: approvals still succeed (sessions are checked with auth's
  database instead of the Redis copy of the deny list), revoked tokens stay refused, revocations that
  cannot be recorded are refused without changing anything, and once Redis is back every notification
  arrives once; a long outage kills no worker nor the scheduler, and its emails are out within 60 s.
- A process killed in the middle of an idempotent request: the key's pending slot expires and the
  client's retry finishes the approval, once.
- PostgreSQL down: every route answers 503 with Retry-After at once, the gateway's breaker opens, and
  the system recovers by itself when the database is back."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from devstack.api_client import Api
from devstack.engines import Postgres, Redis
from devstack.images import png_base64
from devstack.observe import emails_about, wait_until
from devstack.samples import complete_hot_work, new_work_area
from devstack.stack import running_system

SIGNATURE = {"imageBase64": png_base64()}


@pytest.fixture(scope="module")
def outage_system():
    with running_system("outage", own_redis=True, own_postgres=True,
                        overrides={"gateway": {"TRUSTED_PROXY_HOPS": "1"},
                                   # a short request limit, so that a dead request's key expires quickly (yet
                                   # longer than a restart of permits takes on a busy 2-core machine)
                                   "permits": {"SWEEP_INTERVAL_SECONDS": "3", "GUNICORN_TIMEOUT": "20"}}) as stack:
        yield stack
    # its databases, Redis's file, the logs and every process's metrics: nothing of it is left in /tmp
    assert not stack.var_dir.exists() or os.environ.get("PERMITTO_KEEP_SCRATCH") == "1"


@pytest.fixture(scope="module")
def apis(outage_system):
    import json

    gateway = f"http://127.0.0.1:{outage_system.ports['gateway']}"
    users = json.loads((outage_system.var_dir / "demo-users.json").read_text())
    logins = {user["email"].split("@")[0]: (user["email"], user["password"]) for user in users}
    made = {}
    for n, key in enumerate(("admin", "issuer.downtown", "receiver.downtown", "coordinator", "issuer.harbor")):
        api = Api(gateway, f"10.77.0.{n + 1}")
        api.login(*logins[key])
        made[key] = api
    yield made
    for api in made.values():
        api.session.close()


def submitted_permit(receiver, admin, project_id, title):
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    start = datetime.now(UTC) + timedelta(hours=1)
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": project_id, "title": title,
        "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
        "workAreaId": new_work_area(admin, project_id), "formData": complete_hot_work()}).json()["data"]
    response = receiver.post(f"/permits/{permit['id']}/submit")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def issuer_approvals(api, permit_id):
    rows = api.get("/notifications", params={"limit": 100}).json()["data"]
    return [n for n in rows if n["permitId"] == permit_id and n["type"] == "PERMIT_ISSUER_APPROVED"]


def emails_to_receiver(stack, number):
    """Emails about the issuer's approval of one permit to its receiver, read back from the mail catcher."""
    return emails_about(stack.endpoints.mail_dir, number, phrase="approved by the issuer",
                        to="receiver.downtown@permitto.example")


def test_approvals_succeed_while_redis_is_down_and_notify_once_it_is_back(outage_system, apis):
    admin, issuer, receiver = apis["admin"], apis["issuer.downtown"], apis["receiver.downtown"]
    downtown = next(p["id"] for p in admin.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
    permits = [submitted_permit(receiver, admin, downtown, f"Outage of Redis {n}") for n in range(3)]
    # A session ended before the outage must stay ended during it, though the deny list is out of reach.
    ended = apis["issuer.harbor"]
    assert ended.post("/auth/logout").status_code in (200, 204)

    redis = outage_system.engine(Redis)
    redis.stop()
    try:
        for permit in permits:
            response = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE},
                                   headers={"Idempotency-Key": f"approve-{permit['id']}"})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["status"] == "ISSUER_APPROVED"
        again = issuer.post(f"/permits/{permits[0]['id']}/approve", json={"signature": SIGNATURE})
        assert again.status_code == 409  # the state guards a retry even without idempotency records

        refused = ended.get("/permits")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "UNAUTHORIZED"

        # Revoking needs the deny list: refused with a clear answer, and nothing changed.
        victim = next(u for u in admin.get("/users", params={"limit": 100}).json()["data"]
                      if u["email"].startswith("receiver.harbor"))
        response = admin.delete(f"/users/{victim['id']}")
        assert response.status_code == 503
        assert response.json()["success"] is False
        assert response.headers["Retry-After"]
        assert admin.get(f"/users/{victim['id']}").json()["data"]["isActive"] is True
    finally:
        redis.start()

    outage_system.wait_ready(timeout=60)
    for permit in permits:
        assert wait_until(lambda p=permit: issuer_approvals(receiver, p["id"]), timeout=40), permit["number"]
    for permit in permits:
        assert wait_until(lambda p=permit: emails_to_receiver(outage_system, p["number"]), timeout=40)
    time.sleep(5)  # further relay runs and retries add nothing
    for permit in permits:
        assert len(issuer_approvals(receiver, permit["id"])) == 1
        assert len(emails_to_receiver(outage_system, permit["number"])) == 1
        timeline = issuer.get(f"/permits/{permit['id']}/timeline").json()["data"]
        assert [e["action"] for e in timeline].count("issuer_approve") == 1


def test_a_redis_that_comes_back_empty_does_not_forget_ended_sessions(outage_system, apis):
    """Redis restarted without its data: the deny list is gone from it. Verifiers notice (no epoch), ask
    auth instead, auth refills Redis from its database, and an ended session stays ended throughout."""
    import json

    from redis import Redis as RedisClient

    gateway = f"http://127.0.0.1:{outage_system.ports['gateway']}"
    users = json.loads((outage_system.var_dir / "demo-users.json").read_text())
    login = next(u for u in users if u["email"].startswith("receiver.both"))
    ended, live = Api(gateway, "10.77.1.1"), apis["receiver.downtown"]
    ended.login(login["email"], login["password"])
    assert ended.get("/permits").status_code == 200
    assert ended.post("/auth/logout").status_code == 200
    assert ended.get("/permits").status_code == 401

    with RedisClient.from_url(outage_system.endpoints.redis_url) as redis:
        redis.flushall()
        for path in ("/permits", "/auth/me", "/notifications"):  # gateway and services alike
            response = ended.session.get(gateway + "/api/v1" + path, headers={
                "Authorization": f"Bearer {ended.token}", "X-Forwarded-For": "10.77.1.1"}, timeout=10)
            assert response.status_code == 401, path
        assert live.get("/permits").status_code == 200
        assert redis.get("permitto:deny:epoch") is not None  # auth refilled the list
        assert redis.keys("permitto:deny:sid:*")
    ended.session.close()


def killpg(popen, sig):
    os.killpg(popen.pid, sig)  # each process is started as its own group: gunicorn and its workers


def test_a_key_left_pending_by_a_killed_process_expires_and_the_retry_finishes(outage_system, apis):
    admin, issuer, receiver = apis["admin"], apis["issuer.downtown"], apis["receiver.downtown"]
    downtown = next(p["id"] for p in admin.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
    permit = submitted_permit(receiver, admin, downtown, "Killed mid-approval")
    key = {"Idempotency-Key": f"approve-killed-{permit['id']}"}
    files = outage_system.running["files"].popen
    killpg(files, signal.SIGSTOP)  # the approval hangs storing its signature
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(issuer.post, f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE},
                                  headers=key)
            time.sleep(1.5)
            killpg(outage_system.running["permits"].popen, signal.SIGKILL)  # mid-request
            assert pending.result(timeout=30).status_code >= 500
    finally:
        killpg(files, signal.SIGCONT)
    outage_system.restart_process("permits")
    outage_system.wait_ready(["permits"], timeout=60)

    first_retry = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}, headers=key)
    assert first_retry.status_code == 409  # the dead request's slot, for a request's time limit at most
    assert first_retry.headers["Retry-After"]
    assert receiver.get(f"/permits/{permit['id']}").json()["data"]["status"] == "SUBMITTED"
    started = time.monotonic()

    def retried():
        answer = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}, headers=key)
        return answer if answer.status_code == 200 else None

    answer = wait_until(retried, timeout=30)
    assert answer is not None, "the retry never went through"
    assert time.monotonic() - started < 30  # 20 s limit + margin, not a day
    assert answer.json()["data"]["status"] == "ISSUER_APPROVED"
    replay = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}, headers=key)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    timeline = issuer.get(f"/permits/{permit['id']}/timeline").json()["data"]
    assert [e["action"] for e in timeline].count("issuer_approve") == 1


def test_workers_and_the_scheduler_ride_out_a_long_redis_outage(outage_system, apis):
    admin, issuer, receiver = apis["admin"], apis["issuer.downtown"], apis["receiver.downtown"]
    downtown = next(p["id"] for p in admin.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
    permit = submitted_permit(receiver, admin, downtown, "Long Redis outage")
    redis = outage_system.engine(Redis)
    background = [name for name in outage_system.running if name.endswith(("-worker", "-scheduler"))]
    redis.stop()
    try:
        assert issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE}).status_code == 200
        time.sleep(25)  # longer than any reconnect backoff
        dead = [name for name in background if outage_system.running[name].popen.poll() is not None]
        assert dead == [], f"died while Redis was down: {dead}"
    finally:
        redis.start()
    back = time.monotonic()
    assert wait_until(lambda: emails_to_receiver(outage_system, permit["number"]), timeout=60)
    assert time.monotonic() - back < 60
    dead = [name for name in background if outage_system.running[name].popen.poll() is not None]
    assert dead == []


def test_a_lost_database_is_a_503_opens_the_breaker_and_heals_by_itself(outage_system, apis):
    receiver = apis["receiver.downtown"]
    postgres = outage_system.engine(Postgres)
    postgres.stop()
    try:
        answers = []
        for _ in range(12):
            started = time.monotonic()
            answer = receiver.get("/permits")
            answers.append((answer, time.monotonic() - started))
        assert all(a.status_code == 503 for a, _ in answers), [a.text for a, _ in answers]
        assert all(seconds < 5 for _, seconds in answers)
        assert all(a.headers.get("Retry-After") and a.json()["success"] is False for a, _ in answers)
        assert any("database is unavailable" in a.json()["error"]["message"] for a, _ in answers)
        assert any("requests are paused" in a.json()["error"]["message"] for a, _ in answers)  # the breaker
    finally:
        postgres.start()
    assert wait_until(lambda: receiver.get("/permits").status_code == 200, timeout=60)
