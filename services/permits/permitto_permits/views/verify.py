"""The public permit check: /verify/<token> (a page, no sign-in, no script) and /api/v1/verify/<token>
(the same as JSON). The gateway rate-limits both per address."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template
from typing_extensions import TypedDict

from permitto_common.errors import NotFound, success
from permitto_common.openapi import documented

from .. import verify

bp = Blueprint("verify", __name__)

CSS = """
*{box-sizing:border-box}body{margin:0;font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#111827;background:#fff}main{max-width:34rem;margin:0 auto;padding:16px}
.brand{font-size:14px;letter-spacing:.08em;font-weight:700;margin:0 0 8px}
.verdict{font-size:2.4rem;line-height:1.1;margin:0;padding:18px 14px;border-radius:12px;border:4px solid}
.green .verdict{background:#dcfce7;color:#14532d;border-color:#15803d}
.amber .verdict{background:#fef3c7;color:#78350f;border-color:#b45309}
.red .verdict{background:#fee2e2;color:#7f1d1d;border-color:#b91c1c}
.meaning{font-size:1.15rem;font-weight:600}.number{font-size:1.6rem;font-weight:800;margin:12px 0}
dl{margin:0}dt{font-weight:700;color:#374151;margin-top:10px;font-size:15px}
dd{margin:0;overflow-wrap:anywhere}.checked{margin-top:18px;font-size:15px;color:#374151}
""".strip()
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
PAGE_CSP = (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


class PermitCheck(TypedDict):
    number: str
    type: str
    typeName: str
    projectCode: str
    projectName: str | None
    workArea: str | None
    validFrom: str
    validTo: str
    workHours: str
    timezone: str
    status: str
    colour: str
    headline: str
    meaning: str
    lastConfirmedAt: str | None
    holderFirstName: str | None
    company: str | None
    checkedAt: str


@bp.get("/api/v1/verify/<string:token>")
@documented("Is this permit valid right now? (public: the token of its QR code)", response=PermitCheck)
def verify_json(token: str) -> Response:
    response = success(verify.status_of(verify.permit_of(token)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/verify/<string:token>")
def verify_page(token: str) -> Response:
    try:
        state = verify.status_of(verify.permit_of(token))
    except NotFound:  # a phone camera deserves a page, not an envelope; which part was wrong is not said
        response = Response(render_template("verify_unknown.html", css=CSS), status=404, mimetype="text/html")
    else:
        zone = ZoneInfo(state["timezone"])

        def local(moment: str) -> str:
            return datetime.fromisoformat(moment).astimezone(zone).strftime("%d %b %Y, %H:%M %Z")

        response = Response(render_template("verify.html", s=state, css=CSS, local=local), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
