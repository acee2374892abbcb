"""Notifications settings, read once at start: the common ones, the email channel (Resend or SMTP),
Web Push's VAPID key when there is one, and where auth is."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, Env

from .channels.email import EmailBackend, backend_from_env
from .channels.push import VapidSettings, vapid_from_env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    email: EmailBackend
    vapid: VapidSettings | None
    auth_url: str
    # a user's digest waits until their newest daily reminder is this old, so one sweep's burst is one email
    digest_quiet_seconds: int = 120

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(common=CommonSettings.from_env("notifications", env), email=backend_from_env(env),
                   vapid=vapid_from_env(env), auth_url=env.text("AUTH_URL"),
                   digest_quiet_seconds=env.integer("DIGEST_QUIET_SECONDS", 120))
