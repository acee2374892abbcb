"""Make a development key set once: an RS256 pair for access tokens, an internal API token, the Web Push
(VAPID) key and the secret that signs the public permit-check links (verify-link-secret).

    python -m permitto_common.keygen DIR

Used by `make up` and by docker compose's one-shot `keys` service. Production keys are made
once by an operator and kept in Railway variables (see infra/runbooks/secrets.md)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path


def ensure_keys(key_dir: Path) -> tuple[Path, Path, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key_dir.mkdir(parents=True, exist_ok=True)
    private, public, token_file = key_dir / "jwt-private.pem", key_dir / "jwt-public.pem", key_dir / "internal-token"
    if not private.exists() or not public.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        private.chmod(0o640)
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    vapid = key_dir / "vapid-private.pem"
    if not vapid.exists():
        from cryptography.hazmat.primitives.asymmetric import ec

        # Web Push (VAPID) signing key of the notifications service: EC P-256.
        vapid.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        vapid.chmod(0o640)
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o640)
    verify_secret = key_dir / "verify-link-secret"
    if not verify_secret.exists():
        verify_secret.write_text(secrets.token_urlsafe(48))
        verify_secret.chmod(0o640)
    return private, public, token_file.read_text().strip()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m permitto_common.keygen DIR")
    made = ensure_keys(Path(sys.argv[1]))
    print(f"keys ready in {sys.argv[1]}: {made[0].name}, {made[1].name}, vapid-private.pem, internal-token, "
          "verify-link-secret")
