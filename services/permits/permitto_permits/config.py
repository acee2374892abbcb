"""Permits settings, read once at start: the common ones, where the other services are, the sweep
period, and whether a test may move the clock."""

from __future__ import annotations

from dataclasses import dataclass

from permitto_common.settings import CommonSettings, Env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    auth_url: str
    files_url: str
    notifications_url: str
    sweep_interval_seconds: int
    allow_test_clock: bool  # only test stacks set it; production reads the system time, always
    verify_link_secret: str  # signs the public links of printed permits' QR codes: keep it for their lifetime

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        return cls(
            common=CommonSettings.from_env("permits", env),
            auth_url=env.text("AUTH_URL"),
            files_url=env.text("FILES_URL"),
            notifications_url=env.text("NOTIFICATIONS_URL"),
            sweep_interval_seconds=env.integer("SWEEP_INTERVAL_SECONDS", 60),
            allow_test_clock=env.flag("ALLOW_TEST_CLOCK", False),
            verify_link_secret=env.secret("VERIFY_LINK_SECRET"),
        )

