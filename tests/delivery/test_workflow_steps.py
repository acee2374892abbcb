"""Each workflow's shell steps run as GitHub runs them: the expressions put in first, the environment the
job would give (workflow, job and step env; secrets and variables set; what GitHub leaves unset left
unset), `bash -e` (GitHub's default shell, with -o pipefail where a step asks for bash), and the tools
the runner has (docker, gh, aws, gpg, git, python) as stand-ins that record what they were asked. A step
that exits non-zero where it should pass (a grep that finds nothing under bash -e, an unset variable)
fails here; a step that should refuse (no confirmation, a commit not on main) is shown to refuse."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
SHA = "0123456789abcdef0123456789abcdef01234567"
STUBS = {
    # docker: digests, a PostgreSQL 15 server, a dump with entries; everything else succeeds quietly
    "docker": r'''
case "$*" in
  *"imagetools inspect"*) echo '"sha256:aaaaaaaa"' ;;
  *"SHOW server_version_num"*) echo 150007 ;;
  *"pg_dump"*) printf 'PGDMP-data' ;;
  *"pg_restore --list"*) for i in 1 2 3 4 5 6 7; do echo "$i; entry"; done ;;
  *"inspect --format"*) echo "ghcr.io/acme/permitto-x@sha256:bbbbbbbb" ;;
esac''',
    "gh": 'echo 1',
    "aws": 'exit 0',
    "gpg": r'''out=""; while [ $# -gt 0 ]; do [ "$1" = "--output" ] && out="$2"; shift; done
cat <&3 > /dev/null; : > "$out"''',
    "git": 'exit 0',
    "make": 'exit 0',
    "python": 'exit 0',
    "python3": r'''case "$*" in *database-url*) echo "postgresql://u:p@proxy.rlwy.net:4242/railway" ;; esac''',
}


def expressions(job: str, inputs: dict[str, str]) -> dict[str, str]:
    """What GitHub would put in for each expression the workflows use (an unknown one fails the test)."""
    return {
        "github.sha": SHA, "github.actor": "octocat", "github.token": "ghs_token", "github.event_name": "push",
        "github.event.workflow_run.head_sha": SHA, "github.event.workflow_run.conclusion": "success",
        "github.event.workflow_run.event": "push", "github.workflow": "CI", "github.ref": "refs/heads/main",
        "env.PYTHON_VERSION": "3.11", "env.REGISTRY": "ghcr.io", "env.PUSH": "true",
        "github.event_name == 'push' && 'true' || 'false'": "true",
        "env.PERMITTO_IMAGE_PREFIX": "ghcr.io/acme/permitto/permitto", "matrix.service": "permits",
        "inputs.version": inputs.get("version", SHA), "inputs.confirm": inputs.get("confirm", "deploy"),
        **{f"secrets.{name}": f"secret-{name.lower()}" for name in (
            "GITHUB_TOKEN", "RAILWAY_TOKEN", "BACKUP_PASSPHRASE", "BACKUP_ACCESS_KEY_ID", "BACKUP_SECRET_ACCESS_KEY")},
        **{f"vars.{name}": value for name, value in (
            ("GATEWAY_URL", "https://permitto.example"), ("STAGING_GATEWAY_URL", "https://staging.permitto.example"),
            ("BACKUP_BUCKET", "permitto-backups"), ("BACKUP_ENDPOINT", "https://acct.r2.cloudflarestorage.com"))},
    }


def fill(text: str, known: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        assert expression in known, f"the harness does not know ${{{{ {expression} }}}}: add what GitHub gives"
        return known[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


def run_steps(workflow: str, job: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """(job, name, the step as GitHub would run it: script and environment) for every run step."""
    spec = yaml.safe_load((WORKFLOWS / workflow).read_text())
    found = []
    for job_name, job_spec in spec["jobs"].items():
        if job and job_name != job:
            continue
        for step in job_spec.get("steps", []):
            if "run" in step:
                env = {**spec.get("env", {}), **job_spec.get("env", {}), **step.get("env", {})}
                found.append((job_name, step.get("name", step["run"][:40]), {"run": step["run"], **{
                    f"env:{k}": str(v) for k, v in env.items()}, "shell": step.get("shell", "")}))
    return found


@pytest.fixture
def runner(tmp_path: Path):
    """A runner's workspace (the repository's files) with stand-in tools that record their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    for name, body in STUBS.items():
        tool = bin_dir / name
        tool.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >> "{calls}"\n{body}\n')
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    work = tmp_path / "work"
    work.mkdir()
    for entry in ("infra", "docker-compose.yml", "docker-compose.ci.yml", "tests"):
        (work / entry).symlink_to(ROOT / entry)

    def run(step: dict[str, str], known: dict[str, str], *, drop: tuple[str, ...] = (),
            carried: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        script = fill(step["run"], known)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_REPOSITORY": "Acme/Permitto",
               "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
               "GITHUB_ENV": str(tmp_path / "env"), "CI": "true", "RUNNER_TEMP": str(tmp_path)}
        env |= carried or {}
        env |= {k.removeprefix("env:"): fill(v, known) for k, v in step.items() if k.startswith("env:")}
        for name in drop:
            env.pop(name, None)
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail"] if step["shell"] == "bash" else ["bash", "-e"]
        return subprocess.run([*shell, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=60)

    run.calls = calls  # type: ignore[attr-defined]
    return run


@pytest.mark.parametrize("workflow", ["ci.yml", "deploy-staging.yml", "deploy-production.yml"])
def test_every_shell_step_passes_with_what_github_gives_it(workflow, runner, tmp_path):
    carried: dict[str, dict[str, str]] = {}  # what a step wrote to $GITHUB_ENV reaches the job's later steps
    for job, name, step in run_steps(workflow):
        (tmp_path / "env").write_text("")
        done = runner(step, expressions(job, {}), carried=carried.setdefault(job, {}))
        assert done.returncode == 0, f"{workflow} {job} / {name}:\n{done.stdout}\n{done.stderr}"
        for line in (tmp_path / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            carried[job][key] = value


def test_the_registry_names_are_lower_case_and_the_digests_resolve(runner, tmp_path):
    names = next(s for j, n, s in run_steps("ci.yml", "images") if n.startswith("Name the images"))
    assert runner(names, expressions("images", {})).returncode == 0
    assert "PERMITTO_IMAGE_PREFIX=ghcr.io/acme/permitto/permitto" in (tmp_path / "env").read_text()
    digests = next(s for j, n, s in run_steps("deploy-staging.yml") if n.startswith("The digests"))
    done = runner({**digests, "run": 'infra/scripts/image_digests.sh "$VERSION"'}, expressions("deploy", {}))
    assert done.returncode == 0, done.stderr
    assert '"permits": "ghcr.io/acme/permitto/permitto-permits@sha256:aaaaaaaa"' in done.stdout


def test_production_refuses_without_the_confirmation_or_a_full_commit(runner):
    confirmation = next(s for j, n, s in run_steps("deploy-production.yml", "validate") if n == "Confirmation")
    for inputs in ({"confirm": "yes please"}, {"version": "main"}, {"version": SHA[:7]}):
        refused = runner(confirmation, expressions("validate", inputs))
        assert refused.returncode == 1, inputs
    assert runner(confirmation, expressions("validate", {})).returncode == 0


def test_the_backup_dumps_with_the_servers_own_pg_dump_encrypts_and_uploads(runner, tmp_path):
    backup = next(s for j, n, s in run_steps("deploy-production.yml", "backup"))
    done = runner(backup, expressions("backup", {}))
    assert done.returncode == 0, done.stderr
    calls = Path(runner.calls).read_text()  # type: ignore[attr-defined]
    assert "python3 infra/scripts/railway_deploy.py database-url --service permitto-permits" in calls
    assert "docker run --rm postgres:15-alpine pg_dump --format=custom --no-owner postgresql://u:p@proxy" in calls
    assert "--symmetric --cipher-algo AES256" in calls
    assert re.search(r"aws s3 cp .* permitto-permits-\d{8}T\d{6}Z-0123456789ab\.dump\.gpg "
                     r"s3://permitto-backups/production/", calls)
    assert "upload-artifact" not in (WORKFLOWS / "deploy-production.yml").read_text()
    missing = runner(backup, expressions("backup", {}), drop=("BACKUP_PASSPHRASE",))
    assert missing.returncode != 0
    assert "BACKUP_PASSPHRASE" in missing.stderr


def test_staging_deploys_only_after_ci_passed_on_a_push_and_production_only_by_hand():
    staging = yaml.safe_load((WORKFLOWS / "deploy-staging.yml").read_text())
    trigger = staging[True]  # PyYAML reads the key `on` as True
    assert set(trigger) == {"workflow_run"}
    assert trigger["workflow_run"]["workflows"] == ["CI"]
    assert "conclusion == 'success'" in staging["jobs"]["deploy"]["if"]
    assert staging["jobs"]["deploy"]["environment"] == "staging"  # the staging environment's own token
    production = yaml.safe_load((WORKFLOWS / "deploy-production.yml").read_text())
    assert set(production[True]) == {"workflow_dispatch"}
    needs: dict[str, Any] = {name: job.get("needs") for name, job in production["jobs"].items()}
    assert needs == {"validate": None, "backup": "validate", "deploy": "backup"}
    for name in ("backup", "deploy"):
        assert production["jobs"][name]["environment"] == "production"  # its reviewers, its own secrets


def test_actions_are_pinned_by_commit_and_run_on_a_current_node():
    for workflow in WORKFLOWS.glob("*.yml"):
        for line in workflow.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"uses: [\w./-]+@[0-9a-f]{40}  # v\d", line), f"{workflow.name}: {line.strip()}"
    text = "".join(w.read_text() for w in WORKFLOWS.glob("*.yml"))
    for node20 in ("setup-buildx-action@v3", "build-push-action@v6", "upload-artifact@v4"):
        assert node20 not in text


def test_actionlint_with_shellcheck_finds_nothing():
    bin_dir = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    assert subprocess.run(["shellcheck", "--version"], env=env, capture_output=True).returncode == 0
    result = subprocess.run(["actionlint", *sorted(str(w) for w in WORKFLOWS.glob("*.yml"))], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    scripts = sorted(str(s) for s in (ROOT / "infra" / "scripts").glob("*.sh"))
    checked = subprocess.run(["shellcheck", *scripts], env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_what_the_docs_cite_exists():
    """Runbooks and READMEs name test files and scripts as proof; each one named must be there."""
    docs = [ROOT / "README.md", *(ROOT / "infra").rglob("*.md"), *(ROOT / "docs").glob("*.md")]
    for doc in docs:
        pattern = r"(?<![\w/.-])((?:tests|infra|tools|bench)/[\w/.-]+\.(?:py|sh|json|yml))"
        for cited in re.findall(pattern, doc.read_text()):
            assert (ROOT / cited).exists(), f"{doc.relative_to(ROOT)} cites {cited}, which does not exist"
