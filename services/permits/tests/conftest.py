import pytest

from devstack.engines import free_port
from devstack.pytest_plugin import build_test_app, service_env
from permitto_permits.app import create_app


@pytest.fixture(scope="session")
def app(test_engines):
    # Unit tests here do not call auth or files; the system tests exercise those calls for real.
    nowhere = f"http://127.0.0.1:{free_port()}"
    return build_test_app(create_app, service_env(test_engines, "permits", AUTH_URL=nowhere, FILES_URL=nowhere,
                                                          NOTIFICATIONS_URL=nowhere))
