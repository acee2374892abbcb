"""Deploy one set of images (built and tested once by CI) to a Railway environment, gate on the new
version answering with its migrations applied, and roll back to what ran before when anything fails.

    python infra/scripts/railway_deploy.py deploy --images images.json --version <commit> --url https://<gateway>
    python infra/scripts/railway_deploy.py gate --version <commit> --url https://<gateway>
    python infra/scripts/railway_deploy.py database-url --service permitto-permits   (the public URL, for backups)

images.json maps each image to its digest reference: {"auth": "ghcr.io/o/permitto-auth@sha256:…", …}.
The token is a Railway *project* token (`RAILWAY_TOKEN`, header Project-Access-Token): it reaches one
project and one environment, and it names both, so nothing else needs configuring. It speaks Railway's
public GraphQL API (RAILWAY_API_URL overrides the address: the tests run it against a local stand-in).

The order is that of the table below: a web service first (Railway runs its migration, the
preDeployCommand, before the new deployment goes live), then the workers of the same image, so no worker
runs new code against an old schema; the gateway last. Only the standard library: the deploy job needs
nothing installed."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

API = os.environ.get("RAILWAY_API_URL", "https://backboard.railway.com/graphql/v2")
# (Railway service, image): in deploy order.
SERVICES: list[tuple[str, str]] = [
    ("permitto-auth", "auth"),
    ("permitto-permits", "permits"), ("permitto-permits-worker", "permits"), ("permitto-permits-scheduler", "permits"),
    ("permitto-files", "files"), ("permitto-files-worker", "files"),
    ("permitto-notifications", "notifications"), ("permitto-notifications-worker", "notifications"),
    ("permitto-gateway", "gateway"),
]
DONE = {"SUCCESS"}
FAILED = {"FAILED", "CRASHED", "REMOVED", "SKIPPED"}
POLL_SECONDS = float(os.environ.get("DEPLOY_POLL_SECONDS", "10"))
CONFIG = Path(__file__).resolve().parents[1] / "railway"  # each service's settings, as code
SETTINGS = ("startCommand", "healthcheckPath", "healthcheckTimeout", "restartPolicyType", "restartPolicyMaxRetries",
            "numReplicas", "preDeployCommand")


def settings_of(name: str) -> dict[str, Any]:
    """A service's deploy settings from infra/railway/<name>.json, applied with every deploy (an image
    service reads no config file from a repository, so the deploy carries them)."""
    deploy: dict[str, Any] = json.loads((CONFIG / f"{name.removeprefix('permitto-')}.json").read_text())["deploy"]
    return {key: deploy[key] for key in SETTINGS if key in deploy}


class DeployError(RuntimeError):
    pass


def log(message: str) -> None:
    print(message, flush=True)


def graphql(query: str, **variables: Any) -> dict[str, Any]:
    token = os.environ.get("RAILWAY_TOKEN")
    if not token:
        raise DeployError("RAILWAY_TOKEN is not set: give the job the environment's Railway project token")
    request = urllib.request.Request(  # noqa: S310 (the API's https address, or the tests' stand-in)
        API, data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Project-Access-Token": token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the API's https address)
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DeployError(f"Railway API answered {exc.code}: {exc.read()[:300]!r}") from None
    if body.get("errors"):
        raise DeployError(f"Railway API error: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def scope() -> tuple[str, str]:
    """The project and environment the token belongs to."""
    found = graphql("query { projectToken { projectId environmentId } }")["projectToken"]
    return found["projectId"], found["environmentId"]


def service_ids(project_id: str) -> dict[str, str]:
    data = graphql("query($id: String!) { project(id: $id) { services { edges { node { id name } } } } }",
                   id=project_id)
    ids = {edge["node"]["name"]: edge["node"]["id"] for edge in data["project"]["services"]["edges"]}
    missing = [name for name, _ in SERVICES if name not in ids]
    if missing:
        raise DeployError(f"the Railway project has no service named {', '.join(missing)} (infra/railway/README.md)")
    return ids


def live_deployment(service_id: str, environment_id: str) -> dict[str, Any] | None:
    data = graphql("""query($service: String!, $environment: String!) {
        serviceInstance(serviceId: $service, environmentId: $environment) {
          source { image } latestDeployment { id status } } }""", service=service_id, environment=environment_id)
    instance: dict[str, Any] = data["serviceInstance"]
    latest = instance.get("latestDeployment")
    return {"deployment": latest["id"], "status": latest["status"], "image": (instance.get("source") or {}).get("image")
            } if latest else None


def wait_for(deployment_id: str, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = graphql("query($id: String!) { deployment(id: $id) { id status } }", id=deployment_id)
        status = found["deployment"]["status"]
        if status in DONE:
            log(f"  {what}: {status}")
            return
        if status in FAILED:
            raise DeployError(f"{what}: the deployment ended {status} (its pre-deploy migration or health check)")
        if time.monotonic() >= deadline:
            raise DeployError(f"{what}: still {status} after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def deploy_image(service_id: str, environment_id: str, image: str, what: str, timeout: float,
                 settings: dict[str, Any]) -> None:
    graphql("""mutation($service: String!, $environment: String!, $input: ServiceInstanceUpdateInput!) {
        serviceInstanceUpdate(serviceId: $service, environmentId: $environment, input: $input) }""",
            service=service_id, environment=environment_id, input={"source": {"image": image}, **settings})
    deployment = graphql("""mutation($service: String!, $environment: String!) {
        serviceInstanceDeployV2(serviceId: $service, environmentId: $environment) }""",
                         service=service_id, environment=environment_id)["serviceInstanceDeployV2"]
    log(f"  {what}: deploying {image} ({deployment})")
    wait_for(deployment, what, timeout)


def readiness(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/readyz", timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read())
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return 0, {"error": str(exc)}


def versions_of(body: dict[str, Any]) -> dict[str, str]:
    data = body.get("data") or {}
    found = {"gateway": str(data.get("version"))}
    for name, check in (data.get("checks") or {}).items():
        if isinstance(check, dict) and "version" in check:
            found[name] = str(check["version"])
    return found


def gate(url: str, version: str, timeout: float) -> None:
    """Wait until the gateway and every service it checks answer ready, all running `version` (each web
    service is ready only with its migrations at the code's head)."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = readiness(url)
        versions = versions_of(body)
        if status == 200 and len(versions) > 1 and set(versions.values()) == {version}:
            log(f"ready: every service runs {version}")
            return
        if time.monotonic() >= deadline:
            raise DeployError(f"not ready on {version} after {timeout:.0f} s: /readyz answered {status}, versions "
                              f"{versions}; {json.dumps(body.get('error') or {})[:300]}")
        log(f"waiting: /readyz {status}, versions {versions}")
        time.sleep(POLL_SECONDS)


def rollback(environment_id: str, ids: dict[str, str], before: dict[str, dict[str, Any] | None],
             changed: list[str], timeout: float) -> None:
    """Back to what ran before: each changed service's last deployment is redeployed (deploymentRollback
    brings back its image and variables), in reverse order."""
    for name in reversed(changed):
        previous = before.get(name)
        if not previous:
            log(f"  {name}: nothing ran before; left as it is")
            continue
        graphql("mutation($id: String!) { deploymentRollback(id: $id) }", id=previous["deployment"])
        latest = live_deployment(ids[name], environment_id)
        if latest:
            wait_for(latest["deployment"], f"{name} rolled back", timeout)


def deploy(images: dict[str, str], version: str, url: str, timeout: float) -> int:
    missing = sorted({image for _, image in SERVICES} - set(images))
    if missing:
        raise DeployError(f"images.json names no image for {', '.join(missing)}")
    project_id, environment_id = scope()
    ids = service_ids(project_id)
    before = {name: live_deployment(ids[name], environment_id) for name, _ in SERVICES}
    log("before: " + json.dumps({n: (b or {}).get("image") for n, b in before.items()}))
    changed: list[str] = []
    try:
        for name, image in SERVICES:
            changed.append(name)
            deploy_image(ids[name], environment_id, images[image], name, timeout, settings_of(name))
        gate(url, version, timeout)
        return 0
    except DeployError as exc:
        log(f"DEPLOY FAILED: {exc}\nrolling back {', '.join(reversed(changed))}")
        rollback(environment_id, ids, before, changed, timeout)
        previous = {b["image"] for b in before.values() if b and b.get("image")}
        log(f"rolled back to {sorted(previous)}")
        return 1


def database_url(service: str) -> str:
    """The public connection string of the database a service uses (the backup runs outside Railway's
    private network, so the private DATABASE_URL is of no use there)."""
    project_id, environment_id = scope()
    ids = service_ids(project_id)
    data = graphql("""query($project: String!, $environment: String!, $service: String!) {
        variables(projectId: $project, environmentId: $environment, serviceId: $service) }""",
                   project=project_id, environment=environment_id, service=ids[service])
    found: dict[str, str] = data["variables"]
    url = found.get("DATABASE_PUBLIC_URL")
    if not url:
        raise DeployError(f"{service} has no DATABASE_PUBLIC_URL variable: set it to ${{{{pg-….DATABASE_PUBLIC_URL}}}}")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("deploy")
    run.add_argument("--images", required=True)
    run.add_argument("--version", required=True)
    run.add_argument("--url", required=True, help="the gateway's public address")
    run.add_argument("--timeout", type=float, default=600)
    wait = sub.add_parser("gate")
    wait.add_argument("--version", required=True)
    wait.add_argument("--url", required=True)
    wait.add_argument("--timeout", type=float, default=300)
    db = sub.add_parser("database-url")
    db.add_argument("--service", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            with open(args.images, encoding="utf-8") as handle:
                return deploy(json.load(handle), args.version, args.url, args.timeout)
        if args.command == "gate":
            gate(args.url, args.version, args.timeout)
            return 0
        print(database_url(args.service))
        return 0
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
