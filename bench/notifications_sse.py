"""Benchmark: latency from a permit approval (the issuer's request leaving the client) to the notification
arriving on the receiver's live stream (SSE through the gateway): outbox → relay job → notifications →
processing job → Redis pub/sub → stream. Prints p50 and p95.

    .venv/bin/python bench/notifications_sse.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import requests

from devstack.api_client import Api
from devstack.images import png_base64
from devstack.samples import complete_hot_work, new_work_area
from devstack.stack import running_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with running_system("bench_sse") as stack:
        gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
        password = json.loads((stack.var_dir / "demo-users.json").read_text())[0]["password"]
        receiver, issuer, coordinator = Api(gateway, "127.0.0.1"), Api(gateway, "127.0.0.1"), Api(gateway, "127.0.0.1")
        receiver.login("receiver.downtown@permitto.example", password)
        issuer.login("issuer.downtown@permitto.example", password)
        coordinator.login("coordinator@permitto.example", password)
        template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
        project = next(p["id"] for p in receiver.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
        permits = []
        for n in range(args.runs):
            start = datetime.now(UTC) + timedelta(hours=1)
            permit = receiver.post("/permits", json={
                "templateId": template, "projectId": project, "title": f"SSE {n}", "validFrom": start.isoformat(),
                "validTo": (start + timedelta(days=1)).isoformat(), "workAreaId": new_work_area(coordinator, project),
                "formData": complete_hot_work()}).json()["data"]
            receiver.post(f"/permits/{permit['id']}/submit")
            permits.append(permit["id"])
        arrivals: queue.Queue[tuple[float, str]] = queue.Queue()

        def listen() -> None:
            stream = requests.get(f"{gateway}/api/v1/notifications/stream", stream=True, timeout=120,
                                  headers={"Authorization": f"Bearer {receiver.token}"})
            try:
                for line in stream.iter_lines(decode_unicode=True):
                    if line.startswith("data: "):
                        arrivals.put((time.perf_counter(), json.loads(line[6:])["permitId"]))
            except requests.RequestException:
                return  # the stack is stopping

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1.0)
        signature = {"imageBase64": png_base64()}
        latencies = []
        for permit_id in permits:
            started = time.perf_counter()
            assert issuer.post(f"/permits/{permit_id}/approve", json={"signature": signature}).status_code == 200
            while True:
                arrived, about = arrivals.get(timeout=30)
                if about == permit_id:
                    latencies.append((arrived - started) * 1000)
                    break
            time.sleep(0.2)
        latencies.sort()
        print(f"\napproval → SSE event at the client, {len(latencies)} approvals, through the gateway:")
        print(f"p50={statistics.median(latencies):.0f} ms  p95={latencies[int(len(latencies) * 0.95) - 1]:.0f} ms"
              f"  max={latencies[-1]:.0f} ms  (includes the approval request itself: "
              f"signature storage and commit)")


if __name__ == "__main__":
    main()
