"""Delivery files checked without a Docker engine: Dockerfiles (hadolint), compose files (compose's own
validator), workflows (JSON schema), Railway configs, environment variables, and the process table."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devstack.processes import REQUIRED_ENV, SERVICES, processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCKERFILES = {s.name: ROOT / ("gateway" if s.name == "gateway" else f"services/{s.name}") / "Dockerfile"
               for s in SERVICES}
INFRA_SERVICES = {"postgres", "redis", "minio", "minio-setup", "mailpit", "keys"}


def tool(name):
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed (it comes with requirements-dev.txt)"
    return path


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_passes_hadolint(service):
    result = subprocess.run([tool("hadolint"), str(DOCKERFILES[service])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_production_stage_is_slim_non_root_and_healthy(service):
    text = DOCKERFILES[service].read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)
    production = next(s for s in stages if s.split("\n", 1)[0].strip().endswith("AS production"))
    assert "USER 1001" in production
    assert "HEALTHCHECK" in production
    assert "tests" not in production
    assert not re.search(r"apt-get install|gcc|build-essential", production)
    assert 'ENTRYPOINT ["permitto-entrypoint"]' in production
    assert "--mount=type=cache" in text
    assert " AS development" in text
    assert "PYTHONUNBUFFERED=1" in text


@pytest.mark.parametrize("compose", ["docker-compose.yml", "docker-compose.prod.yml"])
def test_compose_files_are_valid(compose):
    env = {**os.environ, "PERMITTO_ENV_FILE": ".env.example", "AUTH_DATABASE_URL": "x", "PERMITS_DATABASE_URL": "x",
           "FILES_DATABASE_URL": "x", "NOTIFICATIONS_DATABASE_URL": "x"}
    result = subprocess.run([tool("docker-compose"), "-f", compose, "config", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_workflows_match_the_github_schema():
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert {Path(w).name for w in workflows} >= {"ci.yml", "deploy-staging.yml", "deploy-production.yml"}
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for workflow in workflows:
        text = Path(workflow).read_text()
        assert "actions/checkout@v4" not in text
        assert "actions/setup-python@v5" not in text


def test_production_deploy_is_confirmed_backed_up_and_rolled_back():
    flow = yaml.safe_load((ROOT / ".github/workflows/deploy-production.yml").read_text())
    assert set(flow[True]) == {"workflow_dispatch"}  # yaml reads the key `on` as True
    jobs = flow["jobs"]
    assert jobs["backup"]["needs"] == "validate"
    assert jobs["deploy"]["needs"] == "backup"
    assert jobs["deploy"]["environment"] == "production"
    steps = " ".join(json.dumps(step) for step in jobs["deploy"]["steps"])
    assert "rollback" in steps
    assert "failure()" in steps
    backup = " ".join(json.dumps(step) for step in jobs["backup"]["steps"])
    assert "pg_dump --format=custom" in backup


def compose_services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_runs_the_processes_make_up_runs():
    services = compose_services()
    long_running = {name: spec for name, spec in services.items()
                    if name not in INFRA_SERVICES and not name.endswith("-migrate")}
    assert {name: spec["command"] for name, spec in long_running.items()} == {
        p.name: [p.mode] for p in processes()}
    migrations = {name.removesuffix("-migrate") for name in services if name.endswith("-migrate")}
    assert migrations == {s.name for s in SERVICES if s.database}
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"gateway", "mailpit", "minio"}


def _compose_env(spec):
    return set(spec.get("environment") or {})


@pytest.mark.parametrize("process", processes(), ids=lambda p: p.name)
def test_every_required_variable_is_set_in_compose(process):
    spec = compose_services()[process.name]
    missing = set(REQUIRED_ENV[process.service]) - _compose_env(spec)
    assert not missing, f"{process.name} lacks {sorted(missing)} in docker-compose.yml"


def test_every_required_variable_is_in_env_example_and_the_railway_docs():
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    railway_docs = (ROOT / "infra/railway/README.md").read_text()
    for service, names in REQUIRED_ENV.items():
        for name in names:
            assert name in example, f"{name} ({service}) is missing from .env.example"
            assert f"`{name}`" in railway_docs or name in railway_docs, f"{name} is missing from the Railway docs"


@pytest.mark.parametrize("process", processes(), ids=lambda p: p.name)
def test_railway_config_of_every_process(process):
    path = ROOT / "infra/railway" / f"{process.name}.json"
    config = json.loads(path.read_text())
    build, deploy = config["build"], config["deploy"]
    assert build["builder"] == "DOCKERFILE"
    dockerfile = ROOT / build["dockerfilePath"]
    assert dockerfile == DOCKERFILES[process.service], build["dockerfilePath"]
    assert dockerfile.exists()
    folder = str(dockerfile.parent.relative_to(ROOT))
    assert f"{folder}/**" in build["watchPatterns"]
    assert "libs/common/**" in build["watchPatterns"]
    assert deploy["startCommand"] == f"permitto-entrypoint {process.mode}"
    assert deploy["restartPolicyType"] in ("ON_FAILURE", "ALWAYS")
    assert isinstance(deploy["numReplicas"], int)
    if process.mode == "web":
        assert deploy["healthcheckPath"] == "/readyz"
        assert deploy["healthcheckTimeout"] > 0
        if process.service != "gateway":
            assert deploy["preDeployCommand"] == ["permitto-entrypoint migrate"]
    if process.mode == "scheduler":
        assert deploy["numReplicas"] == 1
    extra = {p.name for p in (ROOT / "infra/railway").glob("*.json")} - {f"{p.name}.json" for p in processes()}
    assert not extra, f"Railway configs for no process: {extra}"


@pytest.mark.parametrize("folder", ["services/auth", "services/permits", "services/files", "services/notifications",
                                    "gateway", "."])
def test_pinned_requirements_are_compiled_from_the_loose_ones(folder, tmp_path):
    """A dependency added to requirements.in but not compiled into requirements.txt is caught here."""
    name = "requirements-dev" if folder == "." else "requirements"
    pinned = ROOT / folder / f"{name}.txt"
    copy = tmp_path / f"{name}.txt"
    shutil.copy(pinned, copy)  # uv keeps the existing pins where they still satisfy the .in file
    result = subprocess.run([tool("uv"), "pip", "compile", f"{name}.in", "-o", str(copy), "-q", "--python-version",
                             "3.11", "--no-header", "--annotation-style", "line"], cwd=ROOT / folder,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

    def pins(path):
        return {line.split("#")[0].strip() for line in path.read_text().splitlines() if "==" in line}

    assert pins(copy) == pins(pinned), f"run `make lock`: {sorted(pins(copy) ^ pins(pinned))}"
    assert "--index-url" not in pinned.read_text()
