"""Benchmark: the hot path's limits side by side in one run, so a noisy machine cannot decide them.

The same authenticated reads, a permit list page (20 rows) and one permit, served four ways:
  direct   the permits service itself (its production command: gunicorn, gthread)
  nginx    nginx as a plain keep-alive reverse proxy in front of it: the limit a real proxy sets. Started
           when nginx is installed (apt-get install nginx); the row says so when it is not
  gateway  through the gateway as `make up` and production start it: its front (front.py) does the edge
           checks (token, rate limits, deny list) and the forward; its CPU counts gunicorn's too
  floor    bench/floor_app.py: no framework, the very SQL the service ran for the read (captured from it),
           psycopg, the same gunicorn; what is left when everything but the SQL is taken away

wrk on loopback, at 1 connection (the latency each hop adds when nothing queues) and 50; every
configuration once per round, rounds interleaved, the median of the rounds printed, with the CPU time
the serving processes spent per request.

    .venv/bin/python bench/hotpath.py [--seconds 5] [--rounds 3]      (needs wrk: apt-get install wrk)

The goals it prints against (the issue "Speed on the hot path"): the gateway's hop within nginx's + 1 ms
at one connection and at least 0.9 x nginx's throughput at 50, at most 500 us of gateway CPU a request;
the service at least 0.6 x the floor's throughput at 50 connections and at most 1.5 x its p50 at one.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from devstack.engines import free_port, remove_scratch, stop_process, wait_for_port
from devstack.processes import SERVICE_BY_NAME, service_env
from devstack.stack import REPO_ROOT, running_system
from gateway import LUA, cpu_seconds, seed, wrk  # bench/gateway.py, beside this script

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  upstream permits {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://permits;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }}
  }}
}}
"""


def capture(env: dict[str, str], token: str, reads: dict[str, str]) -> dict[str, list[tuple[str, Any, bool]]]:
    """The SQL statements the permits service runs for each read, caught at the driver (psycopg's
    cursor: what SQLAlchemy runs and what the service runs on the driver itself) as it runs them in
    this process, each with whether it ran in a transaction or in autocommit (the floor does the same)."""
    import psycopg

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from permitto_permits.app import create_app

        app = create_app()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    caught: list[tuple[str, Any, bool]] = []
    out: dict[str, list[tuple[str, Any, bool]]] = {}
    execute = psycopg.Cursor.execute

    def catching(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        caught.append((query, params, cursor.connection.autocommit))
        return execute(cursor, query, params, **kwargs)

    psycopg.Cursor.execute = catching  # type: ignore[method-assign]
    try:
        client = app.test_client()  # each request in an app context of its own, as served: its session ends with it
        for kind, path in reads.items():
            client.get(path, headers={"Authorization": f"Bearer {token}"})  # warm: what runs once per process
            caught.clear()
            answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            out[kind] = list(caught)
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    return out


def start_nginx(upstream: int, base: Path) -> tuple[subprocess.Popen[bytes] | None, int | None, str]:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        return None, None, "nginx is not installed (apt-get install nginx): no nginx row"
    port = free_port()
    prefix = base / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, upstream=upstream, port=port))
    proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    wait_for_port(port, timeout=10, proc=proc, what="nginx")
    version = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr.strip()
    return proc, port, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    base = Path(tempfile.mkdtemp(prefix="permitto-hotpath-"))
    script = base / "report.lua"
    script.write_text(LUA)
    overrides = {"gateway": {"RATE_LIMIT_USER_PER_MINUTE": "100000000"}}
    with running_system("bench_hot", overrides=overrides) as stack:
        assert stack.endpoints is not None
        gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
        password = json.loads((stack.var_dir / "demo-users.json").read_text())[0]["password"]
        token, permit_id = seed(gateway, password)
        reads = {"list": "/api/v1/permits?limit=20", "get": f"/api/v1/permits/{permit_id}"}
        permits_env = {**service_env(SERVICE_BY_NAME["permits"], stack.endpoints), **overrides.get("permits", {})}
        statements = capture(permits_env, token, reads)
        (base / "statements.pickle").write_bytes(pickle.dumps(statements))
        floor_port = free_port()
        floor_env = {**os.environ, "FLOOR_STATEMENTS": str(base / "statements.pickle"),
                     "DATABASE_URL": permits_env["DATABASE_URL"]}
        # The floor is served as the service is: gunicorn, gthread, the same workers and threads.
        floor = subprocess.Popen([sys.executable, "-m", "gunicorn", "--pythonpath", str(Path(__file__).parent),
                                  "--worker-class", "gthread", "--workers", "2", "--threads", "8",
                                  "--bind", f"127.0.0.1:{floor_port}", "--log-level", "warning", "floor_app:app"],
                                 env=floor_env, cwd=REPO_ROOT)
        nginx, nginx_port, nginx_words = start_nginx(stack.ports["permits"], base)
        try:
            wait_for_port(floor_port, timeout=30, proc=floor, what="the floor app")
            for kind, caught in statements.items():
                alone = sum(autocommit for _, _, autocommit in caught)
                print(f"statements the {kind} read runs: {len(caught)}, {alone} of them with no transaction around "
                      f"them, {len(caught) - alone} in one (and its BEGIN and ROLLBACK)")
            print(nginx_words)
            direct = f"http://127.0.0.1:{stack.ports['permits']}"
            targets: dict[str, tuple[str | None, dict[str, str], list[int]]] = {
                "direct": (direct, reads, [stack.running["permits"].popen.pid]),
                "nginx": (f"http://127.0.0.1:{nginx_port}" if nginx_port else None, reads,
                          [nginx.pid] if nginx else []),
                "gateway": (gateway, reads, [stack.running["gateway"].popen.pid]),
                "floor": (f"http://127.0.0.1:{floor_port}", {"list": "/list", "get": "/get"}, [floor.pid]),
            }
            results: dict[tuple[str, int, str], list[dict[str, float]]] = {}
            for url, paths, _ in targets.values():  # warm every path
                if url:
                    for path in paths.values():
                        wrk(url + path, token, 4, 1, script)
            for _ in range(args.rounds):
                for kind in reads:
                    for connections in (1, 50):
                        for name, (url, paths, pids) in targets.items():
                            if not url:
                                continue
                            before = cpu_seconds(pids)
                            result = wrk(url + paths[kind], token, connections, args.seconds, script)
                            result["cpu_us"] = (cpu_seconds(pids) - before) / max(result["requests"], 1) * 1e6
                            results.setdefault((kind, connections, name), []).append(result)
            report(results, args)
        finally:
            stop_process(floor)
            if nginx is not None:
                stop_process(nginx)
    remove_scratch(base, "the benchmark's folder")


