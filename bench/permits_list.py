"""Benchmark: list and get permits with 1,000,000 permits in the database, measured on the permits
service itself (gunicorn, its production command), one client at a time.

    .venv/bin/python bench/permits_list.py [--rows 1000000] [--requests 200]

Prints p50/p95/max per request kind. Uses DATABASE_URL / REDIS_URL when set, else embedded engines.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jwt
import psycopg
import requests

from devstack.engines import Postgres, Redis, free_port, remove_scratch, wait_for_port
from devstack.stack import REPO_ROOT
from permitto_common.keygen import ensure_keys

PROJECTS = 20
RECEIVERS = 2000
STATUSES = ["DRAFT", "SUBMITTED", "ISSUER_APPROVED", "APPROVED", "ACTIVE", "PENDING_DAILY", "SUSPENDED",
            "PENDING_CLOSEOUT", "CLOSED", "CANCELLED", "REJECTED_ISSUER"]


def load(url: str, rows: int) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as conn:
        version_id = conn.execute("SELECT id FROM template_versions WHERE status = 'PUBLISHED' LIMIT 1").fetchone()[0]
        projects = [uuid.uuid4() for _ in range(PROJECTS)]
        started = time.monotonic()
        conn.execute("""
            INSERT INTO permits (id, number, project_id, project_code, timezone, type, template_version_id, title,
                status, requester_id, form_data, valid_from, valid_to, work_start, work_end, extended_hours,
                version, created_at, updated_at, submitted_at, listed_at)
            SELECT gen_random_uuid(),
                   'P' || (i %% %(projects)s) || '-' || (ARRAY['HW','CSE','WAH','EW'])[1 + i %% 4] || '-' || i,
                   (%(project_ids)s::uuid[])[1 + i %% %(projects)s], 'P' || (i %% %(projects)s), 'UTC',
                   (ARRAY['HW','CSE','WAH','EW'])[1 + i %% 4], %(version)s, 'Bench permit ' || i,
                   (%(statuses)s::text[])[1 + (i * 7) %% %(n_statuses)s],
                   md5('receiver' || (i %% %(receivers)s))::uuid, '{}'::jsonb,
                   ts, ts + interval '2 days', '08:00', '17:00', false, 1, ts, ts, ts, ts
            FROM (SELECT i, timestamptz '2025-01-01' + (i * interval '63 seconds') AS ts
                  FROM generate_series(1, %(rows)s) AS i) AS s
        """, {
            "projects": PROJECTS, "project_ids": projects, "version": version_id, "statuses": STATUSES,
            "n_statuses": len(STATUSES), "receivers": RECEIVERS, "rows": rows})
        conn.execute("ANALYZE permits")
        loaded = time.monotonic() - started
        sample = conn.execute("SELECT id FROM permits ORDER BY random() LIMIT 200").fetchall()
        deep = conn.execute("SELECT listed_at, id FROM permits WHERE status = 'SUBMITTED' AND project_id = %s "
                            "ORDER BY listed_at DESC, id DESC OFFSET 3000 LIMIT 1", (projects[3],)).fetchone()
        deep_all = conn.execute("SELECT listed_at, id FROM permits ORDER BY listed_at DESC, id DESC "
                                "OFFSET 500000 LIMIT 1").fetchone()
    return {"projects": projects, "sample": [row[0] for row in sample], "deep": deep, "deep_all": deep_all,
            "load_seconds": loaded}


def cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def measure(session: requests.Session, url: str, headers: dict[str, str], n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return timings


def report(name: str, timings: list[float]) -> None:
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{name:<44} n={len(timings):<4} p50={statistics.median(timings):7.2f} ms  p95={p95:7.2f} ms"
          f"  max={timings[-1]:7.2f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="permitto-bench-"))
    engines: list[Postgres | Redis] = []
    service = None
    try:
        admin_url = os.environ.get("DATABASE_URL")
        if not admin_url:
            pg = Postgres(base / "pg", free_port(), durable=False)
            pg.start()
            engines.append(pg)
            admin_url = pg.url()
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            redis = Redis(free_port())
            redis.start()
            engines.append(redis)
            redis_url = redis.url()
        from devstack.engines import ensure_database

        ensure_database(admin_url, "bench_permits", fresh=True)
        db_url = admin_url.rsplit("/", 1)[0] + "/bench_permits"
        private, public, token = ensure_keys(base / "keys")
        port = free_port()
        env = {**os.environ, "FLASK_APP": "permitto_permits.app:create_app", "DATABASE_URL": db_url,
               "REDIS_URL": redis_url, "JWT_PUBLIC_KEY": str(public), "INTERNAL_API_TOKEN": token,
               "AUTH_URL": "http://127.0.0.1:9", "FILES_URL": "http://127.0.0.1:9", "PORT": str(port),
               "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        for command in (["-m", "permitto_common.entrypoint", "migrate"], ["-m", "flask", "seed-demo"]):
            subprocess.run([sys.executable, *command], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
        print(f"loading {args.rows:,} permits…", flush=True)
        data = load(db_url, args.rows)
        print(f"loaded in {data['load_seconds']:.1f} s", flush=True)
        # No auth service here: the bench publishes an (empty) deny list itself, as auth would.
        from redis import Redis as RedisClient

        from permitto_common.security import DENY_LIST_EPOCH_KEY

        with RedisClient.from_url(redis_url) as client:
            client.set(DENY_LIST_EPOCH_KEY, "0")
        service = subprocess.Popen([sys.executable, "-m", "permitto_common.entrypoint", "web"], env=env,
                                   cwd=REPO_ROOT)
        wait_for_port(port, timeout=30, proc=service, what="permits service")

        def bearer(sub: str, role: str) -> dict[str, str]:
            now = int(time.time())
            claims = {"sub": sub, "role": role, "jti": uuid.uuid4().hex, "sid": uuid.uuid4().hex, "type": "access",
                      "iat": now, "nbf": now, "exp": now + 3600}
            return {"Authorization": "Bearer " + jwt.encode(claims, private.read_bytes(), algorithm="RS256")}

        coordinator = bearer(str(uuid.uuid4()), "COORDINATOR")
        receiver_id = psycopg.connect(db_url).execute(
            "SELECT requester_id FROM permits LIMIT 1").fetchone()[0]
        receiver = bearer(str(receiver_id), "RECEIVER")
        root = f"http://127.0.0.1:{port}/api/v1/permits"
        project = data["projects"][3]
        deep, deep_all = data["deep"], data["deep_all"]
        cases = [
            ("list first page (coordinator, all)", root + "?limit=20", coordinator),
            ("list first page, filter status+project+type", root + f"?limit=20&status=SUBMITTED&projectId={project}"
             f"&type=WAH", coordinator),
            ("list deep page (cursor at 500,000)", root + "?limit=20&cursor=" + cursor([deep_all[0], deep_all[1]]),
             coordinator),
            ("list deep page (cursor at 3,000), filtered", root + f"?limit=20&status=SUBMITTED&projectId={project}"
             f"&cursor=" + cursor([deep[0], deep[1]]), coordinator),
            ("list first page (receiver, own permits)", root + "?limit=20", receiver),
            ("list by number prefix", root + "?limit=20&q=P3-WAH-10", coordinator),
        ]
        with requests.Session() as session:
            measure(session, root + "?limit=20", coordinator, 20)  # warm up connections and caches
            print(f"\n{args.rows:,} permits; {args.requests} sequential requests each, measured at the client:")
            for name, url, headers in cases:
                report(name, measure(session, url, headers, args.requests))
            timings = []
            for permit_id in (data["sample"] * (args.requests // len(data["sample"]) + 1))[: args.requests]:
                started = time.perf_counter()
                response = session.get(f"{root}/{permit_id}", headers=coordinator, timeout=30)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            report("get one permit", timings)
    finally:
        if service is not None:
            service.terminate()
            service.wait(20)
        for engine in reversed(engines):
            engine.stop()
        remove_scratch(base, "the benchmark's folder")


if __name__ == "__main__":
    main()
