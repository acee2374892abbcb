"""The deploy script (infra/scripts/railway_deploy.py) against a local stand-in of Railway's public GraphQL
API (the operations it documents: projectToken, project services, serviceInstance, serviceInstanceUpdate,
serviceInstanceDeployV2, deployment, deploymentRollback, variables) and a stand-in gateway whose /readyz
reports the version each service's live image runs. Proved: the order (a web service before its
workers), the gate waiting for the new version, and the rollback to the images that ran before when a
deployment fails or the gate never opens; run as CI runs it, a process with only its environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "scripts" / "railway_deploy.py"
TOKEN = "project-token-for-production"
NAMES = ["permitto-auth", "permitto-permits", "permitto-permits-worker", "permitto-permits-scheduler",
         "permitto-files", "permitto-files-worker", "permitto-notifications", "permitto-notifications-worker",
         "permitto-gateway"]
WEB = {"auth", "permits", "files", "notifications"}


def image(kind: str, version: str) -> str:
    return f"ghcr.io/acme/permitto-{kind}@sha256:{version * 8}"[:80]


def kind_of(name: str) -> str:
    return name.removeprefix("permitto-").split("-")[0]


class Railway:
    """What the stand-in knows: services, their live images, deployments and their outcomes."""

    def __init__(self, version: str) -> None:
        self.version_of: dict[str, str] = {}
        self.deployments: dict[str, dict[str, Any]] = {}
        self.services = {name: {"id": f"svc-{n}", "image": None, "latest": None} for n, name in enumerate(NAMES)}
        for name in NAMES:
            self._deploy(name, image(kind_of(name), version), version)
        self.calls: list[str] = []
        self.settings: dict[str, dict[str, Any]] = {}
        self.failing_images: set[str] = set()
        self.unready_versions: set[str] = set()

    def _deploy(self, name: str, ref: str, version: str | None = None) -> str:
        number = f"dep-{len(self.deployments) + 1}"
        if version:
            self.version_of[ref] = version
        status = "FAILED" if ref in getattr(self, "failing_images", set()) else "SUCCESS"
        self.deployments[number] = {"service": name, "image": ref, "status": status}
        if status == "SUCCESS":
            self.services[name]["image"] = ref
        self.services[name]["latest"] = number
        return number

    def by_id(self, service_id: str) -> str:
        return next(name for name, s in self.services.items() if s["id"] == service_id)

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "projectToken" in query:
            return {"projectToken": {"projectId": "proj-1", "environmentId": "env-prod"}}
        if "services {" in query:
            assert variables["id"] == "proj-1"
            return {"project": {"services": {"edges": [{"node": {"id": s["id"], "name": n}}
                                                       for n, s in self.services.items()]}}}
        if "serviceInstanceUpdate" in query:
            assert variables["environment"] == "env-prod"
            name = self.by_id(variables["service"])
            self.calls.append(f"update {name}")
            self.services[name]["pending"] = variables["input"]["source"]["image"]
            self.settings[name] = {k: v for k, v in variables["input"].items() if k != "source"}
            return {"serviceInstanceUpdate": True}
        if "serviceInstanceDeployV2" in query:
            name = self.by_id(variables["service"])
            self.calls.append(f"deploy {name}")
            return {"serviceInstanceDeployV2": self._deploy(name, self.services[name].pop("pending"))}
        if "serviceInstance(" in query:
            s = self.services[self.by_id(variables["service"])]
            latest = self.deployments[s["latest"]]
            return {"serviceInstance": {"source": {"image": s["image"]},
                                        "latestDeployment": {"id": s["latest"], "status": latest["status"]}}}
        if "deploymentRollback" in query:
            previous = self.deployments[variables["id"]]
            self.calls.append(f"rollback {previous['service']}")
            self._deploy(previous["service"], previous["image"])
            return {"deploymentRollback": True}
        if "deployment(id" in query:
            return {"deployment": {"id": variables["id"], "status": self.deployments[variables["id"]]["status"]}}
        if "variables(" in query:
            return {"variables": {"DATABASE_PUBLIC_URL": f"postgresql://u:p@proxy.rlwy.net:4242/{variables['service']}"}}
        raise AssertionError(f"the stand-in does not know this operation: {query}")

    def readyz(self) -> tuple[int, dict[str, Any]]:
        checks = {}
        for name in NAMES:
            kind = kind_of(name)
            if kind in WEB and name == f"permitto-{kind}":
                version = self.version_of[self.services[name]["image"]]
                checks[kind] = {"ok": version not in self.unready_versions, "version": version}
        gateway_version = self.version_of[self.services["permitto-gateway"]["image"]]
        ready = all(c["ok"] for c in checks.values())
        return (200 if ready else 503), {"success": ready, "data": {"version": gateway_version, "checks": checks}}


@pytest.fixture
def railway():
    state = Railway("a1b2c3d")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # the GraphQL endpoint
            if self.headers.get("Project-Access-Token") != TOKEN:
                self._send(200, {"errors": [{"message": "Not Authorized"}]})
                return
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self._send(200, {"data": state.answer(request["query"], request.get("variables") or {})})

        def do_GET(self) -> None:  # the gateway's /readyz
            self._send(*state.readyz())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield state
    server.shutdown()
    server.server_close()


def run(railway: Railway, tmp_path: Path, version: str, *args: str,
        token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    images = {kind: image(kind, version) for kind in ("auth", "permits", "files", "notifications", "gateway")}
    for ref in images.values():
        railway.version_of[ref] = version
    (tmp_path / "images.json").write_text(json.dumps(images))
    env = {"PATH": os.environ["PATH"], "RAILWAY_API_URL": railway.url + "/graphql/v2",  # type: ignore[attr-defined]
           "RAILWAY_TOKEN": token, "DEPLOY_POLL_SECONDS": "0.01"}
    return subprocess.run([sys.executable, str(SCRIPT), *(args or ("deploy", "--images", str(tmp_path / "images.json"),
                                                                   "--version", version, "--url", railway.url,  # type: ignore[attr-defined]
                                                                   "--timeout", "2"))],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def live_images(railway: Railway) -> dict[str, str]:
    return {name: s["image"] for name, s in railway.services.items()}


def test_a_deploy_goes_web_service_first_then_its_workers_and_waits_for_the_new_version(railway, tmp_path):
    done = run(railway, tmp_path, "e5f6a7b")
    assert done.returncode == 0, done.stdout + done.stderr
    deploys = [c.split()[1] for c in railway.calls if c.startswith("deploy")]
    assert deploys == NAMES  # permits before its worker and scheduler; the gateway last
    assert set(live_images(railway).values()) == {image(k, "e5f6a7b") for k in ("auth", "permits", "files",
                                                                                 "notifications", "gateway")}
    assert "ready: every service runs e5f6a7b" in done.stdout
    # the settings as code (infra/railway/*.json) go with each deploy: an image service reads no repository
    web, worker = railway.settings["permitto-permits"], railway.settings["permitto-permits-worker"]
    assert web["preDeployCommand"] == ["permitto-entrypoint migrate"]
    assert web["healthcheckPath"] == "/healthz"  # liveness: a Redis outage blocks no deploy or rollback
    assert worker["startCommand"] == "permitto-entrypoint worker"
    assert "preDeployCommand" not in worker


def test_a_failed_deployment_rolls_back_what_changed_to_the_images_that_ran_before(railway, tmp_path):
    before = live_images(railway)
    railway.failing_images.add(image("permits", "bad0bad"))  # its pre-deploy migration fails, say
    failed = run(railway, tmp_path, "bad0bad")
    assert failed.returncode == 1
    assert "permitto-permits: the deployment ended FAILED" in failed.stdout
    assert [c for c in railway.calls if c.startswith("rollback")] == ["rollback permitto-permits",
                                                                      "rollback permitto-auth"]
    assert live_images(railway) == before
    assert "permitto-permits-worker" not in " ".join(railway.calls)  # no worker ran the new code


def test_a_gate_that_never_opens_rolls_everything_back(railway, tmp_path):
    before = live_images(railway)
    railway.unready_versions.add("c0ffee1")  # every deployment "succeeds", but the services never get ready
    failed = run(railway, tmp_path, "c0ffee1")
    assert failed.returncode == 1
    assert "not ready on c0ffee1" in failed.stdout
    assert len([c for c in railway.calls if c.startswith("rollback")]) == len(NAMES)
    assert live_images(railway) == before
    gate = run(railway, tmp_path, "a1b2c3d", "gate", "--version", "a1b2c3d", "--url", railway.url, "--timeout", "2")
    assert gate.returncode == 0, gate.stdout + gate.stderr  # the old version answers again


def test_the_script_says_what_is_wrong_without_a_token_or_with_a_wrong_one(railway, tmp_path):
    missing = run(railway, tmp_path, "e5f6a7b", token="")
    assert missing.returncode == 2
    assert "RAILWAY_TOKEN is not set" in missing.stderr
    wrong = run(railway, tmp_path, "e5f6a7b", token="someone-elses")
    assert wrong.returncode == 2
    assert "Not Authorized" in wrong.stderr
    assert railway.calls == []


def test_the_backup_reads_the_public_database_url(railway, tmp_path):
    found = run(railway, tmp_path, "e5f6a7b", "database-url", "--service", "permitto-permits")
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip().startswith("postgresql://u:p@proxy.rlwy.net:4242/")
