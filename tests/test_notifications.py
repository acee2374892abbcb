"""Notifications end to end: the right people get the right emails (read back from the SMTP catcher) and
in-app entries; with the notifications service down, approvals succeed and every notification arrives
later exactly once; the live stream delivers within a second and replays after a reconnect."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import requests

from devstack.images import png_base64
from devstack.observe import emails_about, wait_until
from devstack.samples import complete_hot_work

SIGNATURE = {"imageBase64": png_base64()}


def new_submitted(api_of, ids, area, title="Notify me"):
    receiver = api_of("receiver.downtown")
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    start = datetime.now(UTC) + timedelta(hours=1)
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": ids["projects"]["DOWNTOWN"], "title": title,
        "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
        "workAreaId": area(), "formData": complete_hot_work()}).json()["data"]
    return receiver.post(f"/permits/{permit['id']}/submit").json()["data"]


def recipients_of(system, number, phrase, expected, timeout=20.0):
    """Wait until the emails about a permit with a phrase in the subject reach the expected set of people."""
    def current():
        return {m[0] for m in emails_about(system.endpoints.mail_dir, number, phrase=phrase)}

    wait_until(lambda: current() >= expected, timeout)
    time.sleep(0.5)  # and nobody else gets one
    return current()


def in_app(api, permit_id, event_type):
    rows = api.get("/notifications", params={"limit": 100}).json()["data"]
    return [n for n in rows if n["permitId"] == permit_id and n["type"] == event_type]


def active_emails(api_of, ids, role, project=None):
    """Who should hear: the active users of a role (on a project when given), as the API lists them."""
    admin = api_of("admin")
    params = {"role": role, "active": "true", "limit": 100}
    if project:
        params["projectId"] = ids["projects"][project]
    return {u["email"] for u in admin.get("/users", params=params).json()["data"]}


def test_each_step_reaches_the_right_people_by_email_and_in_app(system, api_of, ids, area):
    issuers = active_emails(api_of, ids, "ISSUER", "DOWNTOWN")
    coordinators = active_emails(api_of, ids, "COORDINATOR")
    permit = new_submitted(api_of, ids, area, title="Hot work on roof — notify")
    number = permit["number"]
    issuer, receiver, coordinator = api_of("issuer.downtown"), api_of("receiver.downtown"), api_of("coordinator")
    submitted = wait_until(lambda: in_app(issuer, permit["id"], "PERMIT_SUBMITTED"))
    assert submitted[0]["title"] == f"{number} submitted for approval"
    assert not in_app(api_of("issuer.harbor"), permit["id"], "PERMIT_SUBMITTED")
    assert recipients_of(system, number, "submitted", issuers) == issuers
    mails = emails_about(system.endpoints.mail_dir, number, phrase="submitted")
    assert f"/permits/{permit['id']}" in mails[0][2]

    issuer.post(f"/permits/{permit['id']}/reject", json={"reason": "Fire watch must be 60 minutes"})
    assert recipients_of(system, number, "rejected", {"receiver.downtown@permitto.example"}) == {
        "receiver.downtown@permitto.example"}
    rejected = emails_about(system.endpoints.mail_dir, number, phrase="rejected")
    assert "Fire watch must be 60 minutes" in rejected[0][2]
    assert "Ivan Issuer" in rejected[0][2] or "By:" in rejected[0][2]

    receiver.post(f"/permits/{permit['id']}/revise")
    receiver.post(f"/permits/{permit['id']}/submit")
    issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    expected = {"receiver.downtown@permitto.example"} | coordinators
    assert recipients_of(system, number, "approved by the issuer", expected) == expected
    coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    # everyone on the permit but the coordinator who did it
    expected = ({"receiver.downtown@permitto.example"} | issuers | coordinators) - {"coordinator@permitto.example"}
    assert recipients_of(system, number, "given final approval", expected) == expected
    assert wait_until(lambda: in_app(receiver, permit["id"], "PERMIT_APPROVED"))


def test_notifications_down_during_approvals_arrive_later_exactly_once(system, api_of, ids, area):
    permits = [new_submitted(api_of, ids, area, title=f"Outage {n}") for n in range(5)]
    issuer, receiver = api_of("issuer.downtown"), api_of("receiver.downtown")
    system.stop_process("notifications")
    try:
        for permit in permits:
            response = issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
            assert response.status_code == 200  # the approval never waits for notifications
        time.sleep(4)  # the relay tries, fails, and keeps the events
    finally:
        system.restart_process("notifications")
    system.wait_ready(["notifications"], timeout=60)

    def arrived():
        return all(in_app(receiver, p["id"], "PERMIT_ISSUER_APPROVED") for p in permits)

    assert wait_until(arrived, timeout=40)
    time.sleep(6)  # more relay runs and retries must not add anything
    for permit in permits:
        def mails(p=permit):
            return emails_about(system.endpoints.mail_dir, p["number"], phrase="approved by the issuer",
                                to="receiver.downtown@permitto.example")

        wait_until(mails)
        assert len(in_app(receiver, permit["id"], "PERMIT_ISSUER_APPROVED")) == 1
        assert len(mails()) == 1


def read_events(response, sink, stop):
    event = {}
    try:
        for line in response.iter_lines(decode_unicode=True):
            if stop.is_set():
                return
            if line.startswith("id: "):
                event["id"] = line[4:]
            elif line.startswith("event: "):
                event["event"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and event:
                sink.append((time.perf_counter(), event))
                event = {}
    except (requests.RequestException, AttributeError, ValueError):
        return  # the test closed the stream under us


def test_live_stream_delivers_within_a_second_and_replays_after_reconnect(system, api_of, ids, gateway, area):
    receiver = api_of("receiver.downtown")
    headers = {"Authorization": f"Bearer {receiver.token}", "X-Forwarded-For": receiver.ip}
    stream = requests.get(f"{gateway}/api/v1/notifications/stream", headers=headers, stream=True, timeout=30)
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    received, stop = [], threading.Event()
    reader = threading.Thread(target=read_events, args=(stream, received, stop), daemon=True)
    reader.start()
    permit = new_submitted(api_of, ids, area, title="Live")
    time.sleep(1)
    approved_at = time.perf_counter()
    api_of("issuer.downtown").post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    assert wait_until(lambda: [e for e in received if e[1]["data"]["permitId"] == permit["id"]], timeout=10)
    arrival, event = next(e for e in received if e[1]["data"]["permitId"] == permit["id"])
    assert arrival - approved_at < 1.0
    assert event["data"]["type"] == "PERMIT_ISSUER_APPROVED"
    stop.set()
    stream.close()

    # while disconnected, another notification; reconnecting with Last-Event-ID replays it
    api_of("coordinator").post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
    assert wait_until(lambda: in_app(receiver, permit["id"], "PERMIT_APPROVED"))
    again = requests.get(f"{gateway}/api/v1/notifications/stream", headers={**headers, "Last-Event-ID": event["id"]},
                         stream=True, timeout=30)
    replayed, stop2 = [], threading.Event()
    threading.Thread(target=read_events, args=(again, replayed, stop2), daemon=True).start()
    assert wait_until(lambda: [e for e in replayed if e[1]["data"]["type"] == "PERMIT_APPROVED"], timeout=10)
    stop2.set()
    again.close()


def test_preferences_turn_email_off(system, api_of, ids, area):
    issuer = api_of("issuer.downtown")
    assert issuer.patch("/notifications/preferences", json={"perEvent": {"PERMIT_SUBMITTED": {"email": False}}}
                        ).json()["data"]["perEvent"] == {"PERMIT_SUBMITTED": {"email": False}}
    try:
        permit = new_submitted(api_of, ids, area, title="Quiet please")
        assert wait_until(lambda: in_app(issuer, permit["id"], "PERMIT_SUBMITTED"))
        time.sleep(1)
        assert emails_about(system.endpoints.mail_dir, permit["number"], phrase="submitted",
                            to="issuer.downtown@permitto.example") == []
    finally:
        issuer.patch("/notifications/preferences", json={"perEvent": {}})


def test_daily_reminders_come_as_one_digest_for_those_who_chose_it(system, api_of, ids, clock, area):
    from zoneinfo import ZoneInfo

    from redis import Redis
    from rq import Queue

    ny = ZoneInfo("America/New_York")
    issuer, receiver, coordinator = api_of("issuer.downtown"), api_of("receiver.downtown"), api_of("coordinator")
    issuer.patch("/notifications/preferences", json={"dailyDigest": True})
    try:
        day = (datetime.now(ny) + timedelta(days=3)).date()
        clock(datetime(day.year, day.month, day.day, 6, 0, tzinfo=ny))
        template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
        numbers = []
        for n in range(2):
            permit = receiver.post("/permits", json={
                "templateId": template, "projectId": ids["projects"]["DOWNTOWN"], "title": f"Digest {n}",
                "validFrom": datetime(day.year, day.month, day.day, 5, 0, tzinfo=ny).isoformat(),
                "validTo": datetime(day.year, day.month, day.day + 0, 18, 0, tzinfo=ny).isoformat(),
                "workAreaId": area(), "formData": complete_hot_work()}).json()["data"]
            numbers.append(receiver.post(f"/permits/{permit['id']}/submit").json()["data"]["number"])
            issuer.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
            coordinator.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})
        # 08:05: reminders are due an hour before the first day's deadline (the 08:00 work start plus the
        # project's 60-minute grace), no confirmation given yet, and go out in-app
        clock(datetime(day.year, day.month, day.day, 8, 5, tzinfo=ny))

        def reminders():
            rows = issuer.get("/notifications", params={"limit": 100}).json()["data"]
            found = [n for n in rows if n["type"] == "DAILY_REMINDER" and n["title"].split()[0] in numbers]
            return found if len(found) == 2 else None

        assert wait_until(reminders, timeout=30)
        time.sleep(1)
        for number in numbers:  # no per-permit reminder email for a digest user
            assert not [m for m in emails_about(system.endpoints.mail_dir, number)
                        if "issuer.downtown" in m[0] and "today's confirmation" in m[1]]
        redis = Redis.from_url(system.endpoints.redis_url)
        digests = Queue("notifications", connection=redis)

        def sent_digests():
            found = []
            for path in Path(system.endpoints.mail_dir).glob("*.eml"):
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
                if "daily confirmation" in str(message["Subject"]) and "issuer.downtown" in str(message["To"]):
                    text = message.get_body(preferencelist=("plain",)).get_content()
                    if any(number in text for number in numbers):
                        found.append(text)
            return found

        def digest():
            # the scheduler runs it every minute; here it is asked for at once, again until it goes out
            digests.enqueue("permitto_notifications.jobs.send_daily_digests")
            found = sent_digests()
            return found or None

        try:
            found = wait_until(digest, timeout=30)
            assert found, "no digest went out"
            assert len(found) == 1, found  # one email for the sweep's two reminders
            assert all(number in found[0] for number in numbers), found[0]
            # each reminder is in exactly one digest: asking again sends nothing more
            digests.enqueue("permitto_notifications.jobs.send_daily_digests")
            time.sleep(2)
            assert len(sent_digests()) == 1
        finally:
            redis.close()
    finally:
        issuer.patch("/notifications/preferences", json={"dailyDigest": False})


def test_the_board_hears_every_change_on_site_wide_streams_only(api_of, ids, gateway, area):
    """The coordinators' live board: their stream also carries each permit's changes (no id, so their own
    replay is untouched); a receiver's and an issuer's streams carry none."""
    streams = {}
    for role in ("coordinator", "receiver.harbor", "issuer.downtown"):
        api = api_of(role)
        response = requests.get(f"{gateway}/api/v1/notifications/stream", stream=True, timeout=30,
                                headers={"Authorization": f"Bearer {api.token}", "X-Forwarded-For": api.ip})
        sink, stop = [], threading.Event()
        threading.Thread(target=read_events, args=(response, sink, stop), daemon=True).start()
        streams[role] = (response, sink, stop)
    permit = new_submitted(api_of, ids, area, title="Board")
    time.sleep(1)
    changed_at = time.perf_counter()
    api_of("issuer.downtown").post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})

    def board_events(role):
        return [e for e in streams[role][1]
                if e[1].get("event") == "board" and e[1]["data"]["permitId"] == permit["id"]]

    assert wait_until(lambda: [e for e in board_events("coordinator")
                               if e[1]["data"]["type"] == "PERMIT_ISSUER_APPROVED"], timeout=10)
    arrival, event = next(e for e in board_events("coordinator") if e[1]["data"]["type"] == "PERMIT_ISSUER_APPROVED")
    assert arrival - changed_at < 2.0
    assert "id" not in event
    assert event["data"]["status"] == "ISSUER_APPROVED"
    time.sleep(1)
    assert board_events("receiver.harbor") == []
    assert board_events("issuer.downtown") == []
    for response, _, stop in streams.values():
        stop.set()
        response.close()


def test_many_idle_streams_do_not_starve_other_requests(api_of, gateway):
    """Forty open live streams through the gateway (more than its OS threads) and ordinary calls still answer."""
    receiver = api_of("receiver.downtown")
    headers = {"Authorization": f"Bearer {receiver.token}", "X-Forwarded-For": receiver.ip}
    streams = [requests.get(f"{gateway}/api/v1/notifications/stream", headers=headers, stream=True, timeout=30)
               for _ in range(40)]
    try:
        assert all(s.status_code == 200 for s in streams)
        started = time.perf_counter()
        for _ in range(10):
            assert receiver.get("/notifications", params={"limit": 5}).status_code == 200
            assert receiver.get("/auth/me").status_code == 200
        assert (time.perf_counter() - started) / 20 < 0.5  # each call well under half a second
    finally:
        for stream in streams:
            stream.close()
