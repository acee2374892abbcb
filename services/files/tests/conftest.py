import pytest

from devstack.engines import free_port
from devstack.pytest_plugin import TEST_BUCKET, build_test_app, service_env
from permitto_files.app import create_app


@pytest.fixture(scope="session")
def app(test_engines, s3_endpoint):
    # Unit tests here do not ask the permits service; the system tests exercise those calls for real.
    env = service_env(
        test_engines,
        "files",
        S3_ENDPOINT_URL=s3_endpoint,
        R2_ACCESS_KEY_ID="test",
        R2_SECRET_ACCESS_KEY="test-secret",
        R2_BUCKET_NAME=TEST_BUCKET,
        PERMITS_URL=f"http://127.0.0.1:{free_port()}",
        AUTH_URL=f"http://127.0.0.1:{free_port()}",
    )
    return build_test_app(create_app, env)
