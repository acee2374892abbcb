"""Benchmark: the web app's budgets, measured in Debian's Chromium against a running system.

1. JavaScript shipped for the first screen, gzipped (budget 100 kB): every script index.html loads or
   preloads, compressed as the wire would carry it.
2. With the network throttled through the debugging protocol, on a cold cache (no service worker yet):
   - the sign-in screen usable (its button visible and enabled) after navigation starts (budget 2 s);
   - the permit list shown after the Sign in tap, signing in from the list's own address (budget 1 s).
   Two profiles: "slow 4G" as Lighthouse throttles phones (150 ms round trip, 1.6 Mbit/s down,
   750 kbit/s up; the budget's profile), and Chrome DevTools' harsher "Slow 4G" preset (562.5 ms,
   1.44 Mbit/s, 675 kbit/s), for reference.
Prints the median of --runs runs per profile.

    .venv/bin/python bench/web.py [--runs 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time

from devstack.api_client import Api
from devstack.browser import CHROMIUM_FLAGS, find_chromium
from devstack.stack import running_system
from devstack.webbuild import DIST, ensure_built

PROFILES = {
    "slow 4G (Lighthouse)": {"latency": 150, "download": 1_638_400 / 8, "upload": 750_000 / 8},
    "Slow 4G (DevTools)": {"latency": 562.5, "download": 1_440_000 / 8, "upload": 675_000 / 8},
}
BUDGET_JS_KB, BUDGET_SIGN_IN_S, BUDGET_LIST_S = 100.0, 2.0, 1.0


def first_screen_js() -> tuple[float, list[str]]:
    index = (DIST / "index.html").read_text()
    scripts = re.findall(r'<script[^>]+src="/app/([^"]+\.js)"', index) + re.findall(
        r'<link rel="modulepreload"[^>]+href="/app/([^"]+\.js)"', index)
    total = sum(len(gzip.compress((DIST / name).read_bytes(), compresslevel=6)) for name in scripts)
    return total / 1024, scripts


def measure(browser, app: str, email: str, password: str, profile: dict[str, float]) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": profile["latency"],
                                                  "downloadThroughput": profile["download"],
                                                  "uploadThroughput": profile["upload"]})
    started = time.perf_counter()
    page.goto(app + "permits", wait_until="commit")
    button = page.get_by_role("button", name="Sign in")
    button.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('button[type=submit]').disabled")
    sign_in = time.perf_counter() - started
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    tapped = time.perf_counter()
    button.click()
    page.get_by_test_id("permit-list").get_by_role("listitem").first.wait_for(timeout=30_000)
    listed = time.perf_counter() - tapped
    context.close()
    return sign_in, listed


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_built(say=False)
    kilobytes, scripts = first_screen_js()
    print(f"JavaScript for the first screen: {kilobytes:.1f} kB gzipped ({len(scripts)} file(s)); "
          f"budget {BUDGET_JS_KB:.0f} kB: {'ok' if kilobytes <= BUDGET_JS_KB else 'OVER'}")
    with running_system("bench_web") as stack:
        gateway = f"http://localhost:{stack.ports['gateway']}"
        users = json.loads((stack.var_dir / "demo-users.json").read_text())
        email, password = "receiver.downtown@permitto.example", users[0]["password"]
        api = Api(gateway, "127.0.0.1")
        api.login(email, password)
        template = next(t["id"] for t in api.get("/templates").json()["data"] if t["type"] == "HW")
        project = next(p["id"] for p in api.get("/projects").json()["data"] if p["code"] == "DOWNTOWN")
        for n in range(20):  # a list worth showing: one full page
            api.post("/permits", json={"templateId": template, "projectId": project, "title": f"Bench permit {n}",
                                       "validFrom": "2027-02-01T08:00:00", "validTo": "2027-02-03T17:00:00"})
        with sync_playwright() as playwright:
            chromium = find_chromium()
            if chromium is None:
                sys.exit("Chromium is not installed: apt-get install chromium (or set CHROMIUM to its path)")
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            for name, profile in PROFILES.items():
                runs = [measure(browser, gateway + "/app/", email, password, profile) for _ in range(args.runs)]
                sign_in = statistics.median(r[0] for r in runs)
                listed = statistics.median(r[1] for r in runs)
                verdict = "" if "Lighthouse" not in name else (
                    f"   budgets {BUDGET_SIGN_IN_S:.0f} s / {BUDGET_LIST_S:.0f} s: "
                    f"{'ok' if sign_in <= BUDGET_SIGN_IN_S and listed <= BUDGET_LIST_S else 'OVER'}")
                print(f"{name:<22} sign-in usable {sign_in:.2f} s, permit list shown {listed:.2f} s after "
                      f"the tap (median of {args.runs}){verdict}")
            browser.close()


if __name__ == "__main__":
    main()
