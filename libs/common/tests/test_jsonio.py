"""The JSON provider: orjson's output is what the stdlib's encoding of the same answer said, and what
orjson refuses is still encoded."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from flask import Flask

from permitto_common.jsonio import JSONProvider, dumps


def test_uuids_and_instants_are_written_as_str_and_isoformat_would():
    value = uuid.uuid4()
    instants = [datetime(2026, 12, 2, 7, 20, 53, tzinfo=UTC), datetime(2026, 12, 2, 7, 20, 53, 120, tzinfo=UTC),
                datetime(2026, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=-4)))]
    encoded = json.loads(dumps({"id": value, "at": instants, "day": date(2026, 1, 2), "t": time(8, 30)}))
    assert encoded == {"id": str(value), "at": [i.isoformat() for i in instants], "day": "2026-01-02",
                       "t": "08:30:00"}


def test_what_orjson_refuses_is_encoded_by_the_stdlib():
    @dataclass
    class Point:
        x: int

    assert json.loads(dumps({"amount": Decimal("1.50"), "p": Point(2)})) == {"amount": "1.50", "p": {"x": 2}}
    # A lone surrogate, as a client may send it ("\udaed" in its JSON): escaped, not a failed answer.
    assert json.loads(dumps({"field": "PERMIT\udaed"})) == {"field": "PERMIT\udaed"}
    assert json.loads(dumps({1: "a"})) == {"1": "a"}


def test_the_provider_answers_compact_utf8_json_with_a_newline():
    app = Flask(__name__)
    app.json = JSONProvider(app)
    with app.app_context():
        answer = app.json.response({"name": "Zoë", "n": [1, 2]})
        assert answer.mimetype == "application/json"
        assert answer.get_data() == '{"name":"Zoë","n":[1,2]}\n'.encode()
        assert app.json.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'
