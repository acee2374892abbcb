"""What the lean clients over kept-alive sockets share (the gateway's HTTP client, redis_wire)."""

from __future__ import annotations

import socket
import ssl

from urllib3.util.wait import wait_for_read


def still_open(sock: socket.socket) -> bool:
    """Nothing to read on an idle connection: neither its end of file nor stray bytes. A non-blocking
    peek, one system call (a poll through gevent's hub cost ten times as much)."""
    if isinstance(sock, ssl.SSLSocket):
        return not wait_for_read(sock, timeout=0.0)
    sock.settimeout(0.0)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False
