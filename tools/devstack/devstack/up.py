"""`make up`: the whole system on this machine, no Docker. Ctrl-C stops everything it started.

It supervises what it started as Railway's restart policy and compose's `restart:` do: a process that
dies is started again after a growing pause (1 s, 2 s, 4 s … 30 s), said on the console. Stopping is
safe against any number of signals: the handlers only note the time (no printing, no locks), a
repeated signal within a second is the same request (make and the process group each send one), and a
later one hurries the stop (kill instead of waiting). Whatever a `make up` that died left running
here (its processes, the daemonised PostgreSQL) is found and stopped by the next one."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .engines import port_is_free
from .processes import DEFAULT_PORTS
from .stack import REPO_ROOT, Stack
from .webbuild import ensure_built

BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0  # a process that ran this long starts its backoff again from 1 s
SAME_REQUEST = 1.0  # signals closer than this are one request to stop


class StopRequested(Exception):
    """Raised by the first signal while starting: unwinds to the clean-up."""


@dataclass
class Signals:
    """What the handlers record: plain assignments only, which are safe in a signal handler."""

    first_at: float | None = None
    hurry_at: float | None = None
    raise_on_first: bool = True

    def handle(self, signum: int, _frame: object) -> None:
        now = time.monotonic()
        if self.first_at is None:
            self.first_at = now
            if self.raise_on_first:
                raise StopRequested
        elif now - self.first_at >= SAME_REQUEST:
            self.hurry_at = now

    @property
    def stopping(self) -> bool:
        return self.first_at is not None

    def hurried(self) -> bool:
        return self.hurry_at is not None


@dataclass
class Supervisor:
    """Restarts processes that exited, with backoff; run from the main loop, never from a handler."""

    stack: Stack
    restarts: dict[str, int] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)

    def tick(self, now: float) -> None:
        for name, running in list(self.stack.running.items()):
            if name in self.due or running.popen.poll() is None:
                continue
            if now - self.started_at.get(name, 0.0) >= HEALTHY_AFTER:
                self.restarts[name] = 0
            attempt = self.restarts.get(name, 0) + 1
            self.restarts[name] = attempt
            delay = min(BACKOFF_MAX, 2.0 ** (attempt - 1))
            self.due[name] = now + delay
            print(f"!! {name} exited with code {running.popen.returncode}; restarting it in {delay:.0f} s "
                  f"(restart {attempt}); see {self.stack.var_dir}/log/{name}.log", flush=True)
        for name, at in list(self.due.items()):
            if now >= at:
                del self.due[name]
                self.stack.restart_process(name)
                self.started_at[name] = now
                print(f".. {name} restarted (pid {self.stack.running[name].popen.pid})", flush=True)


def configured_ports() -> dict[str, int]:
    ports = {}
    for name, default in DEFAULT_PORTS.items():
        raw = os.environ.get(f"PERMITTO_{name.upper()}_PORT")
        ports[name] = int(raw) if raw else default
    return ports


def take_lock(var_dir: Path) -> object:
    """One `make up` per folder. The lock is the kernel's: it goes with the process that held it,
    however that process ended, so a dead run never blocks the next one."""
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
        f"  Web app:      {gateway}/app/   (open it on this machine; sign in with a demo login below)",
        f"  Gateway:      {gateway}   (readiness: {gateway}/readyz)",
        f"  API docs:     {gateway}/api/v1/docs   (OpenAPI 3.1: {gateway}/api/v1/openapi.json)",
        f"  Mail folder:  {stack.var_dir / 'mail'}   (every email the system sends, as .eml)",
        f"  Logs:         {stack.var_dir / 'log'}",
        f"  Demo logins:  {stack.var_dir / 'demo-users.json'}",
    ]
    lines += [f"    {u['role']:<12} {u['email']:<34} {u['password']}" for u in users]
    lines += ["A process that dies is restarted by itself. Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


def main() -> None:
    started = time.monotonic()
    var_dir = Path(os.environ.get("PERMITTO_VAR_DIR", REPO_ROOT / "var")).resolve()
    signals = Signals()
    signal.signal(signal.SIGINT, signals.handle)
    signal.signal(signal.SIGTERM, signals.handle)
    lock = take_lock(var_dir)
    ports = configured_ports()
    stack = Stack(var_dir=var_dir, ports=ports, durable=True, echo=True, hurry=signals.hurried)
    code = 0
    try:
        leftovers = stack.reap_leftovers()
        if leftovers:
            print(f"Stopped what an earlier make up left running: {', '.join(leftovers)}", flush=True)
        check_ports(ports)
        ensure_built()
        print("Starting PostgreSQL, Redis, S3 (moto) and the mail catcher…", flush=True)
        stack.start_engines()
        print("Migrating every service's database…", flush=True)
        stack.migrate()
        stack.seed()
        print("Starting services, workers and the scheduler…", flush=True)
        stack.start_all()
        stack.wait_ready(timeout=90)
        print(banner(stack, time.monotonic() - started), flush=True)
        signals.raise_on_first = False  # from here the loop below notices the request
        supervisor = Supervisor(stack, started_at={name: time.monotonic() for name in stack.running})
        while not signals.stopping:
            supervisor.tick(time.monotonic())
            time.sleep(0.2)
    except StopRequested:
        pass
    except Exception as exc:
        print(f"Permitto could not start: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signals.raise_on_first = False  # a signal during the clean-up must never cut it short
        print("\nStopping Permitto… (send the signal again to stop at once)", flush=True)
        stack.stop_all()
        del lock
    print("Stopped.", flush=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
