"""The part of create_app that every service shares: logging, request ids, errors, health, JWT, DB, Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, request
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .database import ping_idle_connections
from .errors import register_error_handlers
from .health import add_readiness_check, health_blueprint, running_version
from .jsonio import JSONProvider
from .metrics import init_metrics
from .observability import configure_logging, init_error_tracking, init_request_ids
from .redis_conn import get_redis, init_redis
from .security import init_jwt
from .settings import CommonSettings

DEFAULT_MAX_BODY = 1 * 1024 * 1024  # JSON APIs need little; file bytes go straight to storage


def migrations_check(app: Flask, db: SQLAlchemy, directory: str) -> Callable[[], dict[str, object]]:
    """Ready only once the database is at the code's migration head: a deploy whose pre-deploy migration
    failed never counts as ready (docs: the deploy gate waits for it)."""
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(directory).get_heads())
    table = f"alembic_version_{app.name}"

    def check() -> dict[str, object]:
        current = {row[0] for row in db.session.execute(text(f"SELECT version_num FROM {table}"))}  # noqa: S608
        if current != heads:
            raise RuntimeError(f"the database is at {sorted(current) or 'no migration'}, the code at {sorted(heads)}")
        return {"migrations": sorted(heads)}

    return check


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def drain_unread_body(stream: Callable[[], Any], declared: int | None, limit: int | None) -> None:
    """Read and drop what is left of a body within the limit, so the connection carries the next request
    from its start (a body over the limit was refused by its declared length, unread). The stream is asked
    for only then: werkzeug's refuses to open over the limit."""
    if declared and (limit is None or declared <= limit):
        body = stream()
        while body.read(64 * 1024):
            pass


def insert_middleware(app: Flask, middleware: Callable[[WSGIApp], WSGIApp]) -> None:
    """Wrap the app's WSGI callable, inside ProxyFix when there is one, so the middleware sees the
    client's address as the trusted proxies gave it, as Flask's own request does."""
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = middleware(outer.app)
    else:
        app.wsgi_app = middleware(outer)  # type: ignore[method-assign,assignment]


def create_base_app(
    import_name: str,
    settings: CommonSettings,
    *,
    db: SQLAlchemy | None = None,
    migrate: Migrate | None = None,
    migrations_dir: str | None = None,
    jwt: JWTManager | None = None,
    jwt_private_key: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    app = Flask(import_name, static_folder=None)
    app.name = settings.service_name
    app.config.update(
        MAX_CONTENT_LENGTH=DEFAULT_MAX_BODY,
        INTERNAL_API_TOKEN=settings.internal_token,
        APP_URL=settings.app_url,
        REQUEST_TIME_LIMIT_SECONDS=settings.request_time_limit,
        JSON_SORT_KEYS=False,
    )
    app.json = JSONProvider(app)
    if config:
        app.config.update(config)

    if settings.trusted_proxy_hops:
        # The client address comes from the proxies we trust, never from what a client claims.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    configure_logging(settings.service_name, settings.log_level)
    init_error_tracking(settings.sentry_dsn, service=settings.service_name, environment=settings.sentry_environment,
                        release=running_version())
    init_request_ids(app)
    register_error_handlers(app)
    app.register_blueprint(health_blueprint())
    init_metrics(app)

    @app.before_request
    def _reject_oversized_body() -> None:
        # Refuse by the declared length before routing or reading anything.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()

    @app.after_request
    def _drain_unread_body(response: Response) -> Response:
        # An answer given before the body was read (a 403 on a large POST) leaves the rest on the socket;
        # gunicorn still says keep-alive, then drops the connection when the next request arrives on it,
        # and the gateway's pooled connection fails under the next caller. Reading the rest (at most
        # MAX_CONTENT_LENGTH: larger bodies were refused above) keeps the connection usable.
        drain_unread_body(lambda: request.stream, request.content_length, app.config.get("MAX_CONTENT_LENGTH"))
        return response

    init_redis(app, settings.redis_url)
    def check_redis() -> None:
        get_redis(app).ping()

    add_readiness_check(app, "redis", check_redis)

    if db is not None:
        app.config.setdefault("SQLALCHEMY_DATABASE_URI", settings.database_url)
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {
                "pool_size": 10,
                "max_overflow": 10,
                "pool_timeout": 5,
                "connect_args": {"connect_timeout": 3, "application_name": settings.service_name},
            },
        )
        db.init_app(app)
        with app.app_context():
            ping_idle_connections(db.engine)  # instead of pool_pre_ping's round trip on every request
        if migrate is not None:
            migrate.init_app(app, db, directory=migrations_dir or "migrations")

        def check_database() -> None:
            db.session.execute(text("SELECT 1"))

        add_readiness_check(app, "database", check_database)
        if migrate is not None:
            add_readiness_check(app, "migrations", migrations_check(app, db, migrations_dir or "migrations"))

    if jwt is not None:
        app.config.setdefault("JWT_COOKIE_SECURE", not app.debug and not app.testing)
        init_jwt(app, jwt, public_key=settings.jwt_public_key, private_key=jwt_private_key)

    return app
