"""The whole system as `make up` runs it (same processes, same environment), on free ports."""

import os
from pathlib import Path

import pytest
import requests

from devstack.api_client import Api
from devstack.stack import running_system


@pytest.fixture(scope="session")
def system():
    # make test runs the browser tests beside the others, on a system of their own (databases, Redis db)
    name = os.environ.get("PERMITTO_TEST_SYSTEM", "system")
    redis_db = int(os.environ.get("PERMITTO_TEST_REDIS_DB", "15"))
    with running_system(
        name, redis_db=redis_db,
        # Tests speak for many clients: each sends its own X-Forwarded-For, as a load balancer would.
        overrides={"gateway": {"TRUSTED_PROXY_HOPS": "1", "RATE_LIMIT_USER_PER_MINUTE": "100000",
                               "RATE_LIMIT_ANONYMOUS_PER_MINUTE": "100000", "RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
                               "RATE_LIMIT_VERIFY_PER_MINUTE": "20"},
                   # a clock tests can move (honoured only with this flag), and a sweep every few seconds
                   "permits": {"ALLOW_TEST_CLOCK": "1", "SWEEP_INTERVAL_SECONDS": "3"},
                   # a digest waits for a quiet spell after a user's newest reminder: two seconds here
                   "notifications": {"DIGEST_QUIET_SECONDS": "2"}},
    ) as stack:
        yield stack


@pytest.fixture(scope="session")
def gateway(system):
    return f"http://127.0.0.1:{system.ports['gateway']}"


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


_ip_counter = iter(range(1, 1_000_000))


@pytest.fixture
def new_api(gateway):
    """Make API clients, each from a fresh address so per-IP limits of one test never touch another."""
    made = []

    def make() -> Api:
        n = next(_ip_counter)
        api = Api(gateway, f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        made.append(api)
        return api

    yield make
    for api in made:
        api.session.close()


@pytest.fixture
def api_of(new_api, tokens):
    """An API client signed in as one of the demo roles, e.g. api_of("issuer.downtown")."""

    def make(role):
        api = new_api()
        api.token = tokens[role]
        return api

    return make


@pytest.fixture(scope="session")
def demo(system):
    """The demo logins by role key, e.g. demo['issuer.downtown'] -> (email, password)."""
    import json

    users = json.loads((system.var_dir / "demo-users.json").read_text())
    return {user["email"].split("@")[0]: (user["email"], user["password"]) for user in users}


@pytest.fixture(scope="session")
def tokens(gateway, demo):
    """One access token per demo role, logged in once for the session."""
    result = {}
    for key in ("admin", "coordinator", "issuer.downtown", "issuer.harbor", "receiver.downtown", "receiver.harbor",
                "receiver.both"):
        api = Api(gateway, f"10.250.0.{len(result) + 1}")
        result[key] = api.login(*demo[key])["accessToken"]
        api.session.close()
    return result


@pytest.fixture(scope="session")
def ids(gateway, tokens):
    """Ids of the demo projects and users, read once through the API."""
    api = Api(gateway, "10.250.1.1")
    api.token = tokens["admin"]
    projects = {p["code"]: p["id"] for p in api.get("/projects").json()["data"]}
    users = {u["email"].split("@")[0]: u["id"] for u in api.get("/users", params={"limit": 100}).json()["data"]}
    api.session.close()
    return {"projects": projects, "users": users}


@pytest.fixture(scope="session")
def area(gateway, tokens, ids):
    """area(project="DOWNTOWN"): a fresh work area, made by the coordinator, so the permits of one test meet
    no other test's under the SIMOPS rules."""
    from devstack.samples import new_work_area

    api = Api(gateway, "10.250.2.1")
    api.token = tokens["coordinator"]

    def make(project: str = "DOWNTOWN", name: str = "Test area") -> str:
        return new_work_area(api, ids["projects"][project], name)

    yield make
    api.session.close()


@pytest.fixture
def mailbox(system):
    """Wait for the emails the system sent to one address (read back from the mail catcher's folder)."""
    import time
    from email import message_from_bytes, policy

    def read(address: str, count: int = 1, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        found = []
        while time.monotonic() < deadline:
            found = []
            for path in sorted(Path(system.endpoints.mail_dir).glob("*.eml")):
                raw = path.read_bytes()
                if f"X-Envelope-To: {address}".encode() in raw:
                    found.append(message_from_bytes(raw, policy=policy.default))
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} email(s) to {address}, found {len(found)}")

    return read


@pytest.fixture
def auth_db(system):
    """Read-only look into the auth database, for what the API must not show (hashes, audit)."""
    import psycopg

    with psycopg.connect(system.endpoints.database_urls["auth"].replace("+psycopg", ""), autocommit=True) as conn:
        yield conn


@pytest.fixture
def clock(system):
    """Move the permits service's clock (its test stacks honour this Redis key; production never does)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from redis import Redis

    redis = Redis.from_url(system.endpoints.redis_url)
    key = "permitto:test-clock:offset-seconds"

    def set_to(moment: datetime) -> None:
        redis.set(key, str((moment - datetime.now(ZoneInfo("UTC"))).total_seconds()))

    yield set_to
    redis.delete(key)
    redis.close()
