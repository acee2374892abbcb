"""Benchmark: a 25 MB upload through the presigned URL, and the latency of confirm (head, ranged read,
copy to the permit's folder, record), on the whole system as `make up` runs it (moto as the S3 server).

    .venv/bin/python bench/files.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import requests

from devstack.api_client import Api
from devstack.images import pdf
from devstack.samples import complete_hot_work
from devstack.stack import running_system


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with running_system("bench_files") as stack:
        users = {u["role"]: u for u in json.loads((stack.var_dir / "demo-users.json").read_text())}
        api = Api(f"http://127.0.0.1:{stack.ports['gateway']}", "127.0.0.1")
        api.login("receiver.downtown@permitto.example", users["RECEIVER"]["password"])
        template = next(t["id"] for t in api.get("/templates").json()["data"] if t["type"] == "HW")
        project = next(p["id"] for p in api.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")

        def new_permit() -> str:
            start = datetime.now(UTC) + timedelta(hours=1)
            return str(api.post("/permits", json={
                "templateId": template, "projectId": project, "title": "Bench", "validFrom": start.isoformat(),
                "validTo": (start + timedelta(days=1)).isoformat(), "formData": complete_hot_work()}
            ).json()["data"]["id"])

        def one(data: bytes, permit_id: str) -> tuple[float, float]:
            ticket = api.post("/files/upload-url", json={"permitId": permit_id, "fileName": "doc.pdf",
                                                         "contentType": "application/pdf", "size": len(data)}
                              ).json()["data"]
            started = time.perf_counter()
            put = requests.put(ticket["url"], data=data, headers={"Content-Type": "application/pdf"}, timeout=120)
            uploaded = time.perf_counter() - started
            assert put.status_code == 200
            started = time.perf_counter()
            confirmed = api.post("/files/confirm", json={"uploadId": ticket["uploadId"]})
            confirm = time.perf_counter() - started
            assert confirmed.status_code == 201, confirmed.text
            return uploaded * 1000, confirm * 1000

        small, big = pdf(), pdf() + b"\n%" + os.urandom(25 * 1024 * 1024 - len(pdf()) - 3)
        small_confirms: list[float] = []
        permit_id = new_permit()
        for n in range(args.runs):
            if n and n % 10 == 0:
                permit_id = new_permit()
            small_confirms.append(one(small, permit_id)[1])
        big_uploads, big_confirms = [], []
        for _ in range(max(3, args.runs // 4)):
            up, confirm = one(big, new_permit())
            big_uploads.append(up)
            big_confirms.append(confirm)
        print(f"\nfiles benchmark ({args.runs} small, {len(big_uploads)} × 25 MB), through the gateway, moto S3:")
        print(f"confirm, 1 KB PDF        p50={statistics.median(small_confirms):7.1f} ms  "
              f"p95={pct(small_confirms, 0.95):7.1f} ms")
        print(f"confirm, 25 MB PDF       p50={statistics.median(big_confirms):7.1f} ms  "
              f"p95={pct(big_confirms, 0.95):7.1f} ms")
        print(f"PUT 25 MB presigned URL  p50={statistics.median(big_uploads):7.1f} ms  "
              f"p95={pct(big_uploads, 0.95):7.1f} ms  "
              f"({25 / (statistics.median(big_uploads) / 1000):.0f} MB/s on loopback)")


if __name__ == "__main__":
    main()
