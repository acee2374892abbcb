"""What the permits service asks the auth service (projects, memberships, names), cached until auth
says that something changed (a removed assignment stops counting at once)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, current_app

from permitto_common.cache import DIRECTORY_CHANNEL, ChannelCache
from permitto_common.errors import APIError
from permitto_common.internal_http import InternalClient, UpstreamError

_KEY = "permitto.auth_client"
CACHE_SECONDS = 10.0  # a backstop for a lost notice only: auth's change notice drops the copies at once


class AuthDirectory:
    def __init__(self, base_url: str, token: str, redis_url: str) -> None:
        self.client = InternalClient(base_url, token, timeout=3.0)
        self.cache = ChannelCache(redis_url, DIRECTORY_CHANNEL, ttl=CACHE_SECONDS)

    def _get(self, path: str, *, missing_ok: bool = False) -> Any:
        return self.cache.get(path, lambda: self._fetch(path, missing_ok=missing_ok))

    def _fetch(self, path: str, *, missing_ok: bool) -> Any:
        try:
            response = self.client.get(path, raise_for_status=False)
        except UpstreamError as exc:
            raise APIError("The auth service cannot be reached; try again shortly.", status=503) from exc
        if response.status == 404 and missing_ok:
            return None
        if response.status != 200:
            raise APIError(f"The auth service answered {response.status}.", status=502)
        return response.body["data"]

    def project(self, project_id: uuid.UUID) -> dict[str, Any] | None:
        return self._get(f"/internal/projects/{project_id}", missing_ok=True)  # type: ignore[no-any-return]

    def project_ids_of(self, user_id: uuid.UUID | str) -> set[str]:
        return set(self._get(f"/internal/users/{user_id}/project-ids"))

    def users(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = self._get("/internal/users?ids=" + ",".join(sorted(ids)))
        return {row["id"]: row for row in rows}


def init_directory(app: Flask, base_url: str, redis_url: str) -> None:
    app.extensions[_KEY] = AuthDirectory(base_url, app.config["INTERNAL_API_TOKEN"], redis_url)


def directory() -> AuthDirectory:
    client: AuthDirectory = current_app.extensions[_KEY]
    return client
