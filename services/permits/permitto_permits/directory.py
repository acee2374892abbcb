"""What the permits service asks the auth service (projects, memberships, names), cached until auth
says that something changed (a removed assignment stops counting at once)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, current_app

from permitto_common.cache import DIRECTORY_CHANNEL, ChannelCache

from .extensions import auth

_KEY = "permitto.auth_client"
CACHE_SECONDS = 10.0  # a backstop for a lost notice only: auth's change notice drops the copies at once


class AuthDirectory:
    def __init__(self, redis_url: str) -> None:
        self.cache = ChannelCache(redis_url, DIRECTORY_CHANNEL, ttl=CACHE_SECONDS)

    def _get(self, path: str, *, missing_ok: bool = False) -> Any:
        return self.cache.get(path, lambda: self._fetch(path, missing_ok=missing_ok))

    @staticmethod
    def _fetch(path: str, *, missing_ok: bool) -> Any:
        response = auth.get(path, handles=(404,) if missing_ok else ())
        return None if response.status == 404 else response.body["data"]

    def project(self, project_id: uuid.UUID) -> dict[str, Any] | None:
        return self._get(f"/internal/projects/{project_id}", missing_ok=True)  # type: ignore[no-any-return]

    def project_ids_of(self, user_id: uuid.UUID | str) -> set[str]:
        return set(self._get(f"/internal/users/{user_id}/project-ids"))

    def users(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        rows = self._get("/internal/users?ids=" + ",".join(sorted(ids)))
        return {row["id"]: row for row in rows}


def init_directory(app: Flask, redis_url: str) -> None:
    app.extensions[_KEY] = AuthDirectory(redis_url)


def directory() -> AuthDirectory:
    client: AuthDirectory = current_app.extensions[_KEY]
    return client
