"""What the permits service asks the auth service (projects, memberships, names), cached briefly."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from flask import Flask, current_app

from permitto_common.errors import APIError
from permitto_common.internal_http import InternalClient, UpstreamError

_KEY = "permitto.auth_client"
CACHE_SECONDS = 10.0  # a removed assignment stops counting within this many seconds


class AuthDirectory:
    def __init__(self, base_url: str, token: str) -> None:
        self.client = InternalClient(base_url, token, timeout=3.0)
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _get(self, path: str, *, missing_ok: bool = False) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(path)
            if hit and hit[0] > now:
                return hit[1]
        try:
            response = self.client.get(path, raise_for_status=False)
        except UpstreamError as exc:
            raise APIError("The auth service cannot be reached; try again shortly.", status=503) from exc
        if response.status == 404 and missing_ok:
            data = None
        elif response.status != 200:
            raise APIError(f"The auth service answered {response.status}.", status=502)
        else:
            data = response.body["data"]
        with self._lock:
            self._cache[path] = (now + CACHE_SECONDS, data)
        return data

    def project(self, project_id: uuid.UUID) -> dict[str, Any] | None:
        return self._get(f"/internal/projects/{project_id}", missing_ok=True)  # type: ignore[no-any-return]

    def project_ids_of(self, user_id: uuid.UUID | str) -> set[str]:
        return set(self._get(f"/internal/users/{user_id}/project-ids"))

    def users(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = self._get("/internal/users?ids=" + ",".join(sorted(ids)))
        return {row["id"]: row for row in rows}


def init_directory(app: Flask, base_url: str) -> None:
    app.extensions[_KEY] = AuthDirectory(base_url, app.config["INTERNAL_API_TOKEN"])


def directory() -> AuthDirectory:
    client: AuthDirectory = current_app.extensions[_KEY]
    return client
