import sys
from pathlib import Path

import pytest

from devstack.pytest_plugin import close_app
from permitto_common.app_factory import create_base_app
from permitto_common.settings import CommonSettings, Env

# The RQ worker imports jobs by dotted name; the sample jobs live beside these tests.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def settings(test_engines):
    return CommonSettings.from_env(
        "sample",
        Env({
            "REDIS_URL": test_engines.redis_url(),
            "JWT_PUBLIC_KEY": str(test_engines.public_key),
            "INTERNAL_API_TOKEN": test_engines.internal_token,
            "LOG_LEVEL": "INFO",
        }),
        needs_database=False,
    )


@pytest.fixture
def app(settings):
    """A bare service app (no database) with a few routes that exercise the shared plumbing."""
    from pydantic import BaseModel, Field

    from permitto_common.errors import Conflict, success
    from permitto_common.security import require_internal
    from permitto_common.validation import Text, parse_body

    class Body(BaseModel):
        name: str = Field(min_length=2)
        count: int = Field(ge=1, le=10)
        note: Text | None = None
        extra: dict[str, object] | None = None

    app = create_base_app("sample", settings, config={"TESTING": True})

    @app.post("/echo")
    def echo():
        body = parse_body(Body)
        return success(body.model_dump(exclude_none=True), status=201)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.get("/conflict")
    def conflict():
        raise Conflict("Already done.", details=[{"field": "state", "message": "is APPROVED"}])

    @app.get("/internal/ping")
    @require_internal
    def internal_ping():
        return success({"pong": True})

    from permitto_common.redis_conn import get_redis
    from permitto_common.security import DENY_LIST_EPOCH_KEY

    get_redis(app).flushdb()
    get_redis(app).set(DENY_LIST_EPOCH_KEY, "0")  # as auth would have published the deny list
    yield app
    close_app(app)
