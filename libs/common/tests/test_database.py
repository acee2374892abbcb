"""The pool's liveness check on a real PostgreSQL: idle connections are pinged, busy ones are not."""

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from permitto_common.database import ping_idle_connections


@pytest.fixture
def engine(test_engines):
    url = make_url(test_engines.admin_database_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def terminate(test_engines, pid: int) -> None:
    admin = create_engine(make_url(test_engines.admin_database_url).set(drivername="postgresql+psycopg"))
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_an_idle_connection_that_died_is_replaced_before_the_request_uses_it(engine, test_engines):
    ping_idle_connections(engine, idle_seconds=0)
    first = backend_pid(engine)
    terminate(test_engines, first)  # the database dropped it while it sat in the pool
    assert backend_pid(engine) != first  # the ping found it dead: a new connection answered, no error


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, test_engines):
    ping_idle_connections(engine, idle_seconds=60)
    first = backend_pid(engine)
    terminate(test_engines, first)
    # Not pinged (no round trip per request): the statement meets the dead connection and fails ...
    with pytest.raises(OperationalError) as failure:
        backend_pid(engine)
    assert failure.value.connection_invalidated
    assert backend_pid(engine) != first  # ... and the pool is renewed for the next request
