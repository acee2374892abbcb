"""A client of Permitto's public API through the gateway, for system tests and benchmarks."""

from __future__ import annotations

import uuid
from typing import Any

import requests


class Api:
    """A client of the public API through the gateway, as one device at one (pretend) address."""

    def __init__(self, base: str, ip: str) -> None:
        self.base = base.rstrip("/") + "/api/v1"
        self.ip = ip
        self.session = requests.Session()
        self.token: str | None = None

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"X-Forwarded-For": self.ip, **kwargs.pop("headers", {})}
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def login(self, email: str, password: str) -> dict[str, Any]:
        response = self.post("/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        self.token = data["accessToken"]
        return data


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@site.example"
