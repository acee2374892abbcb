"""`make test`: lint, type-check, every service's tests, the web app's own checks (eslint, tsc, vitest,
the build), the cross-service tests through the gateway with the browser tests among them, then the
delivery checks (what would otherwise need a Docker engine).

PostgreSQL and Redis come from DATABASE_URL / REDIS_URL when set; otherwise embedded ones are
started once here and shared by every step. Any failure, or a step that ran no test, fails the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .browser import find_chromium
from .engines import Postgres, Redis, free_port, remove_scratch
from .stack import REPO_ROOT
from .webbuild import WebBuildError, ensure_built, ensure_dependencies, npm

PACKAGES = [
    "permitto_common",
    "devstack",
    "permitto_auth",
    "permitto_permits",
    "permitto_files",
    "permitto_notifications",
    "permitto_gateway",
]
UNIT_TEST_DIRS = [
    "libs/common/tests",
    "services/auth/tests",
    "services/permits/tests",
    "services/files/tests",
    "services/notifications/tests",
    "gateway/tests",
]
PYTEST_NO_TESTS = 5
# Cross-service test files that start a system of their own (or several): they run beside the ones that
# share the session's system, in pytests of their own, since most of their time is spent waiting.
OWN_SYSTEM_TESTS = ["tests/test_outages.py", "tests/test_make_up.py"]
API_DOCUMENT_TESTS = ["tests/test_api_docs.py"]
# The browser tests drive a second system (its own databases and Redis database) beside the first; the
# notification and daily-cycle tests, slow with waiting, a third one after the API document's is stopped.
SECOND_SYSTEM_TESTS = ["tests/browser"]
THIRD_SYSTEM_TESTS = ["tests/test_notifications.py", "tests/test_daily.py"]


def verdict(name: str, code: int, elapsed: float) -> None:
    if code == PYTEST_NO_TESTS:
        sys.exit(f"=== {name}: FAILED, no test was collected ({elapsed:.0f} s)")
    if code != 0:
        sys.exit(f"=== {name}: FAILED with exit code {code} ({elapsed:.0f} s)")
    print(f"=== {name}: ok ({elapsed:.0f} s)", flush=True)


def run(name: str, args: list[str], env: dict[str, str]) -> None:
    print(f"\n=== {name}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(args, cwd=REPO_ROOT, env=env)
    verdict(name, code, time.monotonic() - started)


def run_beside(name: str, args: list[str], others: list[tuple[str, list[str], dict[str, str]]],
               env: dict[str, str]) -> None:
    """Test runs at once: the first prints as it goes, each other's output follows when it ends; every
    output is printed before any verdict, so one failure does not hide another's output."""
    print(f"\n=== {name}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    running = [Beside(other_name, other_args, {**env, **other_env}, label="beside it")
               for other_name, other_args, other_env in others]
    try:
        code = subprocess.call(args, cwd=REPO_ROOT, env=env)
        codes = [(step.name, step.finish()) for step in running]
    finally:
        for step in running:
            step.stop()
    elapsed = time.monotonic() - started
    for other_name, other_code in codes:
        verdict(other_name, other_code, elapsed)
    verdict(name, code, elapsed)


