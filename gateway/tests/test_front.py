"""The gateway's front (front.py), started as production starts it: `python -m permitto_gateway.front`, with
gunicorn behind it on a Unix socket, in front of the stand-in service and this worker's Redis. It serves
signed-in reads itself and hands everything else to the gateway; either way the client gets the same answer."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt
import pytest
import requests

from devstack.engines import free_port, wait_for_port
from permitto_common.security import deny_key_for_session, session_checked_by_edge

ORIGIN = "https://app.permitto.example"
PER_USER = 20


def start_front(gateway_env, scratch, *, sink=subprocess.DEVNULL, **settings):
    """`python -m permitto_gateway.front` as production starts it, on a port of its own; (process, port).
    The folders it makes itself (its socket's, the metrics') go in scratch, a folder of the test's own (see
    short_scratch): a front killed on purpose cannot remove its own."""
    port = free_port()
    env = {**os.environ, **gateway_env, "PORT": str(port), "BIND_HOST": "127.0.0.1", "WEB_CONCURRENCY": "1",
           "GUNICORN_WORKER_CLASS": "gevent", "FLASK_APP": "permitto_gateway.app:create_app", "TMPDIR": str(scratch),
           **settings}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "permitto_gateway.front"], env=env, stdout=sink,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=60, proc=proc, what="the gateway's front")
    except BaseException:
        proc.kill()
        raise
    return proc, port


def short_scratch():
    """A folder directly in /tmp: the front's Unix socket goes two levels below it, and a socket's path
    must stay under 108 bytes, which pytest's own folders (per worker, per test) can pass."""
    return tempfile.TemporaryDirectory(prefix="permitto-front-test-")


@pytest.fixture(scope="module")
def front(app, gateway_env):
    """The front's URL, its process, and the file its log lines go to."""
    with short_scratch() as scratch:
        log_file = Path(scratch) / "front.log"
        with log_file.open("wb") as sink:
            proc, port = start_front(
                gateway_env, scratch, sink=sink, LOG_LEVEL="INFO", RATE_LIMIT_USER_PER_MINUTE=str(PER_USER)
            )
        try:
            yield {"url": f"http://127.0.0.1:{port}", "port": port, "proc": proc, "log": log_file}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def bearer(token, **extra):
    return {"Authorization": f"Bearer {token}", **extra}


def inner_pids(front):
    """gunicorn behind the front, and its workers."""
    found, todo = [], [front["proc"].pid]
    while todo:
        children = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True, text=True).stdout.split()
        found.extend(map(int, children))
        todo.extend(map(int, children))
    return found


def test_a_signed_in_read_is_answered_as_the_gateway_answers_it(front, client, mint, app):
    token = mint(sub="u-front-1")
    claims = jwt.decode(token, options={"verify_signature": False})
    headers = bearer(token, Origin=ORIGIN, **{"X-Request-ID": "front-test-0001", "X-Forwarded-For": "10.9.8.7",
                                              "X-Authenticated-User-Id": "forged", "X-Session-Checked": "1:forged"})
    through_front = requests.get(front["url"] + "/api/v1/users/42?x=1&y=%20", headers=headers, timeout=10)
    in_process = client.get("/api/v1/users/42?x=1&y=%20", headers=headers)
    assert through_front.status_code == in_process.status_code == 207
    front_body, gateway_body = through_front.json(), in_process.json
    front_word, gateway_word = front_body.pop("session_checked"), gateway_body.pop("session_checked")
    assert front_body == gateway_body == {
        "path": "/api/v1/users/42", "query": "x=1&y=%20", "body": "", "request_id": "front-test-0001",
        "authorization": f"Bearer {token}", "user": None, "role": None, "forwarded_for": "10.9.8.7"}
    for word in (front_word, gateway_word):  # the edge's own word, never the client's
        assert session_checked_by_edge(word, claims, app.config["INTERNAL_API_TOKEN"])
    ignored = {"date", "server", "content-length"}
    assert {k.lower(): v for k, v in through_front.headers.items() if k.lower() not in ignored} == \
        {k.lower(): v for k, v in in_process.headers.items() if k.lower() not in ignored}
    assert through_front.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert through_front.headers["X-Request-ID"] == "front-test-0001"


