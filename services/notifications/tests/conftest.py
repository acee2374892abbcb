import pytest

from devstack.engines import free_port
from devstack.pytest_plugin import build_test_app, service_env
from permitto_notifications.app import create_app


@pytest.fixture(scope="session")
def app(test_engines, smtp_server):
    env = service_env(test_engines, "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_server.port),
                      EMAIL_FROM="Permitto <noreply@permitto.test>", AUTH_URL=f"http://127.0.0.1:{free_port()}")
    return build_test_app(create_app, env)