class Beside:
    """A step run in the background while another runs in the foreground (each mostly on one core of
    two); its output is printed when it is waited for."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], *,
                 label: str = "beside the next step") -> None:
        print(f"=== {name} ({label}): {' '.join(args)}", flush=True)
        self.name = name
        self.started = time.monotonic()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in finish or stop
        self.popen = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def finish(self) -> int:
        """Wait for it, print its output, and give its exit code."""
        code = self.popen.wait()
        self.log.seek(0)
        print(f"\n=== {self.name} output:", flush=True)
        sys.stdout.buffer.write(self.log.read())
        sys.stdout.flush()
        self.log.close()
        return code

    def wait(self) -> None:
        """Finish it and give its verdict."""
        code = self.finish()
        verdict(self.name, code, time.monotonic() - self.started)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self.log.close()


class Chromium:
    """Debian's chromium for the browser tests: installed with apt when missing and this runs as root, in
    the background while the earlier steps run; otherwise a clear message (the browser tests then fail
    saying the same, they never skip)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.started = time.monotonic()

    def start(self) -> None:
        if find_chromium():
            return
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            print("=== chromium is missing and this is not root with apt: install Debian's chromium "
                  "(apt-get install chromium) or set CHROMIUM; the browser tests fail without it", flush=True)
            return
        print("=== installing Debian's chromium for the browser tests (apt-get, in the background)", flush=True)
        script = "apt-get update -qq && apt-get install -y -qq chromium"
        self.process = subprocess.Popen(["sh", "-c", script], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait(self) -> None:
        if self.process is None:
            return
        _, errors = self.process.communicate()
        if self.process.returncode != 0:
            sys.exit(f"=== installing chromium failed ({self.process.returncode}): {errors.decode(errors='replace')}")
        print(f"=== chromium installed ({time.monotonic() - self.started:.0f} s)", flush=True)


def web_checks() -> None:
    """The web app's own checks: eslint, tsc (app and service worker), vitest, and the production build."""
    started = time.monotonic()
    try:
        ensure_dependencies()
    except WebBuildError as exc:
        sys.exit(f"=== web app: FAILED installing its packages: {exc}")
    for name, script in (("eslint", "lint"), ("tsc", "typecheck"), ("vitest", "test")):
        print(f"\n=== web {name}: npm run {script}", flush=True)
        try:
            npm("run", "--silent", script)
        except WebBuildError as exc:
            sys.exit(f"=== web {name}: FAILED ({exc})")
    try:
        ensure_built()
    except WebBuildError as exc:
        sys.exit(f"=== web build: FAILED: {exc}")
    print(f"=== web app checks: ok ({time.monotonic() - started:.0f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["lint", "typecheck", "web", "unit", "cross", "delivery"], action="append")
    args = parser.parse_args()
    steps = args.only or ["lint", "typecheck", "web", "unit", "cross", "delivery"]

    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    started: list[Postgres | Redis] = []
    beside: list[Beside] = []
    chromium = Chromium()
    if "cross" in steps:
        chromium.start()
    workers = env.get("PYTEST_WORKERS", "2")
    base: Path | None = None
    try:
        if {"unit", "cross", "delivery"} & set(steps):
            base = Path(tempfile.mkdtemp(prefix="permitto-testrun-"))
            if not env.get("DATABASE_URL"):
                postgres = Postgres(base / "postgres", free_port(), durable=False)
                postgres.start()
                started.append(postgres)
                env["DATABASE_URL"] = postgres.url()
                print(f"started PostgreSQL for the tests on port {postgres.port}", flush=True)
            if not env.get("REDIS_URL"):
                redis = Redis(free_port())
                redis.start()
                started.append(redis)
                env["REDIS_URL"] = redis.url()
                print(f"started Redis for the tests on port {redis.port}", flush=True)
        suite_started = time.monotonic()
        if "lint" in steps:
            run("lint", [sys.executable, "-m", "ruff", "check", "."], env)
        if "typecheck" in steps:
            # mypy and the web app's checks each keep about one core busy: side by side on two.
            typecheck = Beside("typecheck", [sys.executable, "-m", "mypy", *[f"--package={p}" for p in PACKAGES]],
                               env)
            beside.append(typecheck)
        if "web" in steps:
            web_checks()
        if "typecheck" in steps:
            typecheck.wait()
        if "unit" in steps:
            run("service tests", [sys.executable, "-m", "pytest", "-n", workers, *UNIT_TEST_DIRS], env)
        if "cross" in steps:
            chromium.wait()
            shared = [sys.executable, "-m", "pytest", "-p", "no:xdist", "tests", "--ignore=tests/delivery",
                      *[f"--ignore={path}" for path in
                        OWN_SYSTEM_TESTS + API_DOCUMENT_TESTS + SECOND_SYSTEM_TESTS + THIRD_SYSTEM_TESTS]]
            own = [sys.executable, "-m", "pytest", "-p", "no:xdist", *OWN_SYSTEM_TESTS]
            browser = [sys.executable, "-m", "pytest", "-p", "no:xdist", *SECOND_SYSTEM_TESTS]
            # pytest runs the files in this order: the API document's system stops with its module, before
            # the third system starts for the rest.
            docs = [sys.executable, "-m", "pytest", "-p", "no:xdist", *API_DOCUMENT_TESTS, *THIRD_SYSTEM_TESTS]
            run_beside("cross-service tests", shared, [
                ("browser tests", browser, {"PERMITTO_TEST_SYSTEM": "second", "PERMITTO_TEST_REDIS_DB": "13"}),
                ("cross-service tests with systems of their own", own, {}),
                ("the API document and its fuzzing, then the notification and daily-cycle tests", docs,
                 {"PERMITTO_TEST_SYSTEM": "third", "PERMITTO_TEST_REDIS_DB": "12"}),
            ], env)
        if "delivery" in steps:
            # Dockerfiles, compose, workflows, Railway, env lists; production commands from clean venvs.
            run("delivery checks", [sys.executable, "-m", "pytest", "-n", workers, "--dist", "loadfile",
                                    "tests/delivery"], env)
        print(f"\nall steps passed in {time.monotonic() - suite_started:.0f} s", flush=True)
    finally:
        for step in beside:
            step.stop()  # a step that failed before it was waited for stops it too
        for engine in reversed(started):
            engine.stop()
        if base is not None:
            remove_scratch(base, "the test run's engines' folder")


if __name__ == "__main__":
    main()
