"""Gateway settings: the common ones and where each service is."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, Env

from .routes import SERVICES


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    upstreams: dict[str, str]
    cors_origins: list[str]

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(
            common=CommonSettings.from_env("gateway", env, needs_database=False),
            upstreams={name: env.text(f"{name.upper()}_URL") for name in SERVICES},
            cors_origins=env.csv("CORS_ORIGINS"),
        )