def test_reads_are_served_by_the_front_itself_and_everything_else_by_the_gateway(front, mint):
    """With the gateway behind it stopped, signed-in reads are still answered; a write waits for it."""
    token = mint(sub="u-front-2")
    warm = requests.get(front["url"] + "/api/v1/users/1", headers=bearer(token), timeout=10)
    assert warm.status_code == 207
    pids = inner_pids(front)
    assert pids, "gunicorn runs behind the front"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        read = requests.get(front["url"] + "/api/v1/users/2", headers=bearer(token), timeout=5)
        assert read.status_code == 207
        assert read.json()["path"] == "/api/v1/users/2"
        with pytest.raises(requests.Timeout):
            requests.post(front["url"] + "/api/v1/users/3", headers=bearer(token), json={}, timeout=1.5)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    write = requests.post(front["url"] + "/api/v1/users/3", headers=bearer(token), data='{"a": 1}', timeout=10)
    assert write.status_code == 207
    assert write.json()["body"] == '{"a": 1}'


def test_the_client_address_reaches_the_service_the_same_either_way(front, mint):
    """One trusted hop: the address the edge's proxy appended, not one the client made up before it."""
    headers = bearer(mint(sub="u-front-3"), **{"X-Forwarded-For": "6.6.6.6, 10.1.2.3"})
    read = requests.get(front["url"] + "/api/v1/users/1", headers=headers, timeout=10)
    write = requests.post(front["url"] + "/api/v1/users/1", headers=headers, json={}, timeout=10)
    anonymous = requests.post(front["url"] + "/api/v1/auth/login", json={}, timeout=10,
                              headers={"X-Forwarded-For": "10.1.2.4"})
    assert read.json()["forwarded_for"] == write.json()["forwarded_for"] == "10.1.2.3"
    assert anonymous.json()["forwarded_for"] == "10.1.2.4"


def test_refusals_come_from_the_gateway_in_its_envelope(front, mint, app):
    from permitto_common.redis_conn import get_redis

    url = front["url"] + "/api/v1/users"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["error"]["message"].startswith("Authentication required")
    forged = requests.get(url, headers=bearer("not.a.token"), timeout=10)
    assert forged.status_code == 401
    assert forged.json()["error"]["message"] == "The access token is not valid."
    expired = requests.get(url, headers=bearer(mint(ttl=-5)), timeout=10)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]
    ended = mint(sub="u-front-4")
    sid = jwt.decode(ended, options={"verify_signature": False})["sid"]
    assert requests.get(url, headers=bearer(ended), timeout=10).status_code == 207
    get_redis(app).set(deny_key_for_session(sid), "logout", ex=60)
    refused = requests.get(url, headers=bearer(ended), timeout=10)
    assert refused.status_code == 401
    assert "ended" in refused.json()["error"]["message"]
    assert refused.headers["X-Request-ID"] == refused.json()["error"]["requestId"]


def test_a_dead_service_is_answered_by_the_front_in_the_gateways_words_then_paused(front, mint):
    headers = bearer(mint(sub="u-front-9"), Origin=ORIGIN)
    answers = [requests.get(front["url"] + "/api/v1/permits", headers=headers, timeout=10) for _ in range(7)]
    assert {a.status_code for a in answers} == {503}
    messages = [a.json()["error"]["message"] for a in answers]
    assert messages[:5] == ["The permits service is unavailable."] * 5
    assert messages[5].startswith("The permits service is failing; requests are paused")
    assert int(answers[6].headers["Retry-After"]) >= 1
    assert all(a.headers["Access-Control-Allow-Origin"] == ORIGIN for a in answers)
    assert all(a.headers["X-Request-ID"] == a.json()["error"]["requestId"] for a in answers)


