"""Password hashing: every deployment's profile, the tests' light one, and a hash made again at sign-in
when it was made with other parameters than the profile in use."""

import os

import pytest

from permitto_auth import passwords
from permitto_auth.config import Settings
from permitto_auth.extensions import db
from permitto_auth.models import User
from permitto_common.settings import ConfigError, Env


def settings_env(test_engines, **extra):
    return Env({"DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://x/0",
                "JWT_PUBLIC_KEY": str(test_engines.public_key), "JWT_PRIVATE_KEY": str(test_engines.private_key),
                "INTERNAL_API_TOKEN": "t" * 32, **extra})


def test_deployments_hash_with_rfc_9106s_low_memory_argon2id_unless_told_otherwise(test_engines):
    assert Settings.from_env(settings_env(test_engines)).password_hashing == passwords.STANDARD
    made = passwords.HASHERS[passwords.STANDARD].hash("a password of 12 chars")
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert Settings.from_env(settings_env(test_engines, PASSWORD_HASHING="light-for-tests")).password_hashing \
        == passwords.LIGHT_FOR_TESTS
    with pytest.raises(ConfigError, match="PASSWORD_HASHING must be one of"):
        Settings.from_env(settings_env(test_engines, PASSWORD_HASHING="none"))


def test_the_tests_systems_hash_lightly(app):
    assert passwords.hash_password("a password of 12 chars").startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_a_hash_made_with_other_parameters_is_made_again_with_the_profile_in_use_at_sign_in(app):
    client = app.test_client()
    light = passwords.HASHERS[passwords.LIGHT_FOR_TESTS].hash("correct horse 12")
    user = User(email="rehash@site.example", name="Rehash", role="RECEIVER", password_hash=light)
    db.session.add(user)
    db.session.commit()
    passwords.use(passwords.STANDARD)  # as a deployment that once ran with the light profile by mistake
    try:
        wrong = client.post("/api/v1/auth/login", json={"email": "rehash@site.example", "password": "wrong horse 12"})
        assert wrong.status_code == 401
        db.session.refresh(user)
        assert user.password_hash == light  # a wrong password changes nothing
        answer = client.post("/api/v1/auth/login", json={"email": "rehash@site.example",
                                                          "password": "correct horse 12"})
        assert answer.status_code == 200, answer.text
        db.session.refresh(user)
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert passwords.verify_password(user.password_hash, "correct horse 12")
        assert not passwords.needs_rehash(user.password_hash)
    finally:
        passwords.use(os.environ.get("PASSWORD_HASHING", passwords.STANDARD))  # as the app was made
