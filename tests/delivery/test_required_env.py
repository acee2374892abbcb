"""The REQUIRED_ENV table the delivery checks rely on is the truth: each service refuses to start
without each listed variable, naming it, and starts with all of them."""

import importlib
import os

import pytest

from devstack.processes import REQUIRED_ENV, SERVICE_BY_NAME
from permitto_common.settings import ConfigError


def full_env(test_engines):
    return {
        "DATABASE_URL": test_engines.database_url("unused"),
        "REDIS_URL": test_engines.redis_url(),
        "JWT_PUBLIC_KEY": str(test_engines.public_key),
        "JWT_PRIVATE_KEY": str(test_engines.private_key),
        "INTERNAL_API_TOKEN": "x" * 20,
        "AUTH_URL": "http://127.0.0.1:9", "FILES_URL": "http://127.0.0.1:9", "PERMITS_URL": "http://127.0.0.1:9",
        "NOTIFICATIONS_URL": "http://127.0.0.1:9", "S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "R2_ACCESS_KEY_ID": "k", "R2_SECRET_ACCESS_KEY": "s", "R2_BUCKET_NAME": "b", "SMTP_HOST": "127.0.0.1",
        "VERIFY_LINK_SECRET": "v" * 32,
    }


def factory(service):
    module, _, name = SERVICE_BY_NAME[service].flask_app.partition(":")
    return getattr(importlib.import_module(module), name)


@pytest.fixture
def clean_environ(monkeypatch):
    for key in list(os.environ):
        if key in {name for names in REQUIRED_ENV.values() for name in names} | {
                "S3_ENDPOINT_URL", "R2_ACCOUNT_ID", "SMTP_HOST", "RESEND_API_KEY"}:
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.mark.parametrize(("service", "variable"),
                         [(s, v) for s, names in REQUIRED_ENV.items() for v in names])
def test_a_missing_required_variable_stops_the_service_by_name(service, variable, clean_environ, test_engines):
    env = full_env(test_engines)
    env.pop(variable)
    for key, value in env.items():
        clean_environ.setenv(key, value)
    with pytest.raises(ConfigError, match=variable):
        factory(service)()


@pytest.mark.parametrize("service", sorted(REQUIRED_ENV))
def test_the_required_variables_are_enough(service, clean_environ, test_engines):
    env = full_env(test_engines)
    for key in set(env) - set(REQUIRED_ENV[service]) - {"S3_ENDPOINT_URL", "SMTP_HOST"}:
        env.pop(key)
    for key, value in env.items():
        clean_environ.setenv(key, value)
    app = factory(service)()
    assert app.name == service
    from devstack.pytest_plugin import close_app

    close_app(app)
