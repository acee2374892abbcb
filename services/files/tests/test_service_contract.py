"""The files service passes the contract every service passes, and checks its bucket when asked if ready."""

from devstack.service_contract import *  # noqa: F403


def test_readyz_checks_the_bucket(client):
    response = client.get("/readyz")
    assert response.json["data"]["checks"]["storage"]["ok"] is True
