"""What a phone on a site needs beyond the happy path: the app served with its own caching and CSP, a
draft started with no signal that is kept, survives a reload, and syncs by itself when the connection
returns; the app shell opening offline; a push shown by the service worker; and the "update available"
prompt when a new version is deployed."""

from __future__ import annotations

import json
import re

import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from devstack.api_client import Api

WORKER_STATE = """async () => {
  const r = await navigator.serviceWorker.getRegistration();
  return r ? {installing: r.installing?.state ?? null, waiting: r.waiting?.state ?? null,
              active: r.active?.state ?? null} : null;
}"""


def worker_ready(page, seconds: float = 30) -> None:
    """Wait, for a bounded time, until the page's service worker is active. navigator.serviceWorker.ready
    never settles when the worker fails to install, so awaited bare it hangs until pytest's own limit.
    Every wait_for_function here is given a function, never a bare expression: Playwright evaluates an
    expression again at each poll, which the app's CSP (no 'unsafe-eval') refuses after the first, so a
    worker not ready at once failed the test; a function is evaluated once and then called."""
    page.evaluate("() => { navigator.serviceWorker.ready.then(() => { window.__workerReady = true; }); }")
    try:
        page.wait_for_function("() => window.__workerReady === true", timeout=seconds * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"the service worker was not active after {seconds:g} s; "
                             f"its registration: {page.evaluate(WORKER_STATE)}") from None


def controlled(screen) -> None:
    """Wait for the service worker, then reload so it controls the page (it does not before)."""
    worker_ready(screen.page)
    screen.page.reload()
    screen.page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_the_app_is_served_with_its_own_caching_and_security_headers(gateway, built_app):
    browser_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    root = requests.get(gateway + "/", headers=browser_accept, allow_redirects=False, timeout=10)
    assert root.status_code == 302
    assert root.headers["Location"].endswith("/app/")
    assert requests.get(gateway + "/", timeout=10).json()["data"]["app"] == "/app/"  # an API client still learns

    index = requests.get(gateway + "/app/", timeout=10)
    assert index.status_code == 200
    assert "<div id=\"root\">" in index.text
    assert index.headers["Cache-Control"] == "no-cache"
    csp = index.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"connect-src 'self' http://127\.0\.0\.1:\d+", csp)  # uploads go straight to storage

    script = re.search(r'src="(/app/assets/[^"]+\.js)"', index.text).group(1)
    asset = requests.get(gateway + script, timeout=10)
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Type"].startswith("text/javascript")
    worker = requests.get(gateway + "/app/sw.js", timeout=10)
    assert worker.status_code == 200
    assert worker.headers["Cache-Control"] == "no-cache"
    manifest = requests.get(gateway + "/app/manifest.webmanifest", timeout=10)
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "/app/"

    deep = requests.get(gateway + "/app/permits/0b7c2a4e-52f1-4f0e-9d62-3c1c1e5b9a10", timeout=10)
    assert deep.status_code == 200
    assert deep.text == index.text
    missing = requests.get(gateway + "/app/assets/nothing-here.js", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    escape = requests.get(gateway + "/app/..%2f..%2fpyproject.toml", timeout=10)
    assert escape.status_code == 404


def test_a_draft_started_offline_is_kept_and_syncs_when_the_connection_returns(open_app, gateway, tokens):
    screen = open_app(email="receiver.harbor@permitto.example")
    page = screen.page
    controlled(screen)
    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Hot Work", exact=False).wait_for()
    api = Api(gateway, "10.252.0.1")
    api.token = tokens["receiver.harbor"]
    hot_work = next(t["id"] for t in api.get("/templates").json()["data"] if t["type"] == "HW")
    page.wait_for_function("""async (hotWork) => {  // the form and the areas are kept on the phone for offline use
        const db = await new Promise(r => { const q = indexedDB.open('permitto'); q.onsuccess = () => r(q.result); });
        const keys = await new Promise(r => { const q = db.transaction('cache').objectStore('cache').getAllKeys();
                                              q.onsuccess = () => r(q.result); });
        return keys.includes(`template:${hotWork}:latest`) && keys.some(k => String(k).startsWith('areas:'));
    }""", arg=hot_work)
    jetty = page.get_by_label("Work area", exact=False).locator("option", has_text="(JETTY)")
    jetty.wait_for(state="attached")  # what the receiver saw before the signal went

    screen.context.set_offline(True)
    page.get_by_text("You are offline").wait_for()
    page.get_by_label("Hot Work", exact=False).check()
    page.get_by_label("Title").fill("Offline: weld bollard bases at gate 2")
    page.get_by_label("Work area", exact=False).select_option(label="Jetty and loading arms (JETTY)")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="Job details").wait_for()
    page.get_by_test_id("not-sent").wait_for()
    page.get_by_label("Exact work location", exact=False).fill("Gate 2, bollards 4-9")
    page.get_by_label("Number of workers", exact=False).fill("3")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Hazards and fire precautions").wait_for()
    assert "Not yet sent (2)" in page.get_by_test_id("not-sent").inner_text()
    screen.shot("new-permit-offline-phone")
    screen.axe("a draft kept offline")

    # The phone closes the tab and opens the app again, still with no signal: the shell comes from the
    # service worker, and the draft from IndexedDB.
    page.reload()
    page.get_by_role("heading", name="Job details").wait_for()
    assert page.get_by_label("Exact work location", exact=False).input_value() == "Gate 2, bollards 4-9"
    page.get_by_test_id("unsent-banner").wait_for()
    screen.go("")
    page.get_by_role("heading", name=re.compile("On this phone, not yet sent")).wait_for()
    screen.shot("home-offline-phone")
    screen.axe("home while offline")

    assert not list(api.get("/permits", params={"q": "bollard"}).json()["data"])

    screen.context.set_offline(False)  # the 'online' event replays the queue, in order, once
    page.get_by_test_id("unsent-banner").wait_for(state="detached", timeout=20_000)
    found = api.get("/permits", params={"q": "bollard"}).json()["data"]
    assert [p["title"] for p in found] == ["Offline: weld bollard bases at gate 2"]
    saved = api.get(f"/permits/{found[0]['id']}").json()["data"]
    assert saved["formData"]["location"] == "Gate 2, bollards 4-9"
    assert saved["formData"]["workers"] == 3
    assert saved["version"] == 2  # created once, saved once: no replay was applied twice

    # A phone that never kept the project's areas says so beside the field, and loads them when the signal
    # comes back, rather than offering an empty choice with no reason.
    page.evaluate("""async () => {
        const db = await new Promise(r => { const q = indexedDB.open('permitto'); q.onsuccess = () => r(q.result); });
        const store = db.transaction('cache', 'readwrite').objectStore('cache');
        const keys = await new Promise(r => { const q = store.getAllKeys(); q.onsuccess = () => r(q.result); });
        await Promise.all(keys.filter(k => String(k).startsWith('areas:')).map(k =>
            new Promise(r => { store.delete(k).onsuccess = r; })));
        db.close();
    }""")
    screen.context.set_offline(True)
    page.get_by_text("You are offline").wait_for()
    page.get_by_role("link", name="New", exact=True).click()
    unloaded = page.get_by_test_id("areas-unloaded")
    assert unloaded.inner_text() == "The work areas are not on this phone yet: they load when you are back online."
    screen.shot("new-permit-areas-not-kept-offline-phone")
    screen.context.set_offline(False)
    jetty.wait_for(state="attached")
    assert unloaded.count() == 0
    api.session.close()


