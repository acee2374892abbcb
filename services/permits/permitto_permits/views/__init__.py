"""HTTP views of the permits service."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from .permits import bp as permits_bp
    from .templates import bp as templates_bp

    app.register_blueprint(templates_bp)
    app.register_blueprint(permits_bp)
