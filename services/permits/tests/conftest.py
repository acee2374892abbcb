import pytest

from devstack.pytest_plugin import build_test_app, service_env
from permitto_permits.app import create_app


@pytest.fixture(scope="session")
def app(test_engines):
    return build_test_app(create_app, service_env(test_engines, "permits"))
