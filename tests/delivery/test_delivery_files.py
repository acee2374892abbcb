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
    # Railway's builder refuses a cache mount without its id=s/<service id>-…; images are built by CI's
    # buildx with a layer cache instead, so there is none (and a stale pip cache never reaches an image).
    assert not re.search(r"--mount=type=cache(?![^\n]*\bid=s/)", text)
    assert "ARG VERSION" in production
    assert "PERMITTO_VERSION=${VERSION}" in production
    assert " AS development" in text
    assert "PYTHONUNBUFFERED=1" in text


@pytest.mark.parametrize("compose", [["docker-compose.yml"], ["docker-compose.prod.yml"],
                                     ["docker-compose.yml", "docker-compose.ci.yml"]], ids=" + ".join)
def test_compose_files_are_valid(compose, tmp_path):
    for example in (ROOT / "infra/env").glob("*.env.example"):
        shutil.copy(example, tmp_path / example.name.removesuffix(".example"))
    env = {**os.environ, "PERMITTO_IMAGE_PREFIX": "ghcr.io/acme/permitto", "PERMITTO_IMAGE_TAG": "0123abc",
           "PERMITTO_ENV_DIR": str(tmp_path)}
    files = [arg for name in compose for arg in ("-f", name)]
    result = subprocess.run([tool("docker-compose"), *files, "config", "-q"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _names(path: Path) -> set[str]:
    return {line.split("=", 1)[0] for line in path.read_text().splitlines() if "=" in line and not line.startswith("#")}


SECRETS_OF = {"auth": {"JWT_PRIVATE_KEY"}, "permits": {"VERIFY_LINK_SECRET"},
              "files": {"R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"},
              "notifications": {"RESEND_API_KEY", "VAPID_PRIVATE_KEY"}, "gateway": set()}


def test_production_compose_gives_each_container_only_its_own_service_secrets():
    prod = yaml.safe_load((ROOT / "docker-compose.prod.yml").read_text())["services"]
    shared = _names(ROOT / "infra/env/shared.env.example")
    for name, spec in prod.items():
        service = name.split("-")[0]
        assert spec["env_file"] == ["${PERMITTO_ENV_DIR:-env}/shared.env", f"${{PERMITTO_ENV_DIR:-env}}/{service}.env"]
        own = _names(ROOT / f"infra/env/{service}.env.example")
        missing = set(REQUIRED_ENV[service]) - shared - own
        assert not missing, f"{name} would lack {sorted(missing)}"
        for other, secrets in SECRETS_OF.items():
            if other != service:
                assert not secrets & own, f"{service}.env holds {other}'s secrets"
        assert ("DATABASE_URL" in own) == (service != "gateway")
    assert not set().union(*SECRETS_OF.values()) & shared
    assert "DATABASE_URL" not in shared
    gateway = prod["gateway"]["depends_on"]
    assert all(gateway[s] == {"condition": "service_healthy"} for s in ("auth", "permits", "files", "notifications"))


def test_ci_compose_runs_every_process_from_the_built_images_with_no_source_mounted():
    env = {**os.environ, "PERMITTO_IMAGE_PREFIX": "ghcr.io/acme/permitto", "PERMITTO_IMAGE_TAG": "0123abc"}
    result = subprocess.run([tool("docker-compose"), "-f", "docker-compose.yml", "-f", "docker-compose.ci.yml",
                             "config", "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    ours = {name: spec for name, spec in services.items() if name not in INFRA_SERVICES - {"keys"}}
    for name, spec in ours.items():
        image = {"keys": "auth"}.get(name, name.split("-")[0])
        assert spec["image"] == f"ghcr.io/acme/permitto-{image}:0123abc", name
        assert "build" not in spec, name
        assert [v["source"] for v in spec.get("volumes", [])] == ["keys"], name  # no source code mounted


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
    """Railway runs the images CI built (by digest); each service's settings are code here, applied by the
    deploy script with every deploy. No service builds from the repository, so none autodeploys on push."""
    path = ROOT / "infra/railway" / f"{process.name}.json"
    config = json.loads(path.read_text())
    assert "build" not in config  # an image service: Railway neither builds nor watches the repository
    deploy = config["deploy"]
    assert deploy["startCommand"] == f"permitto-entrypoint {process.mode}"
    assert deploy["restartPolicyType"] in ("ON_FAILURE", "ALWAYS")
    assert isinstance(deploy["numReplicas"], int)
    if process.mode == "web":
        assert deploy["healthcheckPath"] == "/healthz"  # liveness, which a Redis outage does not fail
        assert deploy["healthcheckTimeout"] > 0
        if process.service != "gateway":
            assert deploy["preDeployCommand"] == ["permitto-entrypoint migrate"]
    else:
        assert "preDeployCommand" not in deploy  # a worker never migrates; its web service did, first
    if process.mode == "scheduler":
        assert deploy["numReplicas"] == 1
    extra = {p.name for p in (ROOT / "infra/railway").glob("*.json")} - {f"{p.name}.json" for p in processes()}
    assert not extra, f"Railway configs for no process: {extra}"
    from importlib.util import module_from_spec, spec_from_file_location

    loaded = spec_from_file_location("railway_deploy", ROOT / "infra/scripts/railway_deploy.py")
    assert loaded is not None
    assert loaded.loader is not None
    script = module_from_spec(loaded)
    loaded.loader.exec_module(script)
    assert f"permitto-{process.name}" in {name for name, _ in script.SERVICES}


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rules: the last pattern that matches a path or one of its parents decides."""
    verdict = False
    parts = path.split("/")
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.removeprefix("!").rstrip("/")
        regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            verdict = not negate
    return verdict


def test_the_build_context_holds_what_images_copy_and_nothing_a_local_build_left():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for dockerfile in DOCKERFILES.values():
        for source in re.findall(r"^COPY (?:--\S+ )*(\S+) ", dockerfile.read_text(), re.M):
            if source.startswith("/") or "--from" in source:
                continue
            found = [str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*") if p.is_file()] or [source]
            assert any(not _ignored(f, patterns) for f in found), f"{dockerfile}: {source} is outside the context"
    for leftover in ("libs/common/build/lib/permitto_common/only_here.py",
                     "libs/common/permitto_common.egg-info/PKG-INFO", "web/node_modules/preact/package.json",
                     "web/dist/index.html", "services/permits/tests/conftest.py", "gateway/build/lib/x.py", ".env",
                     "var/keys/jwt-private.pem"):
        assert _ignored(leftover, patterns), f"{leftover} would reach an image"


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


def test_no_deployment_file_sets_the_tests_light_password_hashing():
    """PASSWORD_HASHING is the test suite's (permitto_auth.passwords): every deployment hashes with the
    standard profile, which is what a file that does not name the variable gets."""
    files = [ROOT / name for name in ("docker-compose.yml", "docker-compose.prod.yml", "docker-compose.ci.yml",
                                      ".env.example")]
    files += sorted((ROOT / "infra").rglob("*.json")) + sorted((ROOT / "infra").rglob("*.env.example"))
    files += sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    files += sorted(ROOT.glob("*/Dockerfile")) + sorted(ROOT.glob("services/*/Dockerfile"))
    assert len(files) > 10
    setting = [str(path.relative_to(ROOT)) for path in files if "PASSWORD_HASHING" in path.read_text()]
    assert not setting, f"{setting} set PASSWORD_HASHING: deployments hash with the standard profile"
