"""`python -m devstack.migrations_check SERVICE`: on DATABASE_URL's server, a fresh database migrated to head
by the service's own migrations, then `flask db check` (models and migrations agree) and a full downgrade."""

from __future__ import annotations

import os
import subprocess
import sys

from permitto_common.keygen import ensure_keys

from .engines import ensure_database
from .processes import SERVICE_BY_NAME
from .stack import REPO_ROOT


def main() -> None:
    service = SERVICE_BY_NAME[sys.argv[1]]
    admin = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    name = f"migrations_{service.name}"
    ensure_database(admin, name, fresh=True)
    private, public, token = ensure_keys(REPO_ROOT / "var" / "keys")
    env = {**os.environ, "FLASK_APP": service.flask_app, "DATABASE_URL": admin.rsplit("/", 1)[0] + "/" + name,
           "JWT_PUBLIC_KEY": str(public), "JWT_PRIVATE_KEY": str(private), "INTERNAL_API_TOKEN": token,
           "AUTH_URL": "http://127.0.0.1:9", "FILES_URL": "http://127.0.0.1:9", "S3_ENDPOINT_URL": "http://127.0.0.1:9",
           "R2_ACCESS_KEY_ID": "x", "R2_SECRET_ACCESS_KEY": "x", "R2_BUCKET_NAME": "x", "SMTP_HOST": "127.0.0.1",
           "LOG_LEVEL": "WARNING"}
    for args in (["db", "upgrade"], ["db", "check"], ["db", "downgrade", "base"], ["db", "upgrade"]):
        print(f"{service.name}: flask {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=REPO_ROOT, check=True)


if __name__ == "__main__":
    main()
