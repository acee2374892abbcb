"""`make api-types`: the web app's API types from the gateway's merged OpenAPI document. The document is
kept in docs/openapi.json and the types generated from it (openapi-typescript) in web/src/api/schema.d.ts;
a cross-service test fails when either is behind the running system, so a change of the API breaks the
build (tsc) rather than the user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from .stack import REPO_ROOT, running_system
from .webbuild import WEB, ensure_dependencies, npm

DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
TYPES = WEB / "src" / "api" / "schema.d.ts"


def document_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def generate_types(document_path: Path, out: Path) -> None:
    ensure_dependencies()
    npm("exec", "--no", "--", "openapi-typescript", str(document_path), "--default-non-nullable", "false",
        "--output", str(out), quiet=True)


def main() -> None:
    with running_system("api-types") as stack:
        gateway = f"http://127.0.0.1:{stack.ports['gateway']}"
        document = requests.get(gateway + "/api/v1/openapi.json", timeout=30).json()
    DOCUMENT.write_text(document_text(document))
    generate_types(DOCUMENT, TYPES)
    print(f"wrote {DOCUMENT.relative_to(REPO_ROOT)} and {TYPES.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
