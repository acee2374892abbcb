"""Reading configuration from the environment, failing fast and by name."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names the variable."""


class Env:
    """Typed access to an environment mapping (os.environ unless a test passes its own)."""

    def __init__(self, source: Mapping[str, str] | None = None) -> None:
        self._source = os.environ if source is None else source

    def text(self, name: str, default: str | None = None) -> str:
        value = self._source.get(name)
        if value is None or value.strip() == "":
            if default is None:
                raise ConfigError(f"environment variable {name} is required but not set")
            return default
        return value

    def optional(self, name: str) -> str | None:
        value = self._source.get(name)
        return value if value and value.strip() else None

    def integer(self, name: str, default: int | None = None) -> int:
        raw = self._source.get(name)
        if raw is None or raw.strip() == "":
            if default is None:
                raise ConfigError(f"environment variable {name} is required but not set")
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from exc

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self._source.get(name)
        if raw is None or raw.strip() == "":
            return default
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"environment variable {name} must be a boolean, got {raw!r}")

    def csv(self, name: str, default: str = "") -> list[str]:
        raw = self._source.get(name, default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def require_one(self, *names: str) -> None:
        """At least one of these must be set (R2's account or any S3 endpoint, Resend or an SMTP relay)."""
        if not any(self.optional(name) for name in names):
            raise ConfigError(f"environment variable {names[0]} (or {' or '.join(names[1:])}) is required but not set")

    def pem(self, name: str) -> str:
        """A PEM key given inline (\\n escapes allowed, as Railway variables hold one line) or as a path."""
        value = self.text(name)
        if value.startswith("-----BEGIN"):
            return value.replace("\\n", "\n")
        if os.path.isfile(value):
            with open(value, encoding="ascii") as handle:
                return handle.read()
        raise ConfigError(f"environment variable {name} must hold a PEM key or the path of one")

    def secret(self, name: str, *, min_length: int = 32) -> str:
        """A secret given as itself or as the path of a file holding it (docker compose mounts /keys)."""
        value = self.text(name)
        if value.startswith("/") and os.path.isfile(value):
            with open(value, encoding="utf-8") as handle:
                value = handle.read().strip()
        if len(value) < min_length:
            raise ConfigError(f"environment variable {name} must be at least {min_length} characters "
                              "(or the path of a file holding it)")
        return value


class RecordingEnv(Env):
    """An environment that lacks nothing: it answers every variable a settings loader asks for with a
    placeholder and records the ones asked for without a default. Running a service's loader with it
    lists exactly the variables that service refuses to start without (devstack.processes does)."""

    PLACEHOLDER_PEM = "-----BEGIN PLACEHOLDER-----"

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        super().__init__(self.values)
        self.required: list[str] = []
        self.alternatives: list[tuple[str, ...]] = []

    def text(self, name: str, default: str | None = None) -> str:
        if default is not None or name in self.values:
            return self.values.get(name, default or "")
        self.required.append(name)
        return "postgresql://placeholder/db" if name == "DATABASE_URL" else "placeholder"

    def integer(self, name: str, default: int | None = None) -> int:
        if default is None:
            self.required.append(name)
            return 1
        return default

    def pem(self, name: str) -> str:
        self.required.append(name)
        return self.PLACEHOLDER_PEM

    def secret(self, name: str, *, min_length: int = 32) -> str:
        self.required.append(name)
        return "placeholder" * (min_length // 11 + 1)

    def require_one(self, *names: str) -> None:
        self.alternatives.append(names)
        self.values[names[0]] = "placeholder"


def required_variables(loader: Callable[[Env], object]) -> tuple[str, ...]:
    """The variables a settings loader cannot do without, in the order it reads them."""
    env = RecordingEnv()
    loader(env)
    return tuple(dict.fromkeys(env.required))


def normalize_database_url(url: str) -> str:
    """Accept Heroku/Railway style postgres:// URLs and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class CommonSettings:
    """Settings every service reads the same way."""

    service_name: str
    database_url: str | None
    redis_url: str
    jwt_public_key: str
    internal_token: str
    log_level: str
    app_url: str
    trusted_proxy_hops: int
    request_time_limit: int = 30  # gunicorn's worker timeout: no request runs longer
    sentry_dsn: str = ""  # error tracking; off when empty
    sentry_environment: str = "production"

    @classmethod
    def from_env(cls, service_name: str, env: Env | None = None, *, needs_database: bool = True) -> CommonSettings:
        env = env or Env()
        return cls(
            service_name=service_name,
            database_url=normalize_database_url(env.text("DATABASE_URL")) if needs_database else None,
            redis_url=env.text("REDIS_URL"),
            jwt_public_key=env.pem("JWT_PUBLIC_KEY"),
            internal_token=env.text("INTERNAL_API_TOKEN"),
            log_level=env.text("LOG_LEVEL", "INFO").upper(),
            app_url=env.text("APP_URL", "http://localhost:8000"),
            # How many proxies in front set X-Forwarded-For: 1 for a service behind the gateway.
            trusted_proxy_hops=env.integer("TRUSTED_PROXY_HOPS", 0),
            request_time_limit=env.integer("GUNICORN_TIMEOUT", 30),
            sentry_dsn=env.text("SENTRY_DSN", ""),
            sentry_environment=env.text("SENTRY_ENVIRONMENT", "production"),
        )
