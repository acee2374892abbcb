"""Benchmark: the same authenticated reads (a permit list page, a permit get) directly on the permits
service and through the gateway, at 50 and 200 connections, with wrk on loopback. Prints req/s, p50, p95,
p99, the through-gateway / direct throughput ratio, and the gateway's CPU time per request; a run with
one connection shows the latency the gateway adds when nothing queues.

    .venv/bin/python bench/gateway.py [--seconds 10]      (needs wrk: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devstack.api_client import Api
from devstack.samples import complete_hot_work, new_work_area
from devstack.stack import running_system

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.0f %.0f %.0f %.0f\\n", summary.requests, summary.errors.status +
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.duration))
end
"""


def descendants(pid: int) -> list[int]:
    """pid and every process under it (the gateway's front, its gunicorn and gunicorn's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(map(int, subprocess.run(["pgrep", "-P", str(current)], capture_output=True,
                                            text=True).stdout.split()))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for child in descendants(pid):
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError):
                pass
    return total / os.sysconf("SC_CLK_TCK")


def seed(gateway: str, password: str, *, count: int = 40) -> tuple[str, str]:
    """`count` submitted hot-work permits on DOWNTOWN, each in an area of its own; a coordinator's token
    (who sees them all) and the last permit's id, for the reads the benchmarks repeat."""
    receiver, coordinator = Api(gateway, "127.0.0.1"), Api(gateway, "127.0.0.1")
    receiver.login("receiver.downtown@permitto.example", password)
    coordinator.login("coordinator@permitto.example", password)
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    project = next(p["id"] for p in receiver.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
    permit_id = ""
    for n in range(count):
        begin = datetime.now(UTC) + timedelta(hours=1)
        permit_id = receiver.post("/permits", json={
            "templateId": template, "projectId": project, "title": f"Bench {n}", "validFrom": begin.isoformat(),
            "validTo": (begin + timedelta(days=1)).isoformat(), "workAreaId": new_work_area(coordinator, project),
            "formData": complete_hot_work()}).json()["data"]["id"]
        receiver.post(f"/permits/{permit_id}/submit")
    return coordinator.token or "", permit_id


def wrk(url: str, token: str, connections: int, seconds: int, script: Path) -> dict[str, float]:
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(script),
                          "-H", f"Authorization: Bearer {token}", url], capture_output=True, text=True).stdout
    requests_, errors, p50, p95, p99, duration = map(float, re.search(r"RESULT (.*)", out).group(1).split())
    return {"rps": requests_ / (duration / 1e6), "requests": requests_, "errors": errors, "p50": p50 / 1000,
            "p95": p95 / 1000, "p99": p99 / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    folder = tempfile.TemporaryDirectory(prefix="permitto-bench-gateway-")
    script = Path(folder.name) / "report.lua"
    script.write_text(LUA)
    overrides = {"gateway": {"RATE_LIMIT_USER_PER_MINUTE": "100000000"}}
    with folder, running_system("bench_gw", overrides=overrides) as stack:
        password = json.loads((stack.var_dir / "demo-users.json").read_text())[0]["password"]
        gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
        token, permit_id = seed(gateway, password, count=60)
        direct = f"http://127.0.0.1:{stack.ports['permits']}/api/v1/permits"
        through = f"{gateway}/api/v1/permits"
        gateway_pid = stack.running["gateway"].popen.pid
        print(f"\n{args.seconds} s per run, wrk -t2, loopback, everything on this 2-core machine")
        print(f"{'endpoint':<12}{'conns':>6}{'path':>9}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
              f"{'ratio':>7}{'gw CPU µs/req':>15}")
        for name, suffix in (("list page", "?limit=20"), ("get", f"/{permit_id}")):
            for connections in (1, 50, 200):  # 1: the latency the gateway itself adds, without queueing
                wrk(direct + suffix, token, connections, 2, script)  # warm up
                base = wrk(direct + suffix, token, connections, args.seconds, script)
                before = cpu_seconds([gateway_pid])
                via = wrk(through + suffix, token, connections, args.seconds, script)
                cpu = (cpu_seconds([gateway_pid]) - before) / max(via["requests"], 1) * 1e6
                for label, result in (("direct", base), ("gateway", via)):
                    ratio = f"{via['rps'] / base['rps']:.2f}" if label == "gateway" else ""
                    cpu_text = f"{cpu:.0f}" if label == "gateway" else ""
                    print(f"{name:<12}{connections:>6}{label:>9}{result['rps']:>9.0f}{result['p50']:>8.1f}"
                          f"{result['p95']:>8.1f}{result['p99']:>8.1f}{ratio:>7}{cpu_text:>15}"
                          + (f"  errors={result['errors']:.0f}" if result["errors"] else ""))


if __name__ == "__main__":
    main()