def test_the_rate_limit_is_the_gateways_counter(front, mint):
    token = mint(sub="u-front-5")
    codes = [requests.get(front["url"] + "/api/v1/users", headers=bearer(token), timeout=10).status_code
             for _ in range(PER_USER + 3)]
    assert codes[:PER_USER] == [207] * PER_USER
    assert set(codes[PER_USER:]) == {429}
    over = requests.get(front["url"] + "/api/v1/users", headers=bearer(token), timeout=10)
    assert over.json()["error"]["code"] == "RATE_LIMITED"
    assert int(over.headers["Retry-After"]) >= 1


def test_streamed_and_large_answers_are_passed_on_as_they_come(front, mint):
    headers = bearer(mint(sub="u-front-6"))
    chunks = requests.get(front["url"] + "/api/v1/notifications/chunks", headers=headers, timeout=10)
    assert chunks.status_code == 200
    assert chunks.headers["Transfer-Encoding"] == "chunked"
    assert chunks.text == "".join(f"part {n}\n" for n in range(50))
    large = requests.get(front["url"] + "/api/v1/notifications/large", headers=headers, timeout=10, stream=True)
    assert large.headers["Content-Length"] == "200000"
    assert large.raw.read() == b"0123456789" * 20_000
    head = requests.head(front["url"] + "/api/v1/notifications/large", headers=headers, timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "200000"
    assert head.content == b""


def running(pids):
    """Those of pids still running (a zombie has ended: only its parent's reaping is left)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def test_a_slow_reader_of_a_large_answer_leaves_the_connection_behind_it_usable(front, mint):
    """The front stops reading the service while the client is slow; the service's connection goes back
    to the pool read again, so the next call on it is answered."""
    token = mint(sub="u-front-10")
    with socket.socket() as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(10)
        slow.connect(("127.0.0.1", front["port"]))
        slow.sendall(b"GET /api/v1/notifications/huge HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                     % token.encode())
        time.sleep(1.0)  # the front's buffers fill and it pauses the service's connection
        got = b""
        while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 8_000_000:
            part = slow.recv(65536)
            assert part, "the answer was cut"
            got += part
            time.sleep(0.0005)
    assert got.split(b"\r\n\r\n", 1)[1] == b"0123456789" * 800_000
    for _ in range(3):
        after = requests.get(front["url"] + "/api/v1/notifications/large", headers=bearer(token), timeout=5)
        assert after.status_code == 200
        assert len(after.content) == 200_000


def test_a_service_connection_paused_as_its_answer_ended_is_read_again_in_the_pool():
    """The slow client's pause can come with the answer's last bytes, in the read that ends it, or just
    after it ended, while what came with the head is passed on: either way the connection goes back to
    the pool reading, and the next call on it is answered."""
    import asyncio
    import threading

    from permitto_gateway.front import Pool

    body = b"0123456789" * 20_000
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():  # one kept-alive connection, as gunicorn keeps them (the dev server closes each one)
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as reader:
            for answer in range(3):
                while reader.readline() not in (b"\r\n", b""):
                    pass
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
                if answer == 0:
                    time.sleep(0.2)  # the body comes after the head has been taken: the pause comes in its read
                conn.sendall(body)

    threading.Thread(target=serve, daemon=True).start()
    host, port = listener.getsockname()
    request = b"GET /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n"

    async def calls():
        pool = Pool(host=host, port=port)
        links, bodies = [], []
        for _ in range(3):
            exchange = await pool.exchange(request, "GET", 5)
            received = []

            def slow_client(data, exchange=exchange, received=received):  # as Connection.pause_writing does
                received.append(data)
                if sum(map(len, received)) >= len(body):  # the client's buffer fills with the last bytes
                    exchange.pause()

            exchange.attach(slow_client)
            await asyncio.wait_for(exchange.done, 5)
            links.append(exchange.link)
            bodies.append(b"".join(received))
        return links, bodies

    try:
        links, bodies = asyncio.run(calls())
    finally:
        listener.close()
    assert links[0] is links[1] is links[2]
    assert bodies == [body] * 3


def raw_exchange(front, data, *, reads=1):
    with socket.create_connection(("127.0.0.1", front["port"]), timeout=10) as sock:
        sock.sendall(data)
        got = b""
        while got.count(b"HTTP/1.1 ") < reads or not got.endswith(b"}"):
            part = sock.recv(65536)
            if not part:
                break
            got += part
        return got


def test_pipelined_requests_are_answered_in_order_and_close_is_honoured(front, mint):
    token = mint(sub="u-front-7").encode()
    one = b"GET /api/v1/users/%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
    answers = raw_exchange(front, one % (1, token) + (one % (2, token)).replace(b"\r\n\r\n", b"\r\n"
                                                                                 b"Connection: close\r\n\r\n"), reads=2)
    assert answers.index(b'"path":"/api/v1/users/1"') < answers.index(b'"path":"/api/v1/users/2"')
    assert answers.count(b"HTTP/1.1 207") == 2
    conn = http.client.HTTPConnection("127.0.0.1", front["port"], timeout=10)
    conn.request("GET", "/api/v1/users/3", headers={"Authorization": f"Bearer {token.decode()}", "Connection": "close"})
    response = conn.getresponse()
    assert response.status == 207
    assert response.getheader("Connection") == "close"
    response.read()
    assert response.will_close


def test_unreadable_and_oversized_requests_are_refused_in_the_envelope(front):
    malformed = raw_exchange(front, b"GET /api/v1/users HTTP/1.1\r\nHost x\r\n\r\n")
    assert malformed.startswith(b"HTTP/1.1 400 ")
    assert json.loads(malformed.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "BAD_REQUEST"
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"x" * 1000) for n in range(80))
    too_large = raw_exchange(front, b"GET /api/v1/users HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert too_large.startswith(b"HTTP/1.1 431 ")
    body = requests.post(front["url"] + "/api/v1/files", data=b"x" * (64 * 1024 * 1024), timeout=30,
                         headers={"Content-Type": "application/octet-stream"})
    assert body.status_code == 413
    assert body.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_what_the_front_serves_is_logged_and_counted(front, mint, gateway_env):
    token = mint(sub="u-front-8")
    answer = requests.get(front["url"] + "/api/v1/users/9", headers=bearer(token, **{"X-Request-ID": "front-log-01"}),
                          timeout=10)
    assert answer.status_code == 207
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in Path(front["log"]).read_text().splitlines() if "front-log-01" in line]
        if lines:
            break
        time.sleep(0.05)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [("GET", "/api/v1/users/9", 207)]
    metrics = requests.get(front["url"] + "/metrics", headers={"X-Internal-Token": gateway_env["INTERNAL_API_TOKEN"]},
                           timeout=10).text
    assert any(line.startswith("permitto_http_requests_total{") and 'endpoint="/api/v1/users"' in line
               and 'method="GET"' in line and 'status="207"' in line for line in metrics.splitlines())


@pytest.fixture
def scratch():
    with short_scratch() as folder:
        yield folder


def test_silent_connections_are_closed_and_the_front_stops_with_the_gateway_behind_it(app, gateway_env, scratch):
    proc, port = start_front(gateway_env, scratch, KEEP_ALIVE_SECONDS="1")
    pids = inner_pids({"proc": proc})
    with socket.create_connection(("127.0.0.1", port), timeout=10) as idle, \
            socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # a request that never ends
        started = time.monotonic()
        assert idle.recv(100) == b""
        assert slow.recv(100) == b""
        assert time.monotonic() - started < 5
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pids)


def test_a_killed_front_takes_the_gateway_behind_it_along(app, gateway_env, scratch):
    proc, port = start_front(gateway_env, scratch)
    pids = inner_pids({"proc": proc})
    assert pids
    # gunicorn booted its worker: a worker still importing the app is waited for until the graceful timeout
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 30
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pids)

