"""Background jobs on RQ: enqueueing by name, a worker that runs each job in an app context,
and one periodic scheduler that is safe to start twice.

Jobs take ids and JSON, never ORM objects; another service's job is reached by enqueueing
its dotted name on that service's queue (the kwargs are the contract).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Flask
from redis.exceptions import RedisError
from rq import Queue, Retry, SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job

from .observability import current_request_id, request_id_var
from .redis_conn import get_redis

log = logging.getLogger(__name__)

# Queue names, one constant each, so enqueuers and workers cannot drift apart.
QUEUE_PERMITS = "permits"
QUEUE_FILES = "files"
QUEUE_NOTIFICATIONS = "notifications"

DEFAULT_TIMEOUT = 120
DEFAULT_RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])
FAILURE_TTL = 30 * 24 * 3600  # failed jobs stay inspectable for a month


def enqueue(
    app: Flask,
    queue_name: str,
    func: str,
    *,
    kwargs: dict[str, Any] | None = None,
    job_id: str | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    retry: Retry | None = DEFAULT_RETRY,
) -> Job:
    """Enqueue a job by dotted name, carrying the current request id for the logs."""
    queue = Queue(queue_name, connection=get_redis(app))
    return queue.enqueue(
        func,
        kwargs=kwargs or {},
        job_id=job_id,
        job_timeout=timeout,
        retry=retry,
        failure_ttl=FAILURE_TTL,
        meta={"request_id": current_request_id()},
    )


class _AppContextMixin:
    """Runs every job inside the service's app context, with the originating request id."""

    flask_app: Flask
    forks = True

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        token = request_id_var.set(job.meta.get("request_id") or f"job-{job.id}")
        try:
            with self.flask_app.app_context():
                db = self.flask_app.extensions.get("sqlalchemy")
                if self.forks and db is not None:
                    # The work horse is a forked child: it must not reuse the parent's pooled sockets.
                    db.engine.dispose(close=False)
                return bool(super().perform_job(job, queue, execution))  # type: ignore[misc]
        finally:
            request_id_var.reset(token)


class AppWorker(_AppContextMixin, Worker):
    """Forks a work horse per job: a crash or leak in one job cannot take the worker down (RQ_FORK=1)."""


class InProcessAppWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in the worker process itself. The default: our jobs are short and I/O-bound, and a fork
    per job (tens of ms) throttled the notification fan-out; timeouts still apply, and the platform
    restarts a worker that dies. Tests use it too, so jobs see the test's rolled-back transaction."""

    forks = False


def _stop_requested(worker: Worker) -> bool:
    # RQ has no public flag for a warm stop (SIGTERM/SIGINT); its handler always records when it came.
    return getattr(worker, "_shutdown_requested_date", None) is not None


def run_worker(app: Flask, queues: Iterable[str], *, burst: bool = False, fork: bool = False) -> bool:
    """Work the queues until asked to stop, through any outage of Redis however long: building the
    worker, registering it and its loop all talk to Redis, and any of them failing only starts the
    whole thing again after a pause (1 s doubling to 15 s)."""
    base = AppWorker if fork else InProcessAppWorker
    worker_class = type("BoundAppWorker", (base,), {"flask_app": app})
    backoff = 1.0
    stop = threading.Event()

    def request_stop(*_args: object) -> None:
        stop.set()

    worker: Worker | None = None
    while True:
        # Our handler while no RQ loop runs (RQ installs its own inside work()).
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        worked = False
        try:
            worker = worker_class(
                [Queue(name, connection=get_redis(app)) for name in queues],
                connection=get_redis(app),
                name=f"{app.name}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
            )
            worked = bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
            backoff = 1.0
        except StopRequested:
            return worked
        except (RedisError, OSError) as exc:
            log.warning("worker lost Redis; starting again when it answers", extra={"error": str(exc)})
        if burst or stop.is_set() or (worker is not None and _stop_requested(worker)):
            return worked
        log.warning("worker loop ended unexpectedly; starting it again", extra={"in_seconds": backoff})
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if stop.wait(backoff):
            return worked
        backoff = min(backoff * 2, 15.0)


@dataclass(frozen=True)
class PeriodicJob:
    """A job enqueued once per period; the id is fixed so each period's run is enqueued once."""

    id: str
    func: str
    queue: str
    every_seconds: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: int = DEFAULT_TIMEOUT


class Scheduler:
    """Enqueues periodic jobs. Two schedulers may run by mistake: a Redis lease picks one leader,
    and each period's slot is claimed with SET NX, so no period is enqueued twice either way."""

    LEASE_SECONDS = 15

    def __init__(self, app: Flask, jobs: Iterable[PeriodicJob], *, tick_seconds: float = 1.0) -> None:
        self.app = app
        self.jobs = list(jobs)
        self.tick_seconds = tick_seconds
        self.token = uuid.uuid4().hex
        self.lease_key = f"permitto:scheduler:{app.name}:leader"
        self.heartbeat_key = f"permitto:scheduler:{app.name}:heartbeat"
        self._stop = threading.Event()

    def stop(self, *_args: object) -> None:
        self._stop.set()

    def _hold_lease(self) -> bool:
        redis = get_redis(self.app)
        if redis.set(self.lease_key, self.token, nx=True, ex=self.LEASE_SECONDS):
            return True
        if redis.get(self.lease_key) == self.token.encode():
            redis.expire(self.lease_key, self.LEASE_SECONDS)
            return True
        return False

    def tick(self, now: float | None = None) -> list[str]:
        """One pass: enqueue every job whose current period has not been enqueued yet."""
        now = time.time() if now is None else now
        redis = get_redis(self.app)
        redis.set(self.heartbeat_key, str(now), ex=120)
        enqueued = []
        for job in self.jobs:
            slot = int(now // job.every_seconds)
            claim = f"permitto:scheduler:{self.app.name}:slot:{job.id}:{slot}"
            if redis.set(claim, "1", nx=True, ex=max(job.every_seconds * 2, 60)):
                enqueue(
                    self.app,
                    job.queue,
                    job.func,
                    kwargs=job.kwargs,
                    job_id=f"{job.id}-{slot}",
                    timeout=job.timeout,
                    retry=None,  # the next period runs it again; sweeps are idempotent
                )
                enqueued.append(job.id)
        return enqueued

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("scheduler started", extra={"jobs": [job.id for job in self.jobs]})
        while not self._stop.is_set():
            try:
                if self._hold_lease():
                    self.tick()
            except Exception:  # Redis blips must not kill the scheduler; the next tick retries
                log.exception("scheduler tick failed")
            self._stop.wait(self.tick_seconds)
        try:
            redis = get_redis(self.app)
            if redis.get(self.lease_key) == self.token.encode():
                redis.delete(self.lease_key)
        except RedisError:
            pass  # the lease lapses by itself within LEASE_SECONDS
        log.info("scheduler stopped")


def register_job_commands(app: Flask, *, queues: Iterable[str], periodic: Iterable[PeriodicJob] = ()) -> None:
    """`flask worker` and `flask scheduler`, so both run with the app's configuration."""
    queue_list = list(queues)
    periodic_list = list(periodic)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
    def worker_command(burst: bool) -> None:
        """Run an RQ worker for this service's queues."""
        run_worker(app, queue_list, burst=burst, fork=os.environ.get("RQ_FORK") == "1")

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Enqueue this service's periodic jobs, every period, once."""
        Scheduler(app, periodic_list).run()
