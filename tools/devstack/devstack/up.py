"""`make up`: the whole system on this machine, no Docker. Ctrl-C stops everything it started."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .engines import port_is_free
from .processes import DEFAULT_PORTS
from .stack import REPO_ROOT, Stack


def configured_ports() -> dict[str, int]:
    ports = {}
    for name, default in DEFAULT_PORTS.items():
        raw = os.environ.get(f"PERMITTO_{name.upper()}_PORT")
        ports[name] = int(raw) if raw else default
    return ports


def take_lock(var_dir: Path) -> object:
    var_dir.mkdir(parents=True, exist_ok=True)
    handle = open(var_dir / "up.lock", "a+")  # noqa: SIM115 (held for the life of the process)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        sys.exit(f"Permitto is already running from this folder (pid {pid}). Stop it with Ctrl-C first.")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def check_ports(ports: dict[str, int]) -> None:
    busy = [(name, port) for name, port in ports.items() if not port_is_free(port)]
    if busy:
        lines = [f"  port {port} ({name}) is in use; free it or set PERMITTO_{name.upper()}_PORT"
                 for name, port in busy]
        sys.exit("Cannot start: \n" + "\n".join(lines))


def banner(stack: Stack, seconds: float) -> str:
    gateway = f"http://localhost:{stack.ports['gateway']}"
    users = json.loads((stack.var_dir / "demo-users.json").read_text())
    lines = [
        "",
        f"Permitto is up in {seconds:.1f} s.",
        f"  Gateway:      {gateway}   (readiness: {gateway}/readyz)",
        f"  API docs:     {gateway}/api/v1/docs   (OpenAPI 3.1: {gateway}/api/v1/openapi.json)",
        f"  Mail folder:  {stack.var_dir / 'mail'}   (every email the system sends, as .eml)",
        f"  Logs:         {stack.var_dir / 'log'}",
        f"  Demo logins:  {stack.var_dir / 'demo-users.json'}",
    ]
    lines += [f"    {u['role']:<12} {u['email']:<34} {u['password']}" for u in users]
    lines += ["Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


def main() -> None:
    started = time.monotonic()
    var_dir = Path(os.environ.get("PERMITTO_VAR_DIR", REPO_ROOT / "var")).resolve()
    lock = take_lock(var_dir)
    ports = configured_ports()
    check_ports(ports)

    stack = Stack(var_dir=var_dir, ports=ports, durable=True, echo=True)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            print("\nStopping Permitto…", flush=True)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print("Starting PostgreSQL, Redis, S3 (moto) and the mail catcher…", flush=True)
        stack.start_engines()
        print("Migrating every service's database…", flush=True)
        stack.migrate()
        stack.seed()
        print("Starting services, workers and the scheduler…", flush=True)
        stack.start_all()
        stack.wait_ready(timeout=90)
        print(banner(stack, time.monotonic() - started), flush=True)
        while not stopping.wait(1.0):
            for name, running in list(stack.running.items()):
                if running.popen.poll() is not None:
                    print(f"!! {name} exited with code {running.popen.returncode}; see {var_dir}/log/{name}.log",
                          flush=True)
                    stack.running.pop(name)
    except Exception as exc:
        print(f"Permitto could not start: {exc}", file=sys.stderr, flush=True)
        stack.stop_all()
        sys.exit(1)
    finally:
        stack.stop_all()
        del lock
    print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
