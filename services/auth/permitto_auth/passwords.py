"""Password hashing (argon2id) and the password policy.

Every deployment hashes with STANDARD: RFC 9106's low-memory profile (three passes over 64 MiB in four
lanes), about a quarter of a second of CPU a hash on a 2-core box, as it should be. LIGHT_FOR_TESTS is
the same argon2id with one pass over 1 MiB in one lane, for the test suite's systems only
(devstack's pytest plugin sets PASSWORD_HASHING), which create hundreds of accounts and sign in as
many times: the shared system tests alone made some 380 hashes, about 95 s of CPU. No deployment
file sets the variable, a delivery check keeps it so, and a hash made with other parameters than the
profile in use is made again at the next sign-in (needs_rehash)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

STANDARD = "standard"
LIGHT_FOR_TESTS = "light-for-tests"
HASHERS = {
    STANDARD: PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4),
    LIGHT_FOR_TESTS: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_hasher = HASHERS[STANDARD]

MIN_LENGTH = 12


def use(profile: str) -> None:
    """The profile this process hashes with (the PASSWORD_HASHING setting, checked by name there)."""
    global _hasher
    _hasher = HASHERS[profile]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Made with other parameters than the profile in use: hashed again once the password is known."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def dummy_hash() -> str:
    """What an unknown email is verified against, so both answers take alike: made with the profile in use."""
    return _dummy_hash(_hasher)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-0")


def policy_problems(password: str) -> list[str]:
    """What a password lacks; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > 256:
        problems.append("at most 256 characters")
    if not any(c.isalpha() for c in password):
        problems.append("a letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    return problems
