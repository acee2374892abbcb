import pytest

from devstack.pytest_plugin import build_test_app, service_env
from permitto_auth.app import create_app


@pytest.fixture(scope="session")
def app(test_engines):
    env = service_env(test_engines, "auth", JWT_PRIVATE_KEY=str(test_engines.private_key))
    return build_test_app(create_app, env)
