"""The public API document: merged by the gateway from what each service generates, valid OpenAPI 3.1,
covering exactly what the gateway routes; the docs page works from shipped assets; and a property-based
run (schemathesis) through the gateway finds no 5xx and no answer that breaks the document.

Schemathesis creates users, projects and templates at random, so it gets a system of its own."""

import json
import os
import re

import pytest
import requests

from devstack.api_client import Api
from devstack.fuzzing import run_schemathesis, what_went_wrong
from devstack.stack import running_system
from permitto_gateway.routes import PUBLIC, PUBLIC_PREFIXES, match

SAMPLE_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def docs_system():
    with running_system("apidocs", redis_db=14, overrides={"gateway": {
            "RATE_LIMIT_USER_PER_MINUTE": "100000", "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "100000",
            "RATE_LIMIT_LOGIN_PER_MINUTE": "100000", "RATE_LIMIT_RESET_PER_15_MINUTES": "100000"}}) as stack:
        yield stack


@pytest.fixture(scope="module")
def base(docs_system):
    return f"http://127.0.0.1:{docs_system.ports['gateway']}"


@pytest.fixture(scope="module")
def document(base):
    response = requests.get(base + "/api/v1/openapi.json", timeout=60)
    assert response.status_code == 200
    merged = response.json()
    assert "x-missing-services" not in merged["info"], merged["info"]  # every service's part is in it
    return merged


def test_the_merged_document_is_valid_openapi_31(document):
    from openapi_spec_validator import validate

    assert document["openapi"] == "3.1.0"
    validate(document)
    assert sorted(document["x-services"]) == ["auth", "files", "notifications", "permits"]
    assert "x-missing-services" not in document["info"]


def test_every_documented_path_is_routed_to_the_service_that_documents_it(document):
    for path in document["paths"]:
        assert path.startswith("/api/v1/")
        assert match(re.sub(r"\{[^}]+\}", SAMPLE_ID, path.removeprefix("/api/v1"))) is not None, path
    assert "/api/v1/permits/{permit_id}/files" in document["paths"]  # the files service's, nested in permits
    assert not [p for p in document["paths"] if p.startswith("/internal")]
    operations = sum(len(ops) for ops in document["paths"].values())
    assert operations >= 55


def test_the_operations_without_a_token_are_exactly_the_gateways_public_ones(document):
    anonymous = {(method.upper(), path.removeprefix("/api/v1"))
                 for path, ops in document["paths"].items() for method, op in ops.items() if op.get("security") == []}
    under_prefix = {(m, p) for m, p in anonymous if any(m == pm and p.startswith(prefix)
                                                       for pm, prefix in PUBLIC_PREFIXES)}
    assert anonymous - under_prefix == set(PUBLIC)
    assert under_prefix == {("GET", "/verify/{token}")}  # the permit check of a printed QR code


def test_request_and_answer_schemas_come_from_the_code(document):
    login = document["paths"]["/api/v1/auth/login"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]
    schemas = document["components"]["schemas"]
    assert schemas[body["$ref"].rsplit("/", 1)[1]]["required"] == ["email", "password"]
    permit = schemas["PermitOut"]
    assert {"number", "status", "allowedActions", "signatures"} <= set(permit["properties"])
    approve = document["paths"]["/api/v1/permits/{permit_id}/approve"]["post"]
    assert "requestBody" in approve
    assert approve["parameters"][0]["schema"]["format"] == "uuid"
    listing = document["paths"]["/api/v1/permits"]["get"]
    assert {"status", "projectId", "cursor", "limit"} <= {p["name"] for p in listing["parameters"]}
    assert "Roles: SUPER_ADMIN, COORDINATOR." in document["paths"]["/api/v1/permits/analytics"]["get"]["description"]


def test_the_docs_page_and_its_assets_are_served_by_the_gateway(base):
    page = requests.get(base + "/api/v1/docs", timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="(/api/v1/docs/[^"]+)"', page.text)
    assert len(assets) >= 4
    for asset in assets:
        response = requests.get(base + asset, timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    # every script and style is served by the gateway itself: none comes from another host (a CDN)
    assert not re.findall(r'(?:src|href)="(?!/api/v1/docs/)', page.text)
    init = requests.get(base + "/api/v1/docs/docs-init.js", timeout=10).text
    assert "/api/v1/openapi.json" in init


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(docs_system, base, document):
    users = json.loads((docs_system.var_dir / "demo-users.json").read_text())
    admin = next(u for u in users if u["role"] == "SUPER_ADMIN")
    api = Api(base, "10.88.0.1")
    token = api.login(admin["email"], admin["password"])["accessToken"]
    api.session.close()
    parts = run_schemathesis(base, token, client_address="10.88.0.2", phases="examples,coverage,fuzzing",
                             examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6")), seed=20261126,
                             timeout=600)
    for part in parts:
        assert part.returncode == 0, f"{part.name}:\n" + what_went_wrong(part.output)
    # the parts together are every operation but the two never fuzzed, each once
    documented = sum(len(ops) for ops in document["paths"].values())
    assert sum(part.selected for part in parts) == documented - 2, [part.output[-1500:] for part in parts]
    assert all(part.cases > 100 for part in parts), [(part.name, part.cases) for part in parts]
