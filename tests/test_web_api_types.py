"""The web app is typed from the API as it runs: docs/openapi.json is the gateway's merged document and
web/src/api/schema.d.ts is generated from it. Either one behind the system fails here; `make api-types`
brings both up to date, and tsc then shows every screen the change touches."""

import requests

from devstack.api_types import DOCUMENT, TYPES, document_text, generate_types


def test_the_committed_api_document_is_the_gateways(gateway):
    live = requests.get(gateway + "/api/v1/openapi.json", timeout=30).json()
    assert DOCUMENT.read_text() == document_text(live), "docs/openapi.json is behind the API: run `make api-types`"


def test_the_web_apps_types_are_generated_from_it(tmp_path):
    fresh = tmp_path / "schema.d.ts"
    generate_types(DOCUMENT, fresh)
    assert fresh.read_text() == TYPES.read_text(), "web/src/api/schema.d.ts is stale: run `make api-types`"
