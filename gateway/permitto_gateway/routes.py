"""The routing table, in one place: which service owns which public path under /api/v1."""

from __future__ import annotations

import re
from dataclasses import dataclass

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    prefix: str  # path under /api/v1, matched on whole segments
    service: str
    timeout: float = 10.0  # seconds to wait for the upstream's answer
    pattern: str | None = None  # a full-path regex, for a route nested in another service's prefix


ROUTES: tuple[Route, ...] = (
    Route("/auth", "auth"),
    Route("/users", "auth"),
    Route("/projects", "auth"),
    Route("/templates", "permits"),
    Route("/permits", "permits", timeout=30.0),
    Route("/isolation-points", "permits"),
    Route("/competencies", "permits"),
    Route("/competency-types", "permits"),
    Route("/isolation-certificates", "permits"),
    Route("/work-areas", "permits"),
    Route("/site-plans", "permits"),
    Route("/simops-matrix", "permits"),
    # The public permit check of a printed permit's QR code (the page itself is /verify/<token>).
    Route("/verify", "permits"),
    Route("/files", "files", timeout=30.0),
    # The live stream sends a keep-alive every 10 s; a minute of silence means the service is gone.
    Route("/notifications", "notifications", timeout=60.0),
    # A permit's files are the files service's, though the path sits under /permits.
    Route("/permits/*/files", "files", pattern=r"^/permits/[0-9a-fA-F-]{36}/files$"),
)

SERVICES = tuple(sorted({route.service for route in ROUTES}))

# The only API calls made without an access token; everything else is verified at the edge.
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/forgot-password"),
    ("POST", "/auth/reset-password"),
    ("GET", "/auth/jwks.json"),
})


# Whole public subtrees: a permit check carries its own signed token and nothing else.
PUBLIC_PREFIXES: frozenset[tuple[str, str]] = frozenset({("GET", "/verify/")})


def is_public(method: str, path: str) -> bool:
    return (method == "OPTIONS" or (method, path.rstrip("/")) in PUBLIC
            or any(method == m and path.startswith(prefix) for m, prefix in PUBLIC_PREFIXES))


def match(path: str) -> Route | None:
    """The route whose prefix is the longest whole-segment match of path (path is under /api/v1)."""
    for route in ROUTES:
        if route.pattern is not None and re.match(route.pattern, path):
            return route
    best: Route | None = None
    for route in ROUTES:
        if route.pattern is None and (path == route.prefix or path.startswith(route.prefix + "/")) and (
            best is None or len(route.prefix) > len(best.prefix)
        ):
            best = route
    return best
