"""The processes of a Permitto system and the environment of each: the one table that `make up`,
the cross-service tests and the docker compose check all read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .engines import DEV_S3_KEY, DEV_S3_SECRET


@dataclass(frozen=True)
class ServiceDef:
    name: str
    flask_app: str
    database: str | None
    worker: bool = False
    scheduler: bool = False


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("auth", "permitto_auth.app:create_app", "permitto_auth"),
    ServiceDef("permits", "permitto_permits.app:create_app", "permitto_permits", worker=True, scheduler=True),
    ServiceDef("files", "permitto_files.app:create_app", "permitto_files", worker=True),
    ServiceDef("notifications", "permitto_notifications.app:create_app", "permitto_notifications", worker=True),
    ServiceDef("gateway", "permitto_gateway.app:create_app", None),
)

SERVICE_BY_NAME = {service.name: service for service in SERVICES}


def _required_env() -> dict[str, tuple[str, ...]]:
    """What each service refuses to start without, read off its own settings loader (a test proves each
    is really required, one by one). Files also needs R2_ACCOUNT_ID or S3_ENDPOINT_URL, notifications
    RESEND_API_KEY or SMTP_HOST: one of each pair, so neither is listed."""
    from permitto_auth.config import Settings as Auth
    from permitto_common.settings import Env, required_variables
    from permitto_files.config import Settings as Files
    from permitto_gateway.config import Settings as Gateway
    from permitto_notifications.config import Settings as Notifications
    from permitto_permits.config import Settings as Permits

    loaders: dict[str, Callable[[Env], object]] = {
        "auth": Auth.from_env, "permits": Permits.from_env, "files": Files.from_env,
        "notifications": Notifications.from_env, "gateway": Gateway.from_env}
    return {name: required_variables(loader) for name, loader in loaders.items()}


REQUIRED_ENV: dict[str, tuple[str, ...]] = _required_env()

# Default ports of `make up`; each can be moved with PERMITTO_<NAME>_PORT.
DEFAULT_PORTS = {
    "gateway": 8000,
    "auth": 8001,
    "permits": 8002,
    "files": 8003,
    "notifications": 8004,
    "postgres": 55432,
    "redis": 56379,
    "s3": 59000,
    "smtp": 1025,
}

BUCKET = "permitto-dev"


@dataclass(frozen=True)
class Process:
    """One long-running process, named as its docker compose service is."""

    name: str
    service: str
    mode: str  # web | worker | scheduler, the argument of permitto-entrypoint


def processes() -> list[Process]:
    result: list[Process] = []
    for service in SERVICES:
        result.append(Process(service.name, service.name, "web"))
        if service.worker:
            result.append(Process(f"{service.name}-worker", service.name, "worker"))
        if service.scheduler:
            result.append(Process(f"{service.name}-scheduler", service.name, "scheduler"))
    return result


@dataclass(frozen=True)
class Endpoints:
    """Where the engines and services of one running system are."""

    ports: dict[str, int]
    database_urls: dict[str, str]
    redis_url: str
    jwt_private_key_file: str
    jwt_public_key_file: str
    internal_token: str
    mail_dir: str

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def service_env(service: ServiceDef, endpoints: Endpoints) -> dict[str, str]:
    """The environment a service's processes get; docker compose sets the same variables."""
    env = {
        "FLASK_APP": service.flask_app,
        "PORT": str(endpoints.ports[service.name]),
        "BIND_HOST": "127.0.0.1",
        "REDIS_URL": endpoints.redis_url,
        "JWT_PUBLIC_KEY": endpoints.jwt_public_key_file,
        "INTERNAL_API_TOKEN": endpoints.internal_token,
        # Links in emails, pushes and PDFs open the web app, which the gateway serves at /app.
        "APP_URL": f"http://localhost:{endpoints.ports['gateway']}/app",
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
        # Services sit behind the gateway; the gateway itself is the edge on a laptop.
        "TRUSTED_PROXY_HOPS": "0" if service.name == "gateway" else "1",
    }
    if service.database:
        env["DATABASE_URL"] = endpoints.database_urls[service.name]
    if service.name == "auth":
        env["JWT_PRIVATE_KEY"] = endpoints.jwt_private_key_file
    if service.name == "permits":
        env.update(AUTH_URL=endpoints.service_url("auth"), FILES_URL=endpoints.service_url("files"),
                   NOTIFICATIONS_URL=endpoints.service_url("notifications"),
                   VERIFY_LINK_SECRET=str(Path(endpoints.jwt_public_key_file).parent / "verify-link-secret"))
    if service.name == "files":
        env.update(
            AUTH_URL=endpoints.service_url("auth"),
            PERMITS_URL=endpoints.service_url("permits"),
            S3_ENDPOINT_URL=f"http://127.0.0.1:{endpoints.ports['s3']}",
            R2_ACCESS_KEY_ID=DEV_S3_KEY,
            R2_SECRET_ACCESS_KEY=DEV_S3_SECRET,
            R2_BUCKET_NAME=BUCKET,
        )
    if service.name == "notifications":
        env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(endpoints.ports["smtp"]),
                   EMAIL_FROM="Permitto <noreply@permitto.example>", AUTH_URL=endpoints.service_url("auth"),
                   VAPID_PRIVATE_KEY=str(Path(endpoints.jwt_public_key_file).parent / "vapid-private.pem"),
                   # live streams idle for hours: green threads hold them, not OS threads
                   GUNICORN_WORKER_CLASS="gevent")
    if service.name == "gateway":
        for other in SERVICES:
            if other.name != "gateway":
                env[f"{other.name.upper()}_URL"] = endpoints.service_url(other.name)
        env["CORS_ORIGINS"] = "http://localhost:3000,http://127.0.0.1:3000"
        from .webbuild import DIST  # here: webbuild reaches stack, which imports this module

        env["WEB_DIST"] = str(DIST)
        env["STORAGE_ORIGIN"] = f"http://127.0.0.1:{endpoints.ports['s3']}"
        # It relays live streams too: green threads hold idle streams without an OS thread each.
        env["GUNICORN_WORKER_CLASS"] = "gevent"
        # Its front takes the port and serves signed-in reads; gunicorn sits behind it (front.py).
        env["WEB_FRONT"] = "permitto_gateway.front"
    return env
