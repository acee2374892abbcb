"""The web app in a real headless Chromium (Debian's), driven by Playwright for Python, against the same
running system as the other cross-service tests. No browser is downloaded: `make test` installs
Debian's chromium first; without it these tests fail with a message saying so, they never skip.

Every test may write screenshots to var/screenshots/ (named by screen and viewport) and checks its
screens with axe-core for WCAG 2.1 A and AA violations."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devstack.browser import CHROMIUM_FLAGS, find_chromium
from devstack.stack import REPO_ROOT
from devstack.webbuild import ensure_built

SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
AXE = REPO_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 860}, "device_scale_factor": 1}
TABLET = {"viewport": {"width": 820, "height": 1180}, "device_scale_factor": 1, "has_touch": True}  # a wall screen
PASSWORD = "Permitto-demo-2026"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def link_in_email(mailbox) -> Callable[..., str]:
    """link_in_email(address, pattern): the link matching pattern in the newest email to address that has
    one, waiting until there is one."""
    return lambda address, pattern, timeout=30.0: _link_in_email(mailbox, address, pattern, timeout)


def _link_in_email(mailbox, address: str, pattern: str, timeout: float) -> str:
    import re
    import time

    deadline = time.monotonic() + timeout
    subjects: list[str] = []
    while time.monotonic() < deadline:
        messages = mailbox(address, count=1, timeout=timeout)
        subjects = [str(m["Subject"]) for m in messages]
        for message in reversed(messages):  # the newest first
            found = re.search(pattern, message.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no email to {address} has a link like {pattern}; it has: {subjects}")


def chromium_path() -> str:
    found = find_chromium()
    if not found:
        pytest.fail("Chromium is not installed. `make test` installs Debian's chromium with apt when it runs as root; "
                    "otherwise install it yourself (apt-get install chromium) or set CHROMIUM to its path.",
                    pytrace=False)
    return found


@pytest.fixture(scope="session")
def built_app() -> Path:
    return ensure_built(say=False)


@pytest.fixture(scope="session")
def browser(built_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def app_url(system) -> str:
    # The address the system's links use (APP_URL): cookies are per host, so the browser uses the same one.
    return f"http://localhost:{system.ports['gateway']}/app/"


@dataclass
class Screen:
    """A page of the app in its own browser context (one person on one phone), with what went wrong in it."""

    page: Any
    context: Any
    base: str
    errors: list[str] = field(default_factory=list)

    def go(self, path: str = "") -> None:
        self.page.goto(self.base + path.lstrip("/"))

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # Signed in: the app's shell, on whatever screen the address names. With the standard argon2id
        # profile a sign-in cost 0.3 s of a core and, with four test systems on 2 cores, took over 15 s; the
        # tests' systems hash lightly now (permitto_auth.passwords), and the wait stays for a busy box.
        page.locator("header.top").wait_for(timeout=45_000)

    def fill(self, answers: dict[str, str]) -> None:
        """Type answers into the fields whose labels start with these words."""
        for label, value in answers.items():
            self.page.get_by_label(label, exact=False).fill(value)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")  # else the fixed header lands where the page was scrolled to
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, what: str) -> None:
        """No WCAG 2.1 A/AA violation on the screen as it is now."""
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text())  # through the debugging protocol, so the app's CSP is untouched
        result = page.evaluate("""async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""", WCAG_21_AA)
        assert result == [], f"axe found WCAG 2.1 AA violations on {what}:\n{json.dumps(result, indent=1)}"

    def wait_text(self, text: str, timeout: float = 15_000) -> None:
        self.page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()
_contexts = itertools.count(1)


def client_address() -> str:
    """Each browser context speaks for a phone of its own, as the API tests' clients do (the test systems'
    gateway trusts one proxy hop): sign-ins from one address are limited, by the gateway and by auth (30 in
    five minutes), and a whole browser suite signs in more often than that from 127.0.0.1."""
    n = next(_contexts)
    return f"10.251.{n // 250}.{n % 250 + 1}"


@pytest.fixture
def open_app(browser, app_url, request) -> Iterator[Callable[..., Screen]]:
    """open_app(viewport="phone"|"tablet"|"desktop", email=None): a fresh browser context on the app, signed in
    when an email is given. Uncaught errors in the page fail the test."""
    opened: list[Screen] = []

    def make(viewport: str = "phone", email: str | None = None, path: str = "", **options: Any) -> Screen:
        settings = {**{"phone": PHONE, "tablet": TABLET}.get(viewport, DESKTOP),
                    "extra_http_headers": {"X-Forwarded-For": client_address()}, **options}
        context = browser.new_context(**settings)
        page = context.new_page()
        page.set_default_timeout(15_000)
        screen = Screen(page, context, app_url)
        page.on("pageerror", lambda error: screen.errors.append(str(error)))
        opened.append(screen)
        screen.go(path)
        if email:
            screen.sign_in(email)
        return screen

    yield make
    if request.node.stash.get(FAILED, False):  # what each person saw when it failed, for the one debugging it
        for index, screen in enumerate(opened):
            try:
                screen.shot(f"failed-{request.node.name}-{index}")
            except Exception as exc:
                print(f"no failure screenshot of screen {index}: {exc}")
    problems = [f"{error}" for screen in opened for error in screen.errors]
    for screen in opened:
        screen.context.close()
    assert not problems, "uncaught errors in the page: " + "; ".join(problems)
