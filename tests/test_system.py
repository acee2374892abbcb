"""The foundation, end to end: every process up, the gateway routing, failing and recovering."""

import json
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import requests
from redis import Redis
from rq import Worker

from devstack.processes import SERVICES


def test_readyz_shows_every_component_ready(http, gateway):
    response = http.get(f"{gateway}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    checks = response.json()["data"]["checks"]
    assert set(checks) == {"redis", "auth", "permits", "files", "notifications"}
    assert all(check["ok"] for check in checks.values())


def test_unknown_api_route_is_a_404_envelope(http, gateway):
    response = http.get(f"{gateway}/api/v1/nope", timeout=10)
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "NOT_FOUND"


def test_errors_are_json_never_html(http, gateway):
    for method, path in [("GET", "/api/v1/auth/nope"), ("DELETE", "/readyz"), ("GET", "/favicon.ico")]:
        response = http.request(method, gateway + path, timeout=10)
        assert response.status_code >= 400
        assert response.headers["Content-Type"].startswith("application/json"), (method, path)
        assert response.json()["success"] is False


def test_request_id_travels_to_the_service_and_its_logs(http, gateway, system):
    request_id = f"system-test-{time.time_ns()}"
    response = http.post(f"{gateway}/api/v1/auth/login", json={}, headers={"X-Request-ID": request_id}, timeout=10)
    assert response.status_code == 422
    assert response.headers["X-Request-ID"] == request_id
    assert response.json()["error"]["requestId"] == request_id

    def logged(name):
        lines = (system.var_dir / "log" / f"{name}.log").read_text().splitlines()
        return [json.loads(line) for line in lines if request_id in line]

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (logged("auth") and logged("gateway")):
        time.sleep(0.1)
    for name in ("auth", "gateway"):
        entries = logged(name)
        assert entries, f"{name} did not log the request"
        assert entries[0]["request_id"] == request_id
        assert entries[0]["service"] == name


def test_a_stopped_service_is_a_503_and_recovers(http, gateway, system, tokens):
    http.headers["Authorization"] = f"Bearer {tokens['receiver.downtown']}"
    system.stop_process("permits")
    try:
        response = http.get(f"{gateway}/api/v1/permits", timeout=10)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "permits" in response.json()["error"]["message"]

        ready = http.get(f"{gateway}/readyz", timeout=10)
        assert ready.status_code == 503
        assert "permits" in ready.json()["error"]["message"]
        assert ready.json()["data"]["checks"]["auth"]["ok"] is True
    finally:
        system.restart_process("permits")
    system.wait_ready(["permits", "gateway"], timeout=60)
    assert http.get(f"{gateway}/readyz", timeout=10).status_code == 200
    # permits answers again through the gateway (its own 404 envelope, not the gateway's 503)
    assert http.get(f"{gateway}/api/v1/permits/none", timeout=10).status_code == 404


def test_demo_logins_are_written_for_scripts(system):
    users = json.loads((system.var_dir / "demo-users.json").read_text())
    assert {user["role"] for user in users} == {"SUPER_ADMIN", "COORDINATOR", "ISSUER", "RECEIVER"}
    assert all(user["email"] and user["password"] for user in users)


def test_mail_catcher_keeps_every_message(system):
    message = EmailMessage()
    message["From"] = "noreply@permitto.example"
    recipient = f"someone.{time.time_ns()}@permitto.example"
    message["To"] = recipient
    message["Subject"] = "Invitation to Permitto ✓"
    message.set_content("Set your password: http://localhost:8000/reset?token=abc")
    with smtplib.SMTP("127.0.0.1", system.ports["smtp"], timeout=10) as smtp:
        smtp.send_message(message)
    mail_dir = Path(system.endpoints.mail_dir)
    files = [f for f in mail_dir.glob("*.eml") if recipient in f.read_text()]
    assert len(files) == 1
    text = files[0].read_text()
    assert f"X-Envelope-To: {recipient}" in text
    assert "Set your password" in text


def test_workers_and_scheduler_are_running(system):
    redis = Redis.from_url(system.endpoints.redis_url)
    try:
        deadline = time.monotonic() + 20
        names: set[str] = set()
        while time.monotonic() < deadline:
            names = {worker.name.split("-")[0] for worker in Worker.all(connection=redis)}
            heartbeat = redis.get("permitto:scheduler:permits:heartbeat")
            if {s.name for s in SERVICES if s.worker} <= names and heartbeat:
                break
            time.sleep(0.2)
        assert {s.name for s in SERVICES if s.worker} <= names
        assert time.time() - float(redis.get("permitto:scheduler:permits:heartbeat")) < 10
    finally:
        redis.close()


def test_a_second_make_up_is_refused_and_busy_ports_are_named(tmp_path, system):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from devstack.up import take_lock; from pathlib import Path;"
         " held = take_lock(Path(sys.argv[1])); print('locked', flush=True); time.sleep(30)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = subprocess.run(
            [sys.executable, "-c", "import sys; from devstack.up import take_lock; from pathlib import Path;"
             " take_lock(Path(sys.argv[1]))", str(tmp_path)],
            capture_output=True, text=True, timeout=30,
        )
        assert second.returncode != 0
        assert "already running" in second.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()

    busy = subprocess.run(
        [sys.executable, "-c",
         f"from devstack.up import check_ports; check_ports({{'gateway': {system.ports['gateway']}}})"],
        capture_output=True, text=True, timeout=30,
    )
    assert busy.returncode != 0
    assert f"port {system.ports['gateway']} (gateway) is in use" in busy.stderr
    assert "PERMITTO_GATEWAY_PORT" in busy.stderr


def test_metrics_of_gateway_and_services_for_the_scraper(http, gateway, system):
    http.get(f"{gateway}/api/v1/nope", timeout=10)
    assert http.get(f"{gateway}/metrics", timeout=10).status_code == 403
    token = {"X-Internal-Token": system.endpoints.internal_token}
    text = http.get(f"{gateway}/metrics", headers=token, timeout=10).text
    assert 'permitto_http_requests_total{endpoint="/api/v1/<path:subpath>",method="GET",service="gateway",' \
           'status="404"}' in text
    for service in ("auth", "permits", "files", "notifications"):
        http.get(f"http://127.0.0.1:{system.ports[service]}/api/v1/nope", timeout=10)  # one observed request
        answer = http.get(f"http://127.0.0.1:{system.ports[service]}/metrics", headers=token, timeout=10)
        assert answer.status_code == 200, service
        assert "permitto_http_request_duration_seconds" in answer.text


def test_every_link_make_up_prints_answers(system):
    import re

    from devstack.up import banner

    text = banner(system, 1.0)
    links = re.findall(r"http://localhost:\d+[^\s)]*", text)
    assert any(link.endswith("/api/v1/docs") for link in links)
    for link in links:
        response = requests.get(link.replace("localhost", "127.0.0.1"), timeout=10)
        assert response.status_code == 200, link


def test_a_body_the_service_never_read_does_not_break_the_next_request_on_that_connection(system, tokens):
    """A role check refuses a 300 KB POST before reading its body; the connection must still carry the
    next request (the gateway reuses pooled connections: a dropped one was a 502 for the next caller)."""
    import http.client

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['admin']}"}
    body = json.dumps({"permitId": "00000000-0000-0000-0000-000000000000", "imageBase64": "x" * 300_000})
    connection = http.client.HTTPConnection("127.0.0.1", system.ports["files"], timeout=10)
    try:
        for _ in range(3):
            connection.request("POST", "/api/v1/files/signatures", body, headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 403
    finally:
        connection.close()
