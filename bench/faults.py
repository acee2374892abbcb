"""Fault injection (`make faults`): for each class of process of a running system (the gateway, every
web process, every worker, the scheduler, Redis, PostgreSQL), kill it with SIGKILL in the middle of a
batch of approvals, bring it back as the platform would, and count what the outage cost.

Each approval is sent as a careful client sends it (the web app's offline queue will): one
Idempotency-Key per approval, retried with backoff until it gets an answer that is not a 5xx or a
broken connection. Per class it prints:

- first answer: seconds from the kill to the first successful answer of any approval request;
- refused: requests answered 5xx or not at all (the client retried them);
- lost: approvals acknowledged (200) whose permit is not ISSUER_APPROVED afterwards, or whose timeline
  lacks the approval;
- emails lost / duplicated: of the receiver's "approved by the issuer" email, one per approval;
- others died: processes other than the victim that were not running at the end.

    .venv/bin/python bench/faults.py [--approvals 6] [--only permits-worker,redis]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import requests

from devstack.api_client import Api
from devstack.engines import Postgres, Redis
from devstack.images import png_base64
from devstack.observe import emails_about, wait_until
from devstack.samples import complete_hot_work, new_work_area
from devstack.stack import Stack, running_system

SIGNATURE = {"imageBase64": png_base64()}
ENGINES = ("redis", "postgres")


@dataclass
class Outcome:
    victim: str
    first_answer: float | None = None
    refused: int = 0
    acknowledged: list[dict[str, str]] = field(default_factory=list)
    lost: int = 0
    emails_lost: int = 0
    emails_duplicated: int = 0
    others_died: list[str] = field(default_factory=list)


def kill(stack: Stack, victim: str) -> None:
    if victim == "redis":
        proc = stack.engine(Redis).proc
        assert proc is not None
        proc.kill()
        proc.wait(5)
    elif victim == "postgres":
        pid = int((stack.var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
    else:
        os.killpg(stack.running[victim].popen.pid, signal.SIGKILL)  # gunicorn and its workers alike


def bring_back(stack: Stack, victim: str) -> None:
    if victim == "redis":
        stack.engine(Redis).start()
    elif victim == "postgres":
        postgres = stack.engine(Postgres)
        deadline = time.monotonic() + 60
        while True:  # the dead postmaster's children need a moment to notice and exit
            try:
                postgres.start()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    else:
        stack.restart_process(victim)


def approve_carefully(api: Api, permit: dict[str, str], outcome: Outcome, killed_at: list[float],
                      lock: threading.Lock) -> None:
    key = f"approve-{permit['id']}-{uuid.uuid4().hex[:6]}"
    delay = 0.2
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            answer = api.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE},
                              headers={"Idempotency-Key": key})
            status = answer.status_code
        except requests.RequestException:
            status = 0
        with lock:
            if killed_at and status and status < 500 and outcome.first_answer is None:
                outcome.first_answer = time.monotonic() - killed_at[0]
            if status == 0 or status >= 500 or status == 409 and "still being processed" in answer.text:
                outcome.refused += 1
            elif status == 200:
                outcome.acknowledged.append(permit)
                return
            else:
                return  # a 4xx that is not "try again": an answer, not an outage
        time.sleep(delay)
        delay = min(delay * 2, 3.0)


def _read(api: Api, path: str) -> Any:
    answer = api.get(path)
    return answer.json()["data"] if answer.status_code == 200 else None


def run_class(stack: Stack, apis: dict[str, Api], project: str, template: str, victim: str,
              approvals: int) -> Outcome:
    receiver, issuer, coordinator = apis["receiver.downtown"], apis["issuer.downtown"], apis["coordinator"]
    stack.wait_ready(timeout=90)
    permits = []
    start = datetime.now(UTC) + timedelta(hours=1)
    for n in range(approvals):
        draft = receiver.post("/permits", json={
            "templateId": template, "projectId": project, "title": f"Fault {victim} {n}",
            "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
            "workAreaId": new_work_area(coordinator, project), "formData": complete_hot_work()}).json()["data"]
        permits.append(receiver.post(f"/permits/{draft['id']}/submit").json()["data"])
    outcome = Outcome(victim)
    lock, killed_at = threading.Lock(), list[float]()
    others = {name: r.popen for name, r in stack.running.items() if name != victim}

    def batch() -> None:
        for permit in permits:
            approve_carefully(issuer, permit, outcome, killed_at, lock)
            time.sleep(0.3)

    worker = threading.Thread(target=batch)
    worker.start()
    time.sleep(0.8)  # a couple of approvals in
    kill(stack, victim)
    killed_at.append(time.monotonic())
    time.sleep(2)
    bring_back(stack, victim)
    worker.join()

    stack.wait_ready(timeout=90)  # judge what was kept, not what a process still starting answers
    for permit in outcome.acknowledged:
        base = f"/permits/{permit['id']}"
        got: dict[str, Any] = wait_until(partial(_read, issuer, base), timeout=30) or {}
        timeline: list[dict[str, Any]] = wait_until(partial(_read, issuer, base + "/timeline"), timeout=30) or []
        if got.get("status") != "ISSUER_APPROVED" or [e["action"] for e in timeline].count("issuer_approve") != 1:
            outcome.lost += 1
    for permit in outcome.acknowledged:
        def mails(p: dict[str, str] = permit) -> list[tuple[str, str, str]]:
            assert stack.endpoints is not None
            return emails_about(stack.endpoints.mail_dir, p["number"], phrase="approved by the issuer",
                                to="receiver.downtown@permitto.example")
        found = wait_until(mails, timeout=90)
        if not found:
            outcome.emails_lost += 1
    time.sleep(3)  # a duplicate would come from a retry or a second relay run
    for permit in outcome.acknowledged:
        assert stack.endpoints is not None
        count = len(emails_about(stack.endpoints.mail_dir, permit["number"], phrase="approved by the issuer",
                                 to="receiver.downtown@permitto.example"))
        outcome.emails_duplicated += max(0, count - 1)
    outcome.others_died = [name for name, popen in others.items()
                           if popen.poll() is not None and stack.running.get(name) is not None
                           and stack.running[name].popen is popen]
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approvals", type=int, default=6)
    parser.add_argument("--only", default="", help="comma-separated classes (default: all)")
    args = parser.parse_args()
    # PostgreSQL and Redis as production runs them: durable commits, Redis with its append-only file.
    with running_system("faults", own_redis=True, own_postgres=True, durable=True,
                        overrides={"gateway": {"TRUSTED_PROXY_HOPS": "1", "RATE_LIMIT_USER_PER_MINUTE": "100000"},
                                   "permits": {"SWEEP_INTERVAL_SECONDS": "5"}}) as stack:
        victims = list(stack.running) + list(ENGINES)
        if args.only:
            victims = [v for v in victims if v in args.only.split(",")]
        gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
        users = json.loads(Path(stack.var_dir / "demo-users.json").read_text())
        logins = {u["email"].split("@")[0]: (u["email"], u["password"]) for u in users}
        apis = {}
        for n, who in enumerate(("receiver.downtown", "issuer.downtown", "coordinator")):
            apis[who] = Api(gateway, f"10.66.0.{n + 1}")
            apis[who].login(*logins[who])
        project = next(p["id"] for p in apis["receiver.downtown"].get("/projects").json()["data"]
                       if p["code"] == "DOWNTOWN")
        template = next(t["id"] for t in apis["receiver.downtown"].get("/templates").json()["data"]
                        if t["type"] == "HW")
        results = []
        for victim in victims:
            outcome = run_class(stack, apis, project, template, victim, args.approvals)
            results.append(outcome)
            print(f"  {victim}: done", flush=True)

    print(f"\n{'killed':<22} {'first answer s':>14} {'refused':>8} {'acked':>6} {'lost':>5} "
          f"{'emails lost':>12} {'emails dup':>11}  others died")
    for r in results:
        first = f"{r.first_answer:.2f}" if r.first_answer is not None else "-"
        print(f"{r.victim:<22} {first:>14} {r.refused:>8} {len(r.acknowledged):>6} {r.lost:>5} "
              f"{r.emails_lost:>12} {r.emails_duplicated:>11}  {', '.join(r.others_died) or 'none'}")
    bad = sum(r.lost + r.emails_lost + r.emails_duplicated + len(r.others_died) for r in results)
    print(f"\n{len(results)} classes; approvals lost, emails lost or duplicated, other processes died: {bad}")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
