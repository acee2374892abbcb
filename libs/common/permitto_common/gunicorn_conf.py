"""gunicorn's own settings for every web process (`-c python:permitto_common.gunicorn_conf`).

gunicorn answers a request it cannot parse (a URL over its request-line limit, oversized or broken
headers) itself, before any Flask code runs, with an HTML page. Its workers write that page through
`gunicorn.util.write_error`; replacing that one function here, in the master before it forks, makes
those answers the same JSON error envelope as every other error."""

from __future__ import annotations

import json
import socket

from gunicorn import util

from .errors import STATUS_CODES
from .observability import new_request_id

# Our words for what gunicorn refuses; its own messages echo the client's bytes back.
MESSAGES = {
    400: "The request could not be read (malformed request line or headers).",
    403: "The request is forbidden.",
    414: "The URL is too long (at most 4094 characters in the request line).",
    417: "The Expect header is not supported.",
    431: "The request headers are too large.",
    501: "The request uses something this server does not implement.",
}


def envelope_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    body = json.dumps({"success": False, "error": {
        "code": STATUS_CODES.get(status_int, "INTERNAL_ERROR"),
        "message": MESSAGES.get(status_int, "Something went wrong on our side. The error was logged."),
        "requestId": new_request_id()}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


util.write_error = envelope_error
