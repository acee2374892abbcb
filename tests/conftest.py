"""The whole system as `make up` runs it (same processes, same environment), on free ports."""

import os
import tempfile
from pathlib import Path

import pytest
import requests

from devstack.engines import free_port
from devstack.processes import DEFAULT_PORTS
from devstack.stack import Stack


@pytest.fixture(scope="session")
def system():
    var_dir = Path(tempfile.mkdtemp(prefix="permitto-system-"))
    ports = {name: free_port() for name in DEFAULT_PORTS}
    redis_url = os.environ.get("REDIS_URL")
    stack = Stack(
        var_dir=var_dir,
        ports=ports,
        durable=False,
        database_url=os.environ.get("DATABASE_URL"),
        # its own Redis database, apart from the ones the service tests use
        redis_url=redis_url.rstrip("/").rsplit("/", 1)[0] + "/15" if redis_url else None,
        db_prefix="system_",
    )
    try:
        stack.start_engines()
        stack.migrate()
        stack.seed()
        stack.start_all()
        stack.wait_ready(timeout=120)
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
def gateway(system):
    return f"http://127.0.0.1:{system.ports['gateway']}"


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
