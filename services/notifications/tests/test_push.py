"""Web Push against a local server speaking the push protocol: the payload arrives encrypted for the
browser's keys (decrypted here to check it) with a VAPID signature; a gone subscription is dropped."""

import base64
import json
import os
import threading
import uuid

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat
from flask import Flask, request
from werkzeug.serving import make_server

from devstack.engines import free_port
from permitto_notifications.channels import push
from permitto_notifications.extensions import db
from permitto_notifications.models import PushSubscription


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def push_service():
    """Endpoints under /live accept (201); under /gone they answer 410, as a push service does."""
    received = []
    api = Flask("push-service")

    @api.post("/<kind>/<token>")
    def deliver(kind, token):
        received.append({"path": request.path, "headers": dict(request.headers), "body": request.get_data()})
        return ("", 410) if kind == "gone" else ("", 201)

    server = make_server("127.0.0.1", free_port(), api, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


@pytest.fixture
def vapid(app):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, __import__(
        "cryptography.hazmat.primitives.serialization", fromlist=["NoEncryption"]).NoEncryption()).decode()
    previous = app.extensions.get("permitto.push")
    public = b64(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    push.init_push(app, push.VapidSettings(pem, public, "mailto:safety@permitto.example"))
    yield public
    push.init_push(app, previous)


def browser():
    """A browser's subscription keys: its P-256 key pair and auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    return key, auth, {"p256dh": b64(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
                       "auth": b64(auth)}


def test_pushes_are_encrypted_signed_and_gone_subscriptions_dropped(app, push_service, vapid, client, mint):
    base, received = push_service
    user = uuid.uuid4()
    key, auth, keys = browser()
    token = {"Authorization": f"Bearer {mint(sub=str(user))}"}
    assert client.get("/api/v1/notifications/push/public-key", headers=token).json["data"]["publicKey"] == vapid
    for kind in ("live", "gone"):
        response = client.post("/api/v1/notifications/push-subscriptions", headers=token,
                                json={"endpoint": f"{base}/{kind}/{uuid.uuid4().hex}", "keys": keys,
                                      "expirationTime": None})
        assert response.status_code == 201
    assert client.get("/api/v1/notifications/preferences", headers=token).json["data"]["pushEnabled"] is True

    message = {"id": "n1", "type": "PERMIT_APPROVED", "title": "SITE-HW-2026-001 given final approval"}
    assert push.send(user, message) == {"sent": 1, "dropped": 1}
    live = next(r for r in received if r["path"].startswith("/live/"))
    assert live["headers"]["Content-Encoding"] == "aes128gcm"
    assert live["headers"]["Authorization"].startswith("vapid t=")
    assert f"k={vapid}" in live["headers"]["Authorization"]
    plain = http_ece.decrypt(live["body"], private_key=key, auth_secret=auth, version="aes128gcm")
    assert json.loads(plain) == message
    remaining = db.session.scalars(db.select(PushSubscription).where(PushSubscription.user_id == user)).all()
    assert [s.endpoint.split("/")[-2] for s in remaining] == ["live"]
    assert push.send(user, message) == {"sent": 1, "dropped": 0}


def test_push_needs_vapid_configured(client, mint, app):
    previous = app.extensions.get("permitto.push")
    push.init_push(app, None)
    try:
        token = {"Authorization": f"Bearer {mint()}"}
        assert client.get("/api/v1/notifications/push/public-key", headers=token).status_code == 503
    finally:
        push.init_push(app, previous)


def test_preferences_accept_only_known_events_and_channels_and_change_nothing_otherwise(client, mint):
    token = {"Authorization": f"Bearer {mint(sub=str(uuid.uuid4()), role='ISSUER')}"}
    url = "/api/v1/notifications/preferences"
    saved = client.patch(url, json={"perEvent": {"PERMIT_REJECTED": {"push": True}}}, headers=token)
    assert saved.status_code == 200
    assert saved.json["data"]["perEvent"] == {"PERMIT_REJECTED": {"push": True}}
    for bad, field in (({"perEvent": {"NO_SUCH_EVENT": {"email": False}}}, "perEvent"),
                       ({"perEvent": {"PERMIT_REJECTED\udaed": {"email": False}}}, "perEvent"),
                       ({"perEvent": {"PERMIT_REJECTED": {"email": False}}, "x": "a\x00b"}, "x"),
                       ({"perEvent": {"PERMIT_REJECTED": {"sms": True}}}, "perEvent.PERMIT_REJECTED.sms")):
        response = client.patch(url, json=bad, headers=token)
        assert response.status_code == 422
        assert response.json["error"]["details"][0]["field"] == field
    assert client.get(url, headers=token).json["data"]["perEvent"] == {"PERMIT_REJECTED": {"push": True}}
