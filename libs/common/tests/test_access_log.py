"""The access log's line: written straight to the JSON handler's stream, it is the line the logging
module would have written; with any other handler present, the record goes through logging."""

import io
import json
import logging
import sys

import pytest

from permitto_common import observability
from permitto_common.observability import configure_logging, log_request, request_id_var


@pytest.fixture
def json_log(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, observability._json_handler, observability._service_name)
    configure_logging("gateway")
    token = request_id_var.set("req-000000001")
    yield stream
    request_id_var.reset(token)
    root.handlers, observability._json_handler, observability._service_name = saved[0], saved[2], saved[3]
    root.setLevel(saved[1])


def test_the_direct_line_is_the_line_logging_writes(json_log):
    log_request("GET", "/api/v1/permits", 200, 3.21)
    observability.ACCESS_LOG.info("request", extra={"method": "GET", "path": "/api/v1/permits", "status": 200,
                                                    "duration_ms": 3.21})
    direct, logged = (json.loads(line) for line in json_log.getvalue().splitlines())
    assert direct.pop("ts")[:16] == logged.pop("ts")[:16]
    assert list(direct.items()) == list(logged.items())  # the same keys, in the same order
    assert direct["request_id"] == "req-000000001"


def test_another_handler_gets_the_record(json_log, caplog):
    with caplog.at_level(logging.INFO, logger="permitto.access"):
        log_request("POST", "/api/v1/permits", 201, 12.5)
    assert [(r.getMessage(), r.method, r.status) for r in caplog.records] == [("request", "POST", 201)]


def test_nothing_is_written_below_the_level(json_log):
    logging.getLogger().setLevel(logging.WARNING)
    log_request("GET", "/api/v1/permits", 200, 1.0)
    assert json_log.getvalue() == ""