def report(results: dict[tuple[str, int, str], list[dict[str, float]]], args: argparse.Namespace) -> None:
    def median(key: tuple[str, int, str], field: str) -> float:
        return statistics.median(r[field] for r in results[key])

    print(f"\n{args.seconds} s per run, {args.rounds} interleaved rounds (medians), wrk on loopback, this 2-core box")
    print(f"{'read':<6}{'conns':>6}{'served by':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}"
          f"{'errors':>8}")
    for kind in ("list", "get"):
        for connections in (1, 50):
            for name in ("direct", "nginx", "gateway", "floor"):
                key = (kind, connections, name)
                if key not in results:
                    continue
                errors = sum(r["errors"] for r in results[key])
                print(f"{kind:<6}{connections:>6}{name:>10}{median(key, 'rps'):>9.0f}{median(key, 'p50'):>9.2f}"
                      f"{median(key, 'p99'):>9.2f}{median(key, 'cpu_us'):>12.0f}{errors:>8.0f}")
    print("\ngoals:")
    for kind in ("list", "get"):
        hop = median((kind, 1, "gateway"), "p50") - median((kind, 1, "direct"), "p50")
        cpu = median((kind, 50, "gateway"), "cpu_us")
        if (kind, 1, "nginx") in results:
            nginx_hop = median((kind, 1, "nginx"), "p50") - median((kind, 1, "direct"), "p50")
            ratio = median((kind, 50, "gateway"), "rps") / median((kind, 50, "nginx"), "rps")
            print(f"  {kind}: gateway hop {hop:+.2f} ms vs nginx {nginx_hop:+.2f} ms (goal: within +1 ms: "
                  f"{'met' if hop <= nginx_hop + 1 else 'NOT met'}); throughput at 50 {ratio:.2f} x nginx (goal 0.9: "
                  f"{'met' if ratio >= 0.9 else 'NOT met'})")
        else:
            print(f"  {kind}: gateway hop {hop:+.2f} ms (no nginx row to hold it against)")
        print(f"  {kind}: gateway CPU {cpu:.0f} µs a request (goal 500: {'met' if cpu <= 500 else 'NOT met'})")
        floor_ratio = median((kind, 50, "direct"), "rps") / median((kind, 50, "floor"), "rps")
        floor_p50 = median((kind, 1, "direct"), "p50") / median((kind, 1, "floor"), "p50")
        print(f"  {kind}: service {floor_ratio:.2f} x the floor's throughput at 50 (goal 0.6: "
              f"{'met' if floor_ratio >= 0.6 else 'NOT met'}), {floor_p50:.2f} x its p50 at 1 (goal 1.5: "
              f"{'met' if floor_p50 <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
