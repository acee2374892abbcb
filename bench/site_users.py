"""Load test: simulated site users on phones, through the gateway, on this one box (loopback).

Each user signs in, opens the live stream (SSE) and keeps it open, then repeats with think time (a
random pause, 10 to 30 s unless told) one step of a site day: home (who am I, what waits for me), the
permit list, a permit opened; now and then, by role, a daily confirmation (receivers), an approval with a
signature (issuers) or a small photo uploaded straight to storage and confirmed (receivers). The
permits those writes need are made before the clock starts.

The people are as on a site: mostly receivers (85 %), issuers (12 %) and a few coordinators (3 %),
each an account of their own on one project, so each live stream carries only what its person would get.
The first 150 receivers have permits of their own to confirm, photograph and have approved.

Users arrive in stages (500 first, then more), 2 a second unless told (--arrivals): a sign-in checks an
argon2id hash, about 0.3 s of a core here, so 2 cores sign in at most ~6 people a second, and a whole
shift signing in within seconds is not what a site does. Each stage is measured once all of its users
are in. Per stage it prints requests, errors (any non-2xx answer or failed connection), p50/p95/p99
of every action and of all of them, and the CPU the load generator itself used (it shares the 2 cores).
It stops at the first stage whose p95 reaches 500 ms and prints the largest user count below it.

    .venv/bin/python bench/site_users.py [--stages 500,750,1000,1500] [--seconds 60] [--think 10-30]
                                         [--arrivals 2]

The goals it prints against (the issue "Speed on the hot path"): at 500 users p95 under 200 ms with no
error, and the largest user count that keeps p95 under 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


# -- the users: run in a child process with gevent, one greenlet a user ------------------------------
def load(args: argparse.Namespace) -> None:
    from gevent import monkey

    monkey.patch_all()
    import random

    import gevent
    import requests
    from gevent.lock import Semaphore

    plan = json.loads(Path(args.plan).read_text())
    gateway = plan["gateway"]
    pools = {name: list(ids) for name, ids in plan["pools"].items()}
    photo = bytes.fromhex(plan["photo"])
    signature = {"imageBase64": plan["signature"]}
    think = [float(x) for x in args.think.split("-")]
    samples: list[tuple[float, str, float, bool, int]] = []  # (at, action, ms, ok, HTTP status or 0)
    events = [0]
    lock = Semaphore()

    def take(pool: str) -> str | None:
        with lock:
            return pools[pool].pop() if pools[pool] else None

    def timed(session: requests.Session, action: str, method: str, url: str, **kw: Any) -> Any:
        started = time.perf_counter()
        ok, answer = False, None
        try:
            answer = session.request(method, url, timeout=30, **kw)
            ok = 200 <= answer.status_code < 300
        except requests.RequestException:
            pass
        samples.append((time.time(), action, (time.perf_counter() - started) * 1000, ok,
                        answer.status_code if answer is not None else 0))
        return answer if ok else None

    def stream(session: requests.Session) -> None:
        try:
            with session.get(f"{gateway}/api/v1/notifications/stream", stream=True, timeout=(5, None)) as answer:
                for line in answer.iter_lines():
                    if line.startswith(b"data:"):
                        events[0] += 1
        except requests.RequestException:
            samples.append((time.time(), "stream dropped", 0.0, False, 0))

    def user(n: int) -> None:
        who = plan["accounts"][n]
        session = requests.Session()
        session.headers["X-Forwarded-For"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        signed_in = timed(session, "sign in", "POST", f"{gateway}/api/v1/auth/login",
                          json={"email": who["email"], "password": plan["password"]})
        if signed_in is None:
            return
        session.headers["Authorization"] = "Bearer " + signed_in.json()["data"]["accessToken"]
        gevent.spawn(stream, _with_auth(session))
        permits: list[str] = []
        while True:
            gevent.sleep(random.uniform(*think))
            step = random.random()
            if step < 0.3:
                timed(session, "home", "GET", f"{gateway}/api/v1/auth/me")
                timed(session, "home", "GET", f"{gateway}/api/v1/permits/pending-actions")
            elif step < 0.6:
                page = timed(session, "list", "GET", f"{gateway}/api/v1/permits?limit=20")
                if page is not None:
                    permits = [p["id"] for p in page.json()["data"]]
            elif step < 0.85 or who["role"] == "COORDINATOR":
                if permits:
                    timed(session, "open a permit", "GET", f"{gateway}/api/v1/permits/{random.choice(permits)}")
            elif who["role"] == "ISSUER":
                permit = take("submitted")
                if permit:
                    timed(session, "approve", "POST", f"{gateway}/api/v1/permits/{permit}/approve",
                          json={"signature": signature})
            elif step < 0.93:
                permit = who.pop("daily", None)  # today's confirmation, once
                if permit:
                    timed(session, "daily confirmation", "POST", f"{gateway}/api/v1/permits/{permit}/daily-approve")
            else:
                permit = who.get("draft") if who.setdefault("photos", 0) < 10 else None
                if permit:
                    who["photos"] += 1
                    ticket = timed(session, "photo upload", "POST", f"{gateway}/api/v1/files/upload-url", json={
                        "permitId": permit, "fileName": "site.png", "contentType": "image/png", "size": len(photo)})
                    if ticket is not None:
                        body = ticket.json()["data"]
                        put = timed(requests.Session(), "photo upload", "PUT", body["url"], data=photo,
                                    headers={"Content-Type": "image/png"})
                        if put is not None:
                            timed(session, "photo upload", "POST", f"{gateway}/api/v1/files/confirm",
                                  json={"uploadId": body["uploadId"]})

    def _with_auth(session: requests.Session) -> requests.Session:
        other = requests.Session()
        other.headers.update(session.headers)
        return other

    stages = [int(s) for s in args.stages.split(",")]
    by_role: dict[str, list[dict[str, Any]]] = {}
    for account in plan["accounts"]:
        by_role.setdefault(account["role"], []).append(account)
    order = []  # people arrive mixed, as on a site: the writers among the first, coordinators spread out
    while any(by_role.values()):
        for role in ("RECEIVER", "RECEIVER", "RECEIVER", "RECEIVER", "RECEIVER", "RECEIVER", "ISSUER", "COORDINATOR"):
            if by_role.get(role):
                order.append(by_role[role].pop(0))
    plan["accounts"] = order
    started = resource.getrusage(resource.RUSAGE_SELF)
    running = 0
    windows = []
    for target in stages:
        ramp_start = time.time()
        for n in range(running, target):
            gevent.spawn(user, n)
            gevent.sleep(1 / args.arrivals)
        running = target
        gevent.sleep(min(think[1], 10))  # let the last arrivals sign in
        begin = time.time()
        gevent.sleep(args.seconds)
        end = time.time()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        windows.append({"users": target, "begin": begin, "end": end, "ramp_start": ramp_start,
                        "cpu": usage.ru_utime + usage.ru_stime - started.ru_utime - started.ru_stime})
        started = usage
        inside = [s for s in samples if begin <= s[0] < end]
        p95 = sorted(s[2] for s in inside)[int(len(inside) * 0.95)] if inside else 0
        if p95 >= 500:
            break
    print("RESULT " + json.dumps({"samples": samples, "windows": windows, "events": events[0],
                                  "left": {k: len(v) for k, v in pools.items()}}), flush=True)
    os._exit(0)


# -- the orchestration: a system, its people and data, the users, the figures -----------------------
WRITERS = 150  # receivers given permits of their own to confirm, photograph and have approved


def accounts(stack: Any, count: int) -> list[dict[str, str]]:
    """`count` people on DOWNTOWN, as a site has them: mostly receivers, some issuers, a few coordinators.
    Written straight into auth's database with the demo password's hash (inviting them all by email
    would take longer than the test); each then signs in through the API like anyone else."""
    import uuid

    import psycopg

    mix = [("COORDINATOR", max(1, count * 3 // 100)), ("ISSUER", count * 12 // 100)]
    mix.append(("RECEIVER", count - sum(n for _, n in mix)))
    made = []
    with psycopg.connect(stack.endpoints.database_urls["auth"], autocommit=True) as conn:
        hashed = conn.execute("SELECT password_hash FROM users WHERE email = 'receiver.downtown@permitto.example'"
                              ).fetchone()[0]
        project = conn.execute("SELECT id FROM projects WHERE code = 'DOWNTOWN'").fetchone()[0]
        tag = uuid.uuid4().hex[:6]
        for role, n in mix:
            for i in range(n):
                user_id, email = uuid.uuid4(), f"load-{tag}-{role.lower()}-{i}@permitto.example"
                conn.execute("INSERT INTO users (id, email, name, role, password_hash, is_active, created_at, "
                             "updated_at) VALUES (%s, %s, %s, %s, %s, true, now(), now())",
                             (user_id, email, f"Load {role.title()} {i}", role, hashed))
                if role != "COORDINATOR":
                    conn.execute("INSERT INTO project_assignments (project_id, user_id, assigned_at) "
                                 "VALUES (%s, %s, now())", (project, user_id))
                made.append({"email": email, "role": role})
    return made


def prepare(stack: Any, count: int) -> dict[str, Any]:
    from devstack.api_client import Api
    from devstack.images import png, png_base64
    from devstack.samples import FORMS, approved_sample, new_work_area

    gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
    password = json.loads((stack.var_dir / "demo-users.json").read_text())[0]["password"]
    people = accounts(stack, count)
    coordinator, issuer = Api(gateway, "10.200.0.1"), Api(gateway, "10.200.0.2")
    coordinator.login("coordinator@permitto.example", password)
    issuer.login("issuer.downtown@permitto.example", password)
    project = next(p["id"] for p in coordinator.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
    template = next(t["id"] for t in coordinator.get("/templates").json()["data"] if t["type"] == "HW")
    receivers = [p for p in people if p["role"] == "RECEIVER"]

    def permits_of(index: int) -> dict[str, str]:
        """A writer's own permits: one due today's confirmation, one submitted, one draft for photos."""
        who = receivers[index]
        receiver = Api(gateway, f"10.201.{index // 256}.{index % 256}")
        receiver.login(who["email"], password)
        area = new_work_area(coordinator, project)
        daily = approved_sample(receiver, issuer, coordinator, project, datetime.now(UTC), "Load test day",
                                area_id=area)
        made = {}
        for kind, days in (("submitted", 5), ("draft", 10)):
            start = datetime.now(UTC) + timedelta(days=days)
            permit = receiver.post("/permits", json={
                "templateId": template, "projectId": project, "title": f"Load test {kind}",
                "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
                "workAreaId": area, "formData": FORMS["HW"]()}).json()["data"]
            made[kind] = str(permit["id"])
        assert receiver.post(f"/permits/{made['submitted']}/submit").status_code == 200
        who.update(daily=str(daily["id"]), draft=made["draft"])
        return made

    with ThreadPoolExecutor(max_workers=6) as pool:
        own = list(pool.map(permits_of, range(min(WRITERS, len(receivers)))))
    return {"gateway": gateway, "password": password, "accounts": people,
            "pools": {"submitted": [o["submitted"] for o in own]},
            "photo": png(640, 480, stroke=3).hex(), "signature": png_base64()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def why(failed: list[list[Any]]) -> str:
    """The failures by HTTP status (0: no answer), as "429 x3, 0 x1"."""
    counts: dict[int, int] = {}
    for sample in failed:
        counts[sample[4]] = counts.get(sample[4], 0) + 1
    return ", ".join(f"{status or 'no answer'} x{n}" for status, n in sorted(counts.items()))


def report(result: dict[str, Any], think: str) -> None:
    print(f"\nthink time {think} s between steps; each stage measured once all its users were in")
    signins = [s for s in result["samples"] if s[1] == "sign in"]
    failed = [s for s in signins if not s[3]]
    ms = [s[2] for s in signins]
    print(f"sign-ins over the whole run (during the ramps): {len(signins) - len(failed)} ok, {len(failed)} failed"
          + (f" ({why(failed)})" if failed else "")
          + f"; p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms")
    largest_ok = 0
    for window in result["windows"]:
        inside = [s for s in result["samples"] if window["begin"] <= s[0] < window["end"]]
        seconds = window["end"] - window["begin"]
        all_ms = [s[2] for s in inside]
        errors = sum(not s[3] for s in inside)
        signed_in = sum(1 for s in signins if s[3] and s[0] < window["end"])
        print(f"\n{window['users']} users ({signed_in} signed in): {len(inside)} requests in {seconds:.0f} s "
              f"({len(inside) / seconds:.0f}/s), "
              f"{errors} errors; all: p50 {percentile(all_ms, 0.5):.0f} ms, p95 {percentile(all_ms, 0.95):.0f} ms, "
              f"p99 {percentile(all_ms, 0.99):.0f} ms; load generator CPU {window['cpu']:.1f} s")
        for action in sorted({s[1] for s in inside}):
            ms = [s[2] for s in inside if s[1] == action]
            bad = sum(not s[3] for s in inside if s[1] == action)
            failed = [s for s in inside if s[1] == action and not s[3]]
            print(f"  {action:<20}{len(ms):>6}  p50 {percentile(ms, 0.5):>6.0f}  p95 {percentile(ms, 0.95):>6.0f}"
                  f"  p99 {percentile(ms, 0.99):>6.0f} ms" + (f"  errors {bad} ({why(failed)})" if bad else ""))
        if percentile(all_ms, 0.95) < 500 and errors == 0:
            largest_ok = window["users"]
        if window["users"] == 500:
            p95 = percentile(all_ms, 0.95)
            print(f"  goal at 500 users: p95 {p95:.0f} ms < 200 ms with 0 errors: "
                  f"{'met' if p95 < 200 and errors == 0 else 'NOT met'}")
    print(f"\nlive stream events received: {result['events']}; prepared permits left unused: {result['left']}")
    print(f"largest user count measured with p95 under 500 ms and no error: {largest_ok or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", default="500,750,1000,1500")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--arrivals", type=float, default=2.0,
                        help="people arriving (signing in) a second: a sign-in is argon2id, ~0.3 s of a core")
    parser.add_argument("--think", default="10-30")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load(args)
        return
    from devstack.stack import running_system

    limits = {"RATE_LIMIT_USER_PER_MINUTE": "100000000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "100000000",
              "RATE_LIMIT_LOGIN_PER_MINUTE": "100000000", "TRUSTED_PROXY_HOPS": "1"}
    with running_system("bench_users", overrides={"gateway": limits}) as stack:
        stages = [int(s) for s in args.stages.split(",")]
        print(f"preparing {max(stages)} people and the permits of {WRITERS} receivers…", flush=True)
        started = time.monotonic()
        plan = prepare(stack, max(stages))
        print(f"prepared in {time.monotonic() - started:.0f} s", flush=True)
        plan_file = stack.var_dir / "load-plan.json"
        plan_file.write_text(json.dumps(plan))
        child = subprocess.run([sys.executable, str(HERE), "--load", "--plan", str(plan_file), "--stages", args.stages,
                                "--seconds", str(args.seconds), "--arrivals", str(args.arrivals), "--think",
                                args.think],
                               capture_output=True, text=True)
        line = next((x for x in child.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"the load generator failed:\n{child.stderr[-3000:]}")
        report(json.loads(line[len("RESULT "):]), args.think)


if __name__ == "__main__":
    main()
