"""HTTP views of the permits service."""

from __future__ import annotations

from flask import Flask

from permitto_common.fast_reads import FastRead, install_fast_reads


def register_views(app: Flask) -> None:
    from .areas import bp as areas_bp
    from .internal import bp as internal_bp
    from .isolation import bp as isolation_bp
    from .people import bp as people_bp
    from .permits import bp as permits_bp
    from .permits import list_page, permit_page
    from .templates import bp as templates_bp
    from .verify import bp as verify_bp

    app.register_blueprint(internal_bp)
    app.register_blueprint(templates_bp)
    app.register_blueprint(permits_bp)
    app.register_blueprint(isolation_bp)
    app.register_blueprint(areas_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(people_bp)
    # What phones read most, served before Flask when nothing about the request is unusual.
    install_fast_reads(app, [FastRead.of(app, "permits.list_permits", list_page),
                             FastRead.of(app, "permits.get_permit", permit_page)])
