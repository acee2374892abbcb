"""The web app's files as the gateway serves them: caching by kind of file, screens answered with
index.html, nothing outside the build folder, and a clear 503 when the app was never built."""

import pytest
from flask import Flask

from permitto_common.errors import register_error_handlers
from permitto_gateway.webapp import content_security_policy, init_web_app


class Client:
    """A test client whose answers are read and closed at once (a served file is a file handle)."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path):
        answer = self.client.get(path)
        answer.get_data()
        answer.close()
        return answer


def make_client(dist, origin="https://acc.r2.cloudflarestorage.com"):
    app = Flask("webapp-test")
    register_error_handlers(app)
    init_web_app(app, dist, origin)
    return Client(app)


@pytest.fixture
def dist(tmp_path):
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><div id=root></div>")
    (built / "sw.js").write_text("self.addEventListener('push', () => {});")
    (built / "assets" / "index-3f2a1b.js").write_text("console.log(1)")
    (built / "manifest.webmanifest").write_text("{}")
    (tmp_path / "secret.txt").write_text("not for the web")
    return built


def test_hashed_assets_are_immutable_and_the_shell_is_revalidated(dist):
    client = make_client(dist)
    asset = client.get("/app/assets/index-3f2a1b.js")
    assert asset.status_code == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for path in ("/app/", "/app/sw.js", "/app/manifest.webmanifest"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-cache", path
        assert "connect-src 'self' https://acc.r2.cloudflarestorage.com" in answer.headers["Content-Security-Policy"]
    assert client.get("/app/manifest.webmanifest").headers["Content-Type"].startswith("application/manifest+json")
    assert client.get("/app").status_code == 308


def test_screens_get_the_shell_and_missing_files_a_404(dist):
    client = make_client(dist)
    screen = client.get("/app/permits/0b7c2a4e-52f1-4f0e-9d62-3c1c1e5b9a10/edit?step=2")
    assert screen.status_code == 200
    assert b"id=root" in screen.data
    assert client.get("/app/assets/gone-1234.js").status_code == 404
    for escape in ("/app/../secret.txt", "/app/..%2fsecret.txt", "/app/%2e%2e/secret.txt"):
        answer = client.get(escape)
        assert answer.status_code == 404 or b"not for the web" not in answer.data, escape
        assert b"not for the web" not in answer.data


def test_an_app_that_was_never_built_is_a_clear_503(tmp_path):
    for dist in (None, tmp_path / "missing"):
        answer = make_client(dist).get("/app/")
        assert answer.status_code == 503
        assert answer.json["error"]["code"] == "APP_NOT_BUILT"


def test_the_policy_allows_no_inline_code_and_no_other_origin():
    policy = content_security_policy(None)
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "connect-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
