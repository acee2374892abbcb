"""Liveness (no I/O: Railway's health check, which must not fail while Redis is down) and readiness (each
dependency checked, the database's migrations included: for load balancing and the deploy gate). Both
name the running version, the commit the image was built from, so a deploy gate can wait for the new
one to answer."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Flask, Response, current_app, jsonify

log = logging.getLogger(__name__)

Check = Callable[[], "dict[str, object] | None"]  # raises when not usable; may report what it found

_CHECKS_KEY = "permitto.readiness_checks"


def add_readiness_check(app: Flask, name: str, check: Check) -> None:
    app.extensions.setdefault(_CHECKS_KEY, {})[name] = check


def _run_one(name: str, check: Check) -> dict[str, object]:
    started = time.perf_counter()
    try:
        found = check()
        result: dict[str, object] = {"ok": True, **(found or {})}
    except Exception as exc:  # any failure means not ready; the reason is reported
        log.warning("readiness check %s failed: %s", name, exc)
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def run_checks(checks: dict[str, Check], *, parallel: bool = False) -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; in parallel when each one waits on the network (the gateway's services)."""
    if parallel and len(checks) > 1:
        with ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz") as pool:
            futures = {name: pool.submit(_run_one, name, check) for name, check in checks.items()}
            results = {name: future.result() for name, future in futures.items()}
    else:
        results = {name: _run_one(name, check) for name, check in checks.items()}
    return all(result["ok"] for result in results.values()), results


def running_version() -> str:
    """The commit this process runs: baked into the image at build time (PERMITTO_VERSION), else "dev"."""
    return os.environ.get("PERMITTO_VERSION") or "dev"


def health_blueprint() -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify({"success": True, "data": {"status": "ok", "service": current_app.name,
                                                  "version": running_version()}})

    @bp.get("/readyz")
    def readyz() -> Response:
        ready, results = run_checks(
            current_app.extensions.get(_CHECKS_KEY, {}), parallel=current_app.config.get("READYZ_PARALLEL", False)
        )
        failed = [name for name, result in results.items() if not result["ok"]]
        if ready:
            return jsonify({"success": True, "data": {"status": "ready", "version": running_version(),
                                                      "checks": results}})
        body = {
            "success": False,
            "error": {
                "code": "NOT_READY",
                "message": "Not ready: " + ", ".join(failed) + " failed.",
                "details": [{"field": name, "message": str(results[name]["error"])} for name in failed],
            },
            "data": {"status": "not_ready", "version": running_version(), "checks": results},
        }
        response = jsonify(body)
        response.status_code = 503
        return response

    return bp
