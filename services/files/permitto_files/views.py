"""HTTP views of the files service."""

from __future__ import annotations

import uuid
from typing import Literal

from flask import Blueprint, Flask, Response
from pydantic import BaseModel, ConfigDict, Field

from permitto_common.errors import success
from permitto_common.security import require_internal
from permitto_common.validation import parse_body

from .signatures import store_signature

internal = Blueprint("internal", __name__, url_prefix="/internal")


class SignatureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    permitId: uuid.UUID
    role: Literal["RECEIVER", "ISSUER", "COORDINATOR"]
    imageBase64: str = Field(min_length=1, max_length=800_000)


@internal.post("/signatures")
@require_internal
def create_signature() -> Response:
    body = parse_body(SignatureBody)
    return success(store_signature(body.permitId, body.role, body.imageBase64), status=201)


def register_views(app: Flask) -> None:
    app.register_blueprint(internal)
