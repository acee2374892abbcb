"""One entrypoint per image: `permitto-entrypoint web|worker|scheduler|migrate`.

The app comes from FLASK_APP (for example `permitto_auth.app:create_app`), so the
Dockerfile, docker compose, Railway and `make up` all start a service the same way.
"""

from __future__ import annotations

import os
import sys

MODES = ("web", "worker", "scheduler", "migrate", "healthcheck")

# A gevent worker holds every phone's live stream open: its connection cap is how many phones it serves.
# Each connection is a file descriptor, two in the gateway (the phone's, and the forward's to notifications).
FDS_PER_CONNECTION = 2
FDS_SPARE = 200  # the pools' connections to PostgreSQL and Redis, the logs, the metrics files
MAX_GEVENT_CONNECTIONS = 5000  # a worker's; memory, not descriptors, bounds it past this
NOFILE_CEILING = 1 << 20  # Linux's default nr_open: what an unlimited hard limit can be raised to


def open_files_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit (gunicorn and its workers inherit
    it), as nginx's worker_rlimit_nofile does: a container's soft limit is often 1,024. Gives the limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:  # not on Linux, where nr_open bounds it; elsewhere, as much
        return NOFILE_CEILING
    target = NOFILE_CEILING if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # kept as it was; the cap below follows what there is
    return int(soft)


def worker_connections(env: dict[str, str], worker_class: str) -> str:
    """GUNICORN_WORKER_CONNECTIONS when set; for gevent, what the open-file limit allows (at most
    MAX_GEVENT_CONNECTIONS); otherwise gunicorn's own 1000."""
    given = env.get("GUNICORN_WORKER_CONNECTIONS")
    if given:
        return given
    if worker_class != "gevent":
        return "1000"
    fits = (open_files_limit() - FDS_SPARE) // FDS_PER_CONNECTION
    return str(max(100, min(MAX_GEVENT_CONNECTIONS, fits)))


def command_for(mode: str, env: dict[str, str]) -> list[str]:
    app_ref = env.get("FLASK_APP")
    if not app_ref:
        raise SystemExit("environment variable FLASK_APP is required (for example permitto_auth.app:create_app)")
    if mode == "web":
        front = env.get("WEB_FRONT")
        if front:  # a front of the service's own takes the port and starts gunicorn behind it
            return [sys.executable, "-m", front]
        port = env.get("PORT", "8000")
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            import tempfile

            # gunicorn's processes share their metrics through this folder (set before they start)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="permitto-metrics-")
        host = env.get("BIND_HOST", "0.0.0.0")
        factory = app_ref if app_ref.endswith(")") else app_ref + "()"
        worker_class = env.get("GUNICORN_WORKER_CLASS", "gthread")
        return [
            sys.executable, "-m", "gunicorn",
            "--config", "python:permitto_common.gunicorn_conf",  # its own parse errors in our envelope
            "--bind", env.get("GUNICORN_BIND") or f"{host}:{port}",
            "--worker-class", worker_class,
            "--workers", env.get("WEB_CONCURRENCY", "2"),
            "--threads", env.get("GUNICORN_THREADS", "8"),
            "--worker-connections", worker_connections(env, worker_class),
            "--timeout", env.get("GUNICORN_TIMEOUT", "30"),
            "--graceful-timeout", "20",
            "--keep-alive", "75",
            "--log-level", "warning",
            *(["--reload"] if env.get("GUNICORN_RELOAD") == "1" else []),  # development target only
            factory,
        ]
    flask = [sys.executable, "-m", "flask"]
    if mode == "worker":
        return flask + ["worker"]
    if mode == "scheduler":
        return flask + ["scheduler"]
    if mode == "migrate":
        return flask + ["db", "upgrade"]
    raise SystemExit(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def healthcheck(env: dict[str, str]) -> int:
    """The container HEALTHCHECK: a web process answers /healthz; a worker or scheduler is alive
    as long as PID 1 (this image's only process) runs and Redis answers."""
    import urllib.request

    try:
        with open("/proc/1/cmdline", "rb") as handle:
            pid1 = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pid1 = "gunicorn"
    if "gunicorn" in pid1:
        url = f"http://127.0.0.1:{env.get('PORT', '8000')}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return 0 if response.status == 200 else 1
        except OSError:
            return 1
    from redis import Redis

    try:
        Redis.from_url(env["REDIS_URL"], socket_timeout=3).ping()
    except Exception:
        return 1
    return 0


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in MODES:
        raise SystemExit(f"usage: permitto-entrypoint {{{'|'.join(MODES)}}}")
    if args[0] == "healthcheck":
        raise SystemExit(healthcheck(dict(os.environ)))
    command = command_for(args[0], dict(os.environ))
    os.execv(command[0], command)  # noqa: S606  (replace this process: signals reach gunicorn/RQ directly)


if __name__ == "__main__":
    main()
