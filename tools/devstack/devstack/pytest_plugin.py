"""pytest plugin shared by every service's tests: real engines, a database per service and worker,
the schema built once by the service's own migrations, and each test rolled back in a SAVEPOINT.

DATABASE_URL / REDIS_URL name servers to use; without them the plugin starts embedded ones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from permitto_common.keygen import ensure_keys

from .engines import Postgres, Redis, ensure_database, free_port, remove_scratch


@dataclass(frozen=True)
class TestEngines:
    admin_database_url: str  # a URL whose database part is replaced per test database
    redis_base_url: str
    worker_index: int
    key_dir: Path
    private_key: Path
    public_key: Path
    internal_token: str

    def database_url(self, name: str) -> str:
        return self.admin_database_url.rsplit("/", 1)[0] + "/" + name

    def redis_url(self, offset: int = 0) -> str:
        # Each xdist worker gets its own Redis databases, so their keys never meet.
        return f"{self.redis_base_url.rstrip('/').rsplit('/', 1)[0]}/{1 + self.worker_index * 4 + offset}"

    def service_database(self, service: str) -> str:
        name = f"test_{service}_w{self.worker_index}"
        ensure_database(self.admin_database_url, name, fresh=True)
        return self.database_url(name)


def pytest_configure(config: pytest.Config) -> None:
    """The tests' systems (and the auth service's own tests) hash passwords with the light profile
    (permitto_auth.passwords): they create hundreds of accounts, where every deployment, `make up` and
    the benchmarks hash with the standard one. A run that sets PASSWORD_HASHING itself keeps its own."""
    os.environ.setdefault("PASSWORD_HASHING", "light-for-tests")


def _worker_index(config: pytest.Config) -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


@pytest.fixture(scope="session")
def test_engines(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestEngines]:
    started: list[Any] = []
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    base = Path(tempfile.mkdtemp(prefix="permitto-test-"))
    try:
        if not database_url:
            postgres = Postgres(base / "postgres", free_port(), durable=False)
            postgres.start()
            started.append(postgres)
            database_url = postgres.url()
        if not redis_url:
            redis = Redis(free_port())
            redis.start()
            started.append(redis)
            redis_url = redis.url()
        private, public, token = ensure_keys(base / "keys")
        yield TestEngines(
            admin_database_url=database_url.rsplit("/", 1)[0] + "/postgres",
            redis_base_url=redis_url,
            worker_index=_worker_index(request.config),
            key_dir=base / "keys",
            private_key=private,
            public_key=public,
            internal_token=token,
        )
    finally:
        for engine in reversed(started):
            engine.stop()
        remove_scratch(base, "the tests' engines' folder")


def service_env(engines: TestEngines, service: str, *, database: bool = True, **extra: str) -> dict[str, str]:
    """The environment a service's create_app reads, pointed at this worker's test databases."""
    env = {
        "REDIS_URL": engines.redis_url(),
        "JWT_PUBLIC_KEY": str(engines.public_key),
        "INTERNAL_API_TOKEN": engines.internal_token,
        "APP_URL": "http://permitto.test",
        "LOG_LEVEL": "WARNING",
    }
    if database:
        env["DATABASE_URL"] = engines.service_database(service)
    if service == "permits":
        env["VERIFY_LINK_SECRET"] = str(Path(engines.public_key).parent / "verify-link-secret")
    env.update(extra)
    return env


def build_test_app(create_app: Callable[..., Any], env: dict[str, str], config: dict[str, Any] | None = None) -> Any:
    """Create the app with env applied, flush this worker's Redis, build the schema by migrating."""
    from flask_migrate import upgrade
    from redis import Redis as RedisClient

    from permitto_common.security import DENY_LIST_EPOCH_KEY

    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = create_app({"TESTING": True, **(config or {})})
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    flusher = RedisClient.from_url(env["REDIS_URL"])
    flusher.flushdb()
    # Stands in for auth having published the deny list (see security.DENY_LIST_EPOCH_KEY).
    flusher.set(DENY_LIST_EPOCH_KEY, "0")
    flusher.close()
    if "sqlalchemy" in app.extensions:
        with app.app_context():
            upgrade()
    _BUILT_APPS.append(app)
    return app


_BUILT_APPS: list[Any] = []


def close_app(app: Any) -> None:
    """Close what an app holds open (pools, Redis), so no socket outlives the test session."""
    redis = app.extensions.get("permitto.redis")
    if redis is not None:
        redis.close()
    db = app.extensions.get("sqlalchemy")
    if db is not None:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _BUILT_APPS:
        close_app(_BUILT_APPS.pop())


@contextmanager
def rolled_back(app: Any) -> Iterator[None]:
    """Everything the test writes, commits included, happens inside a transaction that is rolled back."""
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        engines = db.engines
        original = dict(engines)
        connections = {}
        for key, engine in original.items():
            connection = engine.connect()
            connections[key] = (connection, connection.begin())
            engines[key] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield
        finally:
            db.session.remove()
            for key, (connection, transaction) in connections.items():
                transaction.rollback()
                connection.close()
                engines[key] = original[key]


@pytest.fixture(autouse=True)
def _rollback_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Where the test's conftest defines an `app` with a database, the test runs rolled back."""
    try:
        app = request.getfixturevalue("app")
    except pytest.FixtureLookupError:
        yield
        return
    if "sqlalchemy" not in app.extensions:
        yield
        return
    with rolled_back(app):
        yield


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def mint(test_engines: TestEngines) -> Callable[..., str]:
    """Sign access tokens with the test key pair, as the auth service would."""
    import time
    import uuid

    import jwt

    private = test_engines.private_key.read_bytes()

    def make(sub: str = "user-1", role: str = "RECEIVER", ttl: int = 900, **extra: Any) -> str:
        now = int(time.time())
        claims = {"sub": sub, "role": role, "jti": uuid.uuid4().hex, "sid": uuid.uuid4().hex, "type": "access",
                  "iat": now, "nbf": now, "exp": now + ttl, **extra}
        return jwt.encode(claims, private, algorithm="RS256")

    return make


def schema_drift(db: Any) -> list[Any]:
    """What `flask db check` would find: differences between the models and the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        return not (type_ == "table" and name is not None and name.startswith("alembic_version"))

    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "include_name": include_name}
    )
    return list(compare_metadata(context, db.metadata))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 server (moto) with the bucket the tests use."""
    from .engines import S3Server

    server = S3Server(free_port())
    server.start()
    server.ensure_bucket(TEST_BUCKET)
    try:
        yield server.endpoint
    finally:
        server.stop()


TEST_BUCKET = "permitto-test"


@dataclass
class CaughtMail:
    """Messages a real SMTP server received during the test session."""

    port: int
    messages: list[Any]

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[CaughtMail]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    caught = CaughtMail(free_port(), [])

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            caught.messages.append(message)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=caught.port)
    controller.start()
    try:
        yield caught
    finally:
        controller.stop()
