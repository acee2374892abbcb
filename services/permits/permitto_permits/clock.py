"""The service's clock. Production reads the system time. Test stacks (and only they, by setting
ALLOW_TEST_CLOCK=1, read once at start into the app's config) may shift it through Redis, so a test can
walk a permit through days, deadlines and a DST change without sleeping; sweeps and jobs also take `now`
explicitly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from permitto_common.redis_conn import get_redis

OFFSET_KEY = "permitto:test-clock:offset-seconds"


def now() -> datetime:
    real = datetime.now(UTC)
    if not current_app.config.get("ALLOW_TEST_CLOCK"):
        return real
    offset = get_redis().get(OFFSET_KEY)
    return real + timedelta(seconds=float(offset)) if offset else real
