"""Web Push (VAPID): approvals, rejections and suspensions reach subscribed browsers; gone subscriptions
are dropped."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app
from sqlalchemy import select

from permitto_common.settings import Env

from ..extensions import db
from ..models import PushSubscription

log = logging.getLogger(__name__)
_KEY = "permitto.push"
# Approvals and rejections, and every suspension: work must stop now (a failed gas test among them).
PUSHED_EVENTS = {"PERMIT_ISSUER_APPROVED", "PERMIT_APPROVED", "PERMIT_REJECTED", "PERMIT_SUSPENDED"}


@dataclass(frozen=True)
class VapidSettings:
    private_key: str  # PEM, or a path to one
    public_key: str  # the application server key browsers subscribe with (base64url, uncompressed point)
    subject: str


def vapid_from_env(env: Env) -> VapidSettings | None:
    """Push is on when VAPID_PRIVATE_KEY is set; its public key is derived, the subject defaults to APP_URL."""
    if not env.optional("VAPID_PRIVATE_KEY"):
        return None
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

    pem = env.pem("VAPID_PRIVATE_KEY")
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        from permitto_common.settings import ConfigError

        raise ConfigError("environment variable VAPID_PRIVATE_KEY must be an EC P-256 private key")
    raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return VapidSettings(pem, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                         env.text("VAPID_SUBJECT", "mailto:" + env.text("EMAIL_FROM", "noreply@permitto.app")
                                  .split("<")[-1].rstrip(">")))


def init_push(app: Flask, settings: VapidSettings | None) -> None:
    app.extensions[_KEY] = settings


def push_settings() -> VapidSettings | None:
    settings: VapidSettings | None = current_app.extensions.get(_KEY)
    return settings


def send(user_id: uuid.UUID, message: dict[str, Any]) -> dict[str, int]:
    settings = push_settings()
    if settings is None:
        return {"sent": 0, "dropped": 0}
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    vapid = Vapid.from_pem(settings.private_key.encode())
    sent = dropped = 0
    for subscription in db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)):
        try:
            webpush(
                subscription_info={"endpoint": subscription.endpoint,
                                   "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=json.dumps(message), vapid_private_key=vapid, vapid_claims={"sub": settings.subject},
                ttl=3600, timeout=10,
            )
            sent += 1
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                db.session.delete(subscription)  # the browser unsubscribed: never push there again
                dropped += 1
            else:
                log.warning("push failed", extra={"status": status, "error": str(exc)[:300]})
        except requests.RequestException as exc:  # one unreachable push service never stops the others
            log.warning("push service unreachable", extra={"error": str(exc)[:300]})
    db.session.commit()
    return {"sent": sent, "dropped": dropped}
