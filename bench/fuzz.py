"""The deep property-based run (`make fuzz`, before every landing): a whole system, then

1. schemathesis through the gateway with many examples per operation and its stateful phase, which
   chains operations by the links it infers from the document (create a permit, then read, edit,
   submit it…), checking that no answer is a 5xx and every answer matches the document;
2. a fuzz of the one input layer: valid bodies of the main JSON endpoints mutated at random (nesting
   thousands deep, NaN and Infinity, numbers that overflow, control characters and line breaks,
   lone surrogates, truncation, wrong types, NUL in keys, megabytes of padding) and sent through the
   gateway as a signed-in user and anonymously; every answer must be the envelope, none a 5xx.

Prints the cases tried and the server errors found, and exits 1 on any server error.

    .venv/bin/python bench/fuzz.py [--examples 60] [--mutations 4000] [--seed 20261201]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from devstack.api_client import Api
from devstack.fuzzing import run_schemathesis, what_went_wrong
from devstack.images import png_base64
from devstack.samples import complete_hot_work, new_work_area
from devstack.stack import running_system

UNLIMITED = {"RATE_LIMIT_USER_PER_MINUTE": "1000000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000",
             "RATE_LIMIT_LOGIN_PER_MINUTE": "1000000", "RATE_LIMIT_RESET_PER_15_MINUTES": "1000000"}


def schemathesis(base: str, token: str, examples: int, seed: int) -> tuple[int, int, str]:
    """Runs schemathesis (devstack.fuzzing: two processes side by side); returns (cases, failures, what
    each part printed of its phases and its summary)."""
    parts = run_schemathesis(base, token, client_address="10.77.0.2", phases="examples,coverage,fuzzing,stateful",
                             examples=examples, seed=seed, timeout=3000, options=["--continue-on-failure"])
    failures = 0
    summaries = []
    for part in parts:
        if part.returncode != 0:
            failures += max(1, len(re.findall(r"^\s*\d+\. ", part.output, re.MULTILINE)))
        # Each phase's own line ("Stateful ... N generated" and the like), then the closing summary.
        lines = part.output.splitlines()
        phases = [line.strip() for line in lines if re.search(r"\b(Examples|Coverage|Fuzzing|Stateful)\b", line)]
        closing = [line for line in lines[-12:] if line.strip()]
        summaries.append("\n".join([f"--- {part.name}: {part.cases} cases in {part.seconds:.0f} s",
                                     *phases[-8:], *closing]))
        if part.returncode != 0:
            summaries.append(what_went_wrong(part.output))
    return sum(part.cases for part in parts), failures, "\n".join(summaries)


# the fuzz of the input layer -----------------------------------------------------------------------
CONTROL = ["\n", "\r\n", "\t", "\x00", "\x07", "\x1b[31m", "\u2028", "\u0085", "\ud800", "\udfff", "\ufeff"]


def mutate(rng: random.Random, body: object) -> str:
    """One hostile spelling of a body, as raw JSON text (some of it not JSON at all)."""
    text = json.dumps(body)
    kind = rng.randrange(12)
    if kind == 0:
        depth = rng.choice([33, 100, 1000, 5000, 100_000])
        return "[" * depth + text + "]" * depth
    if kind == 1:
        return re.sub(r"(?<=: )(-?\d+(\.\d+)?|\"[^\"]*\")", rng.choice(["NaN", "Infinity", "-Infinity", "1e400",
                                                                        "-1e999", "1" * 5000]), text, count=1)
    if kind == 2:
        value = "".join(rng.choice(["a", " ", *CONTROL]) for _ in range(rng.randrange(1, 30)))
        return re.sub(r'(?<=: )"[^"]*"', lambda _m: json.dumps(value, ensure_ascii=rng.random() < 0.5), text, count=1)
    if kind == 3:
        return text[: rng.randrange(len(text))]
    if kind == 4:
        return re.sub(r"(?<=: )[^,}\]]+", rng.choice(["null", "true", "[]", "{}", '"x"', "-1", "0.5",
                                                      '"' + "9" * 400 + '"']), text, count=rng.randrange(1, 4))
    if kind == 5:
        return text.replace('{"', '{"\\u0000k": 1, "', 1)
    if kind == 6:
        return rng.choice(["", "null", "[]", '"text"', "1", "{}", "{" * 3, "\ufeff{}", "\x00"])
    if kind == 7:
        return text[:-1] + ', "pad": "' + "x" * rng.choice([10_000, 900_000, 2_000_000]) + '"}'
    if kind == 8:
        nested: object = 1
        for _ in range(rng.randrange(30, 40)):
            nested = {"k": nested} if rng.random() < 0.5 else [nested]
        return text[:-1] + ', "deep": ' + json.dumps(nested) + "}"
    if kind == 9:
        return text.replace('"', "'", rng.randrange(1, 4))
    if kind == 10:
        return json.dumps(body, ensure_ascii=False).replace("a", rng.choice(CONTROL), rng.randrange(1, 3))
    return re.sub(r'"([a-zA-Z]+)":', lambda m: f'"{m.group(1)}{rng.choice(["", "X", chr(0x1F600)])}":', text)


def targets(api: Api, ids: dict[str, str]) -> list[tuple[str, str, object, bool]]:
    """(method, path, a valid body, signed in?) for the JSON endpoints that matter most."""
    start = datetime.now(UTC) + timedelta(hours=1)
    permit_body = {"templateId": ids["template"], "projectId": ids["project"], "title": "Fuzz permit",
                   "validFrom": start.isoformat(), "validTo": (start + timedelta(days=1)).isoformat(),
                   "formData": complete_hot_work()}
    permit = ids["permit"]
    return [
        ("POST", "/auth/login", {"email": "someone@site.example", "password": "not-the-password"}, False),
        ("POST", "/auth/forgot-password", {"email": "someone@site.example"}, False),
        ("POST", "/auth/reset-password", {"token": "t" * 40, "password": "Another-password-1"}, False),
        ("POST", "/permits", permit_body, True),
        ("PATCH", f"/permits/{permit}", {"version": 1, "title": "Renamed", "formData": {"workers": 3}}, True),
        ("POST", f"/permits/{permit}/validate", {"sections": ["job"]}, True),
        ("POST", f"/permits/{permit}/cancel", {"reason": "Not needed any more"}, True),
        ("POST", f"/permits/{permit}/approve", {"signature": {"imageBase64": png_base64()}, "comment": "ok"}, True),
        ("POST", "/permits/daily-approve", {"permitIds": [permit]}, True),
        ("POST", "/files/upload-url", {"permitId": permit, "fileName": "a.pdf", "contentType": "application/pdf",
                                       "size": 10}, True),
        ("PATCH", "/notifications/preferences", {"emailEnabled": True, "perEvent": {}}, True),
        ("POST", "/notifications/push-subscriptions", {"endpoint": "https://push.example/x",
                                                      "keys": {"p256dh": "A" * 40, "auth": "B" * 16}}, True),
    ]


def fuzz_bodies(base: str, token: str, ids: dict[str, str], count: int, seed: int) -> tuple[int, Counter[int],
                                                                                             list[str]]:
    rng = random.Random(seed)
    plan = []
    for n in range(count):
        method, path, body, signed_in = rng.choice(targets(Api(base, "10.77.1.1"), ids))
        plan.append((n, method, path, mutate(rng, body), signed_in))
    statuses: Counter[int] = Counter()
    errors: list[str] = []

    def send(case: tuple[int, str, str, str, bool]) -> None:
        n, method, path, text, signed_in = case
        api = Api(base, f"10.78.{n // 250 % 256}.{n % 250 + 1}")
        response = api.request(method, path, token=token if signed_in else "",
                               data=text.encode("utf-8", "surrogatepass"),
                               headers={"Content-Type": "application/json"})
        statuses[response.status_code] += 1
        enveloped = response.headers.get("Content-Type", "").startswith("application/json") and (
            response.json().get("success") in (True, False))
        if response.status_code >= 500 or not enveloped:
            errors.append(f"{method} {path} -> {response.status_code}: {text[:120]!r} ... {response.text[:200]}")
        api.session.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(send, plan))
    return count, statuses, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=60, help="schemathesis examples per operation")
    parser.add_argument("--mutations", type=int, default=4000, help="mutated bodies sent to the input layer")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    started = time.monotonic()
    with running_system("fuzz", overrides={"gateway": UNLIMITED}) as stack:
        base = f"http://127.0.0.1:{stack.ports['gateway']}"
        users = json.loads((stack.var_dir / "demo-users.json").read_text())
        login = {u["role"]: u for u in users}
        receiver_user = next(u for u in users if u["email"].startswith("receiver.downtown"))
        admin, receiver = Api(base, "10.77.0.1"), Api(base, "10.77.0.3")
        admin_token = admin.login(login["SUPER_ADMIN"]["email"], login["SUPER_ADMIN"]["password"])["accessToken"]
        receiver_token = receiver.login(receiver_user["email"], receiver_user["password"])["accessToken"]
        project = next(p["id"] for p in receiver.get("/projects").json()["data"])
        template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
        start = datetime.now(UTC) + timedelta(hours=1)
        permit = receiver.post("/permits", json={
            "templateId": template, "projectId": project, "title": "Fuzz target", "validFrom": start.isoformat(),
            "validTo": (start + timedelta(days=1)).isoformat(), "workAreaId": new_work_area(admin, project),
            "formData": complete_hot_work()}).json()["data"]["id"]
        ids = {"project": project, "template": template, "permit": permit}

        fuzz_started = time.monotonic()
        sent, statuses, body_errors = fuzz_bodies(base, receiver_token, ids, args.mutations, args.seed)
        fuzz_seconds = time.monotonic() - fuzz_started
        st_started = time.monotonic()
        cases, failures, summary = schemathesis(base, admin_token, args.examples, args.seed)
        st_seconds = time.monotonic() - st_started

    print("\n=== input-layer fuzz (mutated bodies through the gateway)")
    print(f"bodies sent:        {sent} in {fuzz_seconds:.0f} s")
    print(f"answers by status:  {dict(sorted(statuses.items()))}")
    print(f"server errors or answers outside the envelope: {len(body_errors)}")
    for line in body_errors[:20]:
        print("  " + line)
    print("\n=== schemathesis (examples, coverage, fuzzing, stateful)")
    print(f"cases generated:    {cases} in {st_seconds:.0f} s")
    print(f"failures:           {failures}")
    print(summary)
    print(f"\ntotal: {sent + cases} cases, {len(body_errors) + failures} server errors or failures, "
          f"{time.monotonic() - started:.0f} s")
    sys.exit(1 if body_errors or failures else 0)


if __name__ == "__main__":
    main()
