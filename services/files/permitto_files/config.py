"""Files settings, read once at start: the common ones, the object store, and where the other services are."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, Env

from .storage import StorageSettings


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    storage: StorageSettings
    auth_url: str
    permits_url: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(common=CommonSettings.from_env("files", env), storage=StorageSettings.from_env(env),
                   auth_url=env.text("AUTH_URL"), permits_url=env.text("PERMITS_URL"))
