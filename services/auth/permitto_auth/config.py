"""Auth settings: the common ones plus the private signing key, which only this service holds."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, ConfigError, Env

from .passwords import HASHERS, STANDARD


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    jwt_private_key: str
    password_hashing: str = STANDARD  # passwords.HASHERS: only the test suite's systems set another

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        hashing = env.text("PASSWORD_HASHING", STANDARD)
        if hashing not in HASHERS:
            raise ConfigError(f"environment variable PASSWORD_HASHING must be one of {sorted(HASHERS)}, "
                              f"got {hashing!r}")
        return cls(common=CommonSettings.from_env("auth", env), jwt_private_key=env.pem("JWT_PRIVATE_KEY"),
                   password_hashing=hashing)
