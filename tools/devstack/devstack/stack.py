"""A whole Permitto system on one machine: engines, migrations, demo data and every process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from permitto_common.keygen import ensure_keys

from .engines import MailCatcher, Postgres, Redis, S3Server, kill_group, process_alive, remove_scratch, stop_process
from .processes import BUCKET, SERVICE_BY_NAME, SERVICES, Endpoints, Process, processes, service_env

E = TypeVar("E")
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen[bytes]
    pump: threading.Thread | None = None


@dataclass
class Stack:
    var_dir: Path
    ports: dict[str, int]
    durable: bool = True
    echo: bool = False  # copy process output to the console, prefixed
    database_url: str | None = None  # an existing server to use instead of the embedded one
    redis_url: str | None = None
    db_prefix: str = ""
    persist_redis: bool = False  # keep an append-only file even in a throwaway stack (outage tests)
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)  # extra env per service
    running: dict[str, Running] = field(default_factory=dict)
    _engines: list[object] = field(default_factory=list)
    endpoints: Endpoints | None = None
    hurry: Callable[[], bool] = lambda: False  # when true, stopping kills instead of waiting
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # in every process's environment

    # what runs, on disk: a `make up` that died is cleaned up after by the next one ----------------
    @property
    def pid_file(self) -> Path:
        return self.var_dir / "processes.json"

    def _record_pids(self) -> None:
        marker = f"PERMITTO_RUN_ID={self.run_id}"
        pids = {name: {"pid": r.popen.pid, "marker": marker} for name, r in self.running.items()}
        for engine in self._engines:
            proc = getattr(engine, "proc", None)
            if proc is not None and proc.poll() is None:
                pids[type(engine).__name__] = {"pid": proc.pid, "marker": str(proc.args[0] if isinstance(
                    proc.args, list) else proc.args)}
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(pids))
        tmp.replace(self.pid_file)

    def reap_leftovers(self) -> list[str]:
        """Stop what an earlier run in this folder recorded and left running; returns what was stopped."""
        stopped = []
        try:
            recorded = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            recorded = {}
        for name, entry in recorded.items():
            if process_alive(int(entry["pid"]), entry["marker"]):
                kill_group(int(entry["pid"]))
                stopped.append(name)
        if not self.database_url and Postgres(self.var_dir / "postgres", self.ports["postgres"]).stop_leftover():
            stopped.append("Postgres")
        self.pid_file.unlink(missing_ok=True)
        return stopped

    # engines -------------------------------------------------------------------------------------
    def start_engines(self) -> Endpoints:
        log_dir = self.var_dir / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        private, public, token = ensure_keys(self.var_dir / "keys")

        if self.database_url:
            from .engines import ensure_database

            base = self.database_url.rsplit("/", 1)[0]
            admin = base + "/postgres"
            database_urls = {}
            for service in SERVICES:
                if service.database:
                    name = self.db_prefix + service.database
                    ensure_database(admin, name, fresh=not self.durable)
                    database_urls[service.name] = f"{base}/{name}"
        else:
            postgres = Postgres(self.var_dir / "postgres", self.ports["postgres"], durable=self.durable)
            postgres.start()
            self._engines.append(postgres)
            database_urls = {
                service.name: postgres.ensure_database(self.db_prefix + service.database)
                for service in SERVICES if service.database
            }

        if self.redis_url:
            redis_url = self.redis_url
        else:
            persist = self.durable or self.persist_redis
            redis = Redis(self.ports["redis"], self.var_dir / "redis" if persist else None)
            redis.start()
            self._engines.append(redis)
            redis_url = redis.url()

        s3 = S3Server(self.ports["s3"])
        s3.start()
        self._engines.append(s3)
        s3.ensure_bucket(BUCKET)

        mail = MailCatcher(self.ports["smtp"], self.var_dir / "mail")
        mail.start()
        self._engines.append(mail)
        self._record_pids()

        self.endpoints = Endpoints(
            ports=self.ports,
            database_urls=database_urls,
            redis_url=redis_url,
            jwt_private_key_file=str(private),
            jwt_public_key_file=str(public),
            internal_token=token,
            mail_dir=str(self.var_dir / "mail"),
        )
        return self.endpoints

    def engine(self, kind: type[E]) -> E:
        """The running engine of a kind (Redis, Postgres, ...) this stack started itself."""
        for engine in self._engines:
            if isinstance(engine, kind):
                return engine
        raise LookupError(f"this stack did not start a {kind.__name__}")

    def env_for(self, service_name: str) -> dict[str, str]:
        assert self.endpoints is not None, "start_engines first"
        env = dict(os.environ)
        env.update(service_env(SERVICE_BY_NAME[service_name], self.endpoints))
        env.update(self.overrides.get(service_name, {}))
        env["PERMITTO_RUN_ID"] = self.run_id
        return env

    # one-shot steps -------------------------------------------------------------------------------
    def _run_once(self, service_name: str, args: list[str]) -> None:
        result = subprocess.run(args, env=self.env_for(service_name), cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"{service_name}: {' '.join(args[-3:])} failed:\n{result.stderr[-4000:]}")

    def migrate(self) -> None:
        """Every service's migrations, in parallel: each owns its own database."""
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [
                pool.submit(self._run_once, service.name,
                            [sys.executable, "-m", "permitto_common.entrypoint", "migrate"])
                for service in SERVICES if service.database
            ]
            for future in futures:
                future.result()

    def seed(self) -> None:
        projects, users = self.var_dir / "demo-projects.json", self.var_dir / "demo-user-ids.json"
        self._run_once("auth", [sys.executable, "-m", "flask", "seed-demo",
                                "--output", str(self.var_dir / "demo-users.json"), "--projects-output", str(projects),
                                "--users-output", str(users)])
        self._run_once("permits", [sys.executable, "-m", "flask", "seed-demo", "--projects", str(projects),
                                   "--users", str(users)])

    # long-running processes -----------------------------------------------------------------------
    def start_process(self, process: Process) -> Running:
        log_file = open(self.var_dir / "log" / f"{process.name}.log", "ab")  # noqa: SIM115 (closed by the pump)
        env = self.env_for(process.service)
        if process.mode == "web" and "PROMETHEUS_MULTIPROC_DIR" not in env:
            # gunicorn's processes share their metrics here: in the stack's folder, not a new one in /tmp
            # each start (the entrypoint's own, which nothing removes), and emptied as a new process starts
            metrics = self.var_dir / "metrics" / process.name
            shutil.rmtree(metrics, ignore_errors=True)
            metrics.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        popen = subprocess.Popen(
            [sys.executable, "-m", "permitto_common.entrypoint", process.mode],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # A group of its own: Ctrl-C reaches us only, and we stop the children in order. Not a session
            # of its own: the kernel's autogroup scheduling gives every session an equal share of the CPU
            # whatever it runs, which starved the gateway's two workers beside permits' threads and each
            # PostgreSQL backend (which make sessions of their own) on one box (docs/performance.md).
            process_group=0,
        )
        pump = threading.Thread(target=self._pump, args=(process.name, popen.stdout, log_file), daemon=True)
        pump.start()
        running = Running(process, popen, pump)
        self.running[process.name] = running
        self._record_pids()
        return running

    def _pump(self, name: str, stream: IO[bytes] | None, log_file: IO[bytes]) -> None:
        assert stream is not None
        width = max(len(p.name) for p in processes())
        with log_file, stream:
            for line in iter(stream.readline, b""):
                log_file.write(line)
                log_file.flush()
                if self.echo:
                    sys.stdout.write(f"{name:<{width}} | {line.decode(errors='replace')}")
                    sys.stdout.flush()

    def start_all(self) -> None:
        for process in processes():
            self.start_process(process)

    def stop_process(self, name: str) -> None:
        running = self.running.pop(name, None)
        if running is not None:
            stop_process(running.popen, grace=15, hurry=self.hurry)
            if running.pump is not None:
                running.pump.join(5)  # the pump closes the pipe and the log once output ends

    def restart_process(self, name: str) -> None:
        process = next(p for p in processes() if p.name == name)
        self.stop_process(name)
        self.start_process(process)

    def readiness(self, name: str, timeout: float = 2.0) -> tuple[int, dict[str, object]]:
        url = f"http://127.0.0.1:{self.ports[name]}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except (OSError, ValueError) as exc:
            return 0, {"error": str(exc)}

    def wait_ready(self, names: list[str] | None = None, timeout: float = 90) -> None:
        pending = set(names or [service.name for service in SERVICES])
        deadline = time.monotonic() + timeout
        while pending:
            for name in list(pending):
                process = self.running.get(name)
                if process is not None and process.popen.poll() is not None:
                    log = (self.var_dir / "log" / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited with code {process.popen.returncode}:\n{log}")
                if self.readiness(name)[0] == 200:
                    pending.discard(name)
            if not pending:
                return
            if time.monotonic() > deadline:
                details = {name: self.readiness(name)[1] for name in pending}
                raise RuntimeError(f"not ready after {timeout:.0f} s: {details}")
            time.sleep(0.1)

    def stop_all(self) -> None:
        # The gateway first (no new traffic), then every service, worker and scheduler at once (each ends
        # its own requests and jobs; one waiting out its grace never holds up the others), then the engines.
        if "gateway" in self.running:
            self.stop_process("gateway")
        with ThreadPoolExecutor(max_workers=max(1, len(self.running))) as pool:
            list(pool.map(self.stop_process, list(self.running)))
        for engine in reversed(self._engines):
            try:
                if isinstance(engine, Postgres):
                    engine.stop(immediate=self.hurry())
                else:
                    engine.stop()  # type: ignore[attr-defined]
            except Exception as exc:  # keep stopping the rest
                print(f"warning: stopping {type(engine).__name__} failed: {exc}", file=sys.stderr)
        self._engines.clear()
        if self.var_dir.exists():
            self.pid_file.unlink(missing_ok=True)


@contextmanager
def running_system(prefix: str, *, overrides: dict[str, dict[str, str]] | None = None,
                   ready_timeout: float = 120, own_redis: bool = False,
                   own_postgres: bool = False, redis_db: int = 15, durable: bool = False) -> Iterator[Stack]:
    """A whole system on free ports and fresh databases, as `make up` runs it, for tests and benchmarks.
    Uses DATABASE_URL / REDIS_URL when set (its own databases, Redis database 15), else embedded engines;
    own_redis starts a Redis of its own (persistent, like production's) that a test may stop and start,
    own_postgres likewise a PostgreSQL. Systems that may run at the same time on a shared Redis need
    a redis_db each (1-15: queues and leases are named the same in every system). Tests run PostgreSQL
    without fsync and with asynchronous commits for speed; durable=True runs it as production does (a
    crash then loses nothing that was committed), for the fault-injection run."""
    from .engines import free_port
    from .processes import DEFAULT_PORTS

    redis_url = os.environ.get("REDIS_URL")
    stack = Stack(
        var_dir=Path(tempfile.mkdtemp(prefix=f"permitto-{prefix}-")),
        ports={name: free_port() for name in DEFAULT_PORTS},
        durable=durable,
        database_url=None if own_postgres else os.environ.get("DATABASE_URL"),
        redis_url=redis_url.rstrip("/").rsplit("/", 1)[0] + f"/{redis_db}" if redis_url and not own_redis else None,
        persist_redis=own_redis,
        db_prefix=f"{prefix}_",
        overrides=overrides or {},
    )
    # A benchmark under `timeout`, or a killed test run, gets SIGTERM: stop the system, don't orphan it.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        stack.start_engines()
        stack.migrate()
        stack.seed()
        stack.start_all()
        stack.wait_ready(timeout=ready_timeout)
        yield stack
    finally:
        stack.stop_all()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        remove_scratch(stack.var_dir, "the system's folder (its databases and logs)")



def _exit_on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    raise SystemExit(128 + signum)
