"""Smoke tests of a running Permitto through its gateway: what CI asks of the images it built before it
pushes them, and what an operator asks of a fresh deployment. Only the standard library.

    python infra/scripts/smoke.py --url http://127.0.0.1:8000 --version <commit>

Each check prints a line; the exit code is the number of failed checks."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def fetch(url: str, *, method: str = "GET", body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 (the address given to us)
                                     headers={"Content-Type": "application/json", "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def checks(base: str, version: str) -> list[tuple[str, Callable[[], str | None]]]:
    """(what, check): a check answers None when it holds, else what is wrong."""

    def live() -> str | None:
        status, _, body = fetch(base + "/healthz")
        found = json.loads(body).get("data", {}).get("version") if status == 200 else None
        return None if found == version else f"/healthz answered {status}, version {found}"

    def ready() -> str | None:
        status, _, body = fetch(base + "/readyz")
        data = json.loads(body).get("data", {})
        versions = {name: c.get("version") for name, c in data.get("checks", {}).items() if "version" in c}
        versions["gateway"] = data.get("version")
        if status != 200 or set(versions.values()) != {version} or len(versions) < 5:
            return f"/readyz answered {status}, versions {versions}"
        return None

    def app() -> str | None:
        status, headers, body = fetch(base + "/app/")
        ok = status == 200 and b"<html" in body.lower() and "content-security-policy" in {k.lower() for k in headers}
        return None if ok else f"/app/ answered {status} without the app or its CSP"

    def docs() -> str | None:
        status, _, body = fetch(base + "/api/v1/openapi.json")
        paths = json.loads(body).get("paths", {}) if status == 200 else {}
        return None if len(paths) > 50 else f"the API document answered {status} with {len(paths)} paths"

    def refused_login() -> str | None:
        status, _, body = fetch(base + "/api/v1/auth/login", method="POST",
                                body={"email": "smoke@permitto.invalid", "password": "not-the-password-1"})
        code = json.loads(body).get("error", {}).get("code") if body else None
        return None if status == 401 and code else f"a wrong sign-in answered {status} {body[:200]!r}"

    def unknown_check() -> str | None:
        status, _, body = fetch(base + "/verify/not-a-real-token")
        return None if status in (200, 404) and b"<html" in body.lower() else f"/verify/… answered {status}"

    def anonymous_refused() -> str | None:
        status, _, _ = fetch(base + "/api/v1/permits")
        return None if status == 401 else f"an anonymous permit list answered {status}"

    return [("alive, running this version", live), ("ready: every service, this version, migrated", ready),
            ("the web app with its CSP", app), ("the API document", docs), ("a wrong sign-in refused", refused_login),
            ("the public permit check", unknown_check), ("no permits without signing in", anonymous_refused)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args(argv)
    failed = 0
    for what, check in checks(args.url.rstrip("/"), args.version):
        try:
            problem = check()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        print(f"{'ok  ' if problem is None else 'FAIL'} {what}" + (f": {problem}" if problem else ""), flush=True)
        failed += problem is not None
    return failed


if __name__ == "__main__":
    sys.exit(main())
