"""Auth settings: the common ones plus the private signing key, which only this service holds."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, Env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    jwt_private_key: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(common=CommonSettings.from_env("auth", env), jwt_private_key=env.pem("JWT_PRIVATE_KEY"))