def test_a_push_message_is_shown_by_the_service_worker(open_app, app_url):
    screen = open_app(email="receiver.downtown@permitto.example", permissions=["notifications"])
    controlled(screen)
    cdp = screen.context.new_cdp_session(screen.page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    screen.page.wait_for_timeout(500)
    registration = next(r for r in registrations if r["scopeURL"].endswith("/app/"))
    message = {"id": "3f1e8f8e-6d1a-4d5e-9d1f-8a5b6c7d8e9f", "title": "DOWNTOWN-HW-2026-042 approved",
               "body": "Weld brackets C4 — given final approval.", "permitId": "5a0c7a52-8a1e-4f44-a4f9-1d2f3e4a5b6c",
               "link": app_url + "permits/5a0c7a52-8a1e-4f44-a4f9-1d2f3e4a5b6c"}
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": app_url.split("/app/")[0],
                                                  "registrationId": registration["registrationId"],
                                                  "data": json.dumps(message)})
    shown = None
    for _ in range(50):
        shown = screen.page.evaluate("""async () => (await (await navigator.serviceWorker.ready).getNotifications())
            .map(n => ({title: n.title, body: n.body, url: n.data && n.data.url}))""")
        if shown:
            break
        screen.page.wait_for_timeout(100)
    assert shown == [{"title": message["title"], "body": message["body"],
                      "url": "/app/permits/5a0c7a52-8a1e-4f44-a4f9-1d2f3e4a5b6c"}]


def test_a_new_deployment_offers_an_update(open_app, built_app):
    screen = open_app(email="receiver.downtown@permitto.example")
    controlled(screen)
    page = screen.page
    worker = built_app / "sw.js"
    original = worker.read_bytes()
    try:
        # A deployment changes the service worker (its precache list names the new files).
        worker.write_bytes(original + b"\n// the next deployment\n")
        page.evaluate("async () => { await (await navigator.serviceWorker.getRegistration()).update(); }")
        page.get_by_text("A new version of Permitto is available.").wait_for(timeout=20_000)
        screen.shot("update-available-phone")
        screen.axe("the update prompt")
        with page.expect_navigation():
            page.get_by_role("button", name="Update now").click()
        page.get_by_role("heading", name="Hello", exact=False).wait_for()
        assert page.get_by_text("A new version of Permitto is available.").count() == 0
    finally:
        worker.write_bytes(original)


def test_push_opt_in_speaks_plainly_and_iphones_get_the_home_screen_hint(open_app):
    # Chromium keeps the Push API from private (automated) windows: the opt-in says so in words.
    screen = open_app(email="issuer.downtown@permitto.example", permissions=["notifications"])
    worker_ready(screen.page)
    screen.page.get_by_role("link", name="Settings").click()
    screen.page.get_by_role("button", name="Turn on push notifications").click()
    screen.page.get_by_text("This browser could not turn on push notifications").wait_for()

    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/18.1 Mobile/15E148 Safari/604.1")
    phone = open_app(email="receiver.downtown@permitto.example", user_agent=iphone)
    phone.page.get_by_role("link", name="Settings").click()
    phone.page.get_by_text("tap Share, then “Add to Home Screen”", exact=False).wait_for()
    phone.shot("settings-iphone")
    phone.axe("settings with the Home Screen hint")
