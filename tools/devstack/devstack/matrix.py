"""The permission matrix tests of each feature: every new endpoint asked by every role, anonymous
included, with the status each must get; a refusal is the one error envelope's FORBIDDEN or NOT_FOUND
(someone else's things do not exist for you)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

Case = Callable[..., tuple[str, str, Any]]  # (method, path, body or None), made fresh for each request


def cases(matrix: Sequence[tuple[Case, list[int]]], roles: Sequence[str]) -> list[Any]:
    """pytest parameters (make, expected by role), each named by its case."""
    return [pytest.param(make, dict(zip(roles, statuses, strict=True)), id=make.__name__)
            for make, statuses in matrix]


def check(api: Any, role: str, case: tuple[str, str, Any], expected: dict[str, int]) -> None:
    method, path, body = case
    response = api.request(method, path, json=body) if body is not None else api.request(method, path)
    assert response.status_code == expected[role], f"{role} {method} {path}: {response.text}"
    if response.status_code in (403, 404):
        assert response.json()["error"]["code"] in ("FORBIDDEN", "NOT_FOUND")


def signed_in(gateway: str, tokens: dict[str, str], roles: Sequence[str], subnet: str) -> dict[str, Any]:
    """One API client per role (anonymous aside), each from its own address of the subnet ("10.252.0")."""
    from .api_client import Api

    clients = {}
    for n, role in enumerate([r for r in roles if r != "anonymous"], start=1):
        api = Api(gateway, f"{subnet}.{n}")
        api.token = tokens[role]
        clients[role] = api
    return clients
