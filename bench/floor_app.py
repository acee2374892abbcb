"""The framework floor of bench/hotpath.py: a WSGI app with no framework that runs the very SQL statements
the permits service ran for a read (captured from it by the benchmark), with psycopg, and answers the rows
as JSON in the API's envelope. No auth, no membership, no metrics, no logs: what is left when everything
the service does besides its SQL is taken away. Served by gunicorn like the service:

    FLOOR_STATEMENTS=statements.pickle gunicorn --pythonpath bench floor_app:app
"""

from __future__ import annotations

import json
import os
import pickle
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psycopg

STATEMENTS: dict[str, list[tuple[str, Any, bool]]] = pickle.loads(Path(os.environ["FLOOR_STATEMENTS"]).read_bytes())  # noqa: S301 -- the benchmark's own file
DATABASE_URL = os.environ["DATABASE_URL"]
_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DATABASE_URL)
    return conn


def _read(kind: str) -> list[list[dict[str, Any]]]:
    conn = _connection()
    answers = []
    try:
        with conn.cursor() as cursor:
            for sql, params, autocommit in STATEMENTS[kind]:
                if conn.autocommit != autocommit:  # as the service ran it: in a transaction or without one
                    conn.rollback()
                    conn.autocommit = autocommit
                cursor.execute(sql, params)
                if cursor.description is None:
                    continue
                names = [c.name for c in cursor.description]
                answers.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    finally:
        conn.rollback()  # as the service's session ends its transaction, when there is one
    return answers


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    kind = environ.get("PATH_INFO", "/").strip("/") or "list"
    if kind not in STATEMENTS:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"success": false}']
    answers = _read(kind)
    body = json.dumps({"success": True, "data": answers[0] if answers else []}, default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
