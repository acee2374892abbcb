"""Gateway settings: the common ones and where each service is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from permitto_common.ratelimit import Limit
from permitto_common.settings import CommonSettings, Env

from .edge import RateLimits
from .routes import SERVICES


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    upstreams: dict[str, str]
    cors_origins: list[str]
    limits: RateLimits
    hsts: bool
    web_dist: Path | None  # the built web app (web/dist), served at /app/
    storage_origin: str | None  # where presigned file URLs point, allowed by the app's CSP

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(
            common=CommonSettings.from_env("gateway", env, needs_database=False),
            upstreams={name: env.text(f"{name.upper()}_URL") for name in SERVICES},
            cors_origins=env.csv("CORS_ORIGINS"),
            limits=RateLimits(
                anonymous_per_ip=Limit("gw-anon", env.integer("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 120), 60),
                per_user=Limit("gw-user", env.integer("RATE_LIMIT_USER_PER_MINUTE", 600), 60),
                login_per_ip=Limit("gw-login", env.integer("RATE_LIMIT_LOGIN_PER_MINUTE", 20), 60),
                password_reset_per_ip=Limit("gw-reset", env.integer("RATE_LIMIT_RESET_PER_15_MINUTES", 10), 900),
                verify_per_ip=Limit("gw-verify", env.integer("RATE_LIMIT_VERIFY_PER_MINUTE", 30), 60),
            ),
            hsts=env.flag("HSTS", False),
            web_dist=Path(dist) if (dist := env.optional("WEB_DIST")) else None,
            storage_origin=env.optional("STORAGE_ORIGIN"),
        )
