"""The web app, served at /app/ on the API's own origin: the built files of web/ with their own caching
and content security policy. Hashed assets never change, so they are cached for a year; index.html,
the service worker and the manifest are revalidated on every load, so a deployment reaches every phone
at its next start. Any other path under /app/ is a screen of the app, answered with index.html."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, Response, redirect, send_file
from werkzeug.security import safe_join

from permitto_common.errors import APIError, NotFound

APP_PREFIX = "/app"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # everything outside assets/ is named without a content hash

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def content_security_policy(storage_origin: str | None) -> str:
    """The app's scripts and styles are its own files only (no inline code, no CDN). Photos, thumbnails
    and uploads go straight to object storage by presigned URL, so its origin is allowed for images and
    requests."""
    storage = f" {storage_origin}" if storage_origin else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob:{storage}",
        f"connect-src 'self'{storage}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def web_blueprint(dist: Path | None, storage_origin: str | None) -> Blueprint:
    bp = Blueprint("webapp", __name__)
    policy = content_security_policy(storage_origin)

    def app_headers(response: Response, cache: str) -> Response:
        response.headers["Cache-Control"] = cache
        response.headers["Content-Security-Policy"] = policy
        # The camera is opened by the file picker; the app never asks for the microphone or location.
        response.headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def built(name: str) -> Path:
        if dist is None or not (dist / "index.html").is_file():
            raise APIError("The web app is not built on this server.", status=503, code="APP_NOT_BUILT")
        joined = safe_join(str(dist), name)
        if joined is None:
            raise NotFound("No such file.")
        return Path(joined)

    @bp.get(APP_PREFIX)
    def app_root() -> Response:
        return redirect(APP_PREFIX + "/", code=308)  # type: ignore[return-value]

    @bp.get(APP_PREFIX + "/", defaults={"name": ""})
    @bp.get(APP_PREFIX + "/<path:name>")
    def app_file(name: str) -> Response:
        path = built(name or "index.html")
        cache = IMMUTABLE if name.startswith("assets/") else REVALIDATE
        if not path.is_file():
            if "." in name.rsplit("/", 1)[-1]:
                raise NotFound("No such file.")
            # A screen of the app (/app/permits/<id>, /app/set-password?...): the app's router takes it from here.
            path, cache = built("index.html"), REVALIDATE
        return app_headers(send_file(path, max_age=None, conditional=True, etag=True), cache)

    return bp


def init_web_app(app: Flask, dist: Path | None, storage_origin: str | None) -> None:
    app.register_blueprint(web_blueprint(dist, storage_origin))
