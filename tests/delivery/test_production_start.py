"""Each service's production command (its Dockerfile's ENTRYPOINT and CMD) starts it to a green /readyz
from a clean virtual environment holding only that service's pinned requirements and the shared library,
as its image does; and a pg_dump -Fc of each service database restores into an empty one intact."""

import json
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from devstack.engines import ensure_database, free_port, pg_tool, stop_process, wait_for_port
from devstack.processes import SERVICES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def service_dir(name):
    return ROOT / ("gateway" if name == "gateway" else f"services/{name}")


def production_command(name):
    """ENTRYPOINT + CMD and the ENV of the Dockerfile's production image (its base stage included)."""
    text = service_dir(name).joinpath("Dockerfile").read_text()
    stages = {m.group(2): m.group(3) for m in re.finditer(r"^FROM (\S+) AS (\w+)\n(.*?)(?=^FROM |\Z)", text,
                                                            flags=re.M | re.S)}
    production = stages["production"]
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])", production, flags=re.M).group(1))
    cmd = json.loads(re.search(r"^CMD (\[.*\])", production, flags=re.M).group(1))
    env = dict(re.findall(r"(\w+)=(\S+)", stages["base"].split("ENV", 1)[1].split("WORKDIR")[0]))
    return entrypoint, cmd, env


@pytest.fixture(scope="module")
def venvs(tmp_path_factory):
    base = tmp_path_factory.mktemp("clean-venvs")

    def build(name):
        venv = base / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        # The same pinned file the image's pip installs; uv (the one make install uses) takes seconds, not minutes.
        uv = str(Path(sys.executable).parent / "uv")
        pip = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin/python")]
        subprocess.run([*pip, "-r", str(service_dir(name) / "requirements.txt")], check=True, capture_output=True)
        subprocess.run([*pip, "--no-deps", str(ROOT / "libs/common")], check=True, capture_output=True)
        return name, venv

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(build, [s.name for s in SERVICES]))


@pytest.fixture(scope="module")
def started(venvs, test_engines, s3_endpoint, smtp_server):
    from devstack.pytest_plugin import TEST_BUCKET

    ports = {s.name: free_port() for s in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    databases = {s.name: test_engines.service_database(f"delivery_{s.name}") for s in SERVICES if s.database}
    running = {}
    logs = {}

    def env_for(name):
        _, _, image_env = production_command(name)
        env = {
            "PATH": f"{venvs[name]}/bin:/usr/bin:/bin", "HOME": "/tmp", **image_env,
            "PYTHONPATH": str(service_dir(name)),  # the image copies the package to /app, on PYTHONPATH
            "PORT": str(ports[name]), "BIND_HOST": "127.0.0.1", "WEB_CONCURRENCY": "1",
            "REDIS_URL": test_engines.redis_url(1), "JWT_PUBLIC_KEY": str(test_engines.public_key),
            "INTERNAL_API_TOKEN": test_engines.internal_token, "TRUSTED_PROXY_HOPS": "1",
        }
        if name in databases:
            env["DATABASE_URL"] = databases[name]
        env.update({
            "auth": {"JWT_PRIVATE_KEY": str(test_engines.private_key)},
            "permits": {"AUTH_URL": urls["auth"], "FILES_URL": urls["files"],
                        "NOTIFICATIONS_URL": urls["notifications"], "VERIFY_LINK_SECRET": "v" * 48},
            "files": {"AUTH_URL": urls["auth"], "PERMITS_URL": urls["permits"], "S3_ENDPOINT_URL": s3_endpoint,
                      "R2_ACCESS_KEY_ID": "k",
                      "R2_SECRET_ACCESS_KEY": "s",
                      "R2_BUCKET_NAME": TEST_BUCKET},
            "notifications": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "AUTH_URL": urls["auth"],
                              "GUNICORN_WORKER_CLASS": "gevent"},
            "gateway": {**{f"{s.upper()}_URL": urls[s] for s in ("auth", "permits", "files", "notifications")},
                        "GUNICORN_WORKER_CLASS": "gevent"},
        }[name])
        return env

    def prepare(service):
        # Each service's own database: migrated and seeded independently of the others, so all at once.
        entrypoint, _, _ = production_command(service.name)
        if service.database:
            subprocess.run([str(venvs[service.name] / "bin" / entrypoint[0]), "migrate"], env=env_for(service.name),
                           check=True, capture_output=True, cwd="/")
        if service.name in ("auth", "permits"):
            subprocess.run([str(venvs[service.name] / "bin/python"), "-m", "flask", "seed-demo"],
                           env=env_for(service.name), check=True, capture_output=True, cwd="/")

    try:
        with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
            list(pool.map(prepare, SERVICES))
        for service in SERVICES:
            entrypoint, cmd, _ = production_command(service.name)
            binary = str(venvs[service.name] / "bin" / entrypoint[0])
            logs[service.name] = open(Path(str(venvs[service.name])) / "service.log", "wb")  # noqa: SIM115
            running[service.name] = subprocess.Popen([binary, *cmd], env=env_for(service.name), cwd="/",
                                                     stdout=logs[service.name], stderr=subprocess.STDOUT)
        for service in SERVICES:
            wait_for_port(ports[service.name], timeout=60, proc=running[service.name], what=service.name)
        yield {"urls": urls, "databases": databases, "logs": {n: Path(f.name) for n, f in logs.items()}}
    finally:
        for proc in reversed(list(running.values())):
            stop_process(proc)
        for handle in logs.values():
            handle.close()


def readyz(url):
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError as exc:  # the port is open (gunicorn's master) before a worker has imported the app
        return 0, {"error": str(exc)}


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_production_command_starts_to_a_green_readyz(service, started):
    deadline = time.monotonic() + 60
    status, body = readyz(started["urls"][service])
    while status != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = readyz(started["urls"][service])
    assert status == 200, (body, started["logs"][service].read_text()[-2000:])


def counts(url):
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


@pytest.mark.parametrize("service", [s.name for s in SERVICES if s.database])
def test_a_pg_dump_of_the_service_database_restores_with_the_same_rows(service, started, tmp_path, test_engines):
    source = started["databases"][service]
    dump = tmp_path / f"{service}.dump"
    with dump.open("wb") as handle:
        subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", source], stdout=handle, check=True)
    target_name = f"restore_{service}_w{test_engines.worker_index}"
    ensure_database(test_engines.admin_database_url, target_name, fresh=True)
    target = test_engines.database_url(target_name)
    subprocess.run([pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", target, str(dump)],
                   check=True, capture_output=True)
    before, after = counts(source), counts(target)
    assert after == before
    assert sum(before.values()) > 0 or service in ("files", "notifications")
    assert any(name.startswith("alembic_version") for name in after)
