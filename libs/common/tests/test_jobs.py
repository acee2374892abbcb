"""RQ jobs run in the app context with the request id; the scheduler enqueues each period once."""

from permitto_common.jobs import PeriodicJob, Scheduler, enqueue, run_worker
from permitto_common.observability import request_id_var
from permitto_common.redis_conn import get_redis


def test_worker_runs_jobs_in_app_context_with_the_request_id(app):
    token = request_id_var.set("req-from-http-1")
    try:
        enqueue(app, "sample", "sample_jobs.record", kwargs={"key": "jobs:out", "value": "one"})
    finally:
        request_id_var.reset(token)
    assert run_worker(app, ["sample"], burst=True) is True
    assert get_redis(app).lrange("jobs:out", 0, -1) == [b"sample|one|req-from-http-1"]


def test_two_schedulers_enqueue_each_period_once(app):
    job = PeriodicJob("sweep", "sample_jobs.record", "sample", 60, kwargs={"key": "sched:out", "value": "x"})
    first, second = Scheduler(app, [job]), Scheduler(app, [job])
    now = 1_800_000_000.0
    assert first.tick(now) == ["sweep"]
    assert second.tick(now + 1) == []  # same minute: already claimed
    assert first.tick(now + 61) == ["sweep"]  # next minute
    run_worker(app, ["sample"], burst=True)
    assert len(get_redis(app).lrange("sched:out", 0, -1)) == 2


def test_only_one_scheduler_holds_the_lease(app):
    first, second = Scheduler(app, []), Scheduler(app, [])
    assert first._hold_lease() is True
    assert second._hold_lease() is False
    assert first._hold_lease() is True  # renewing its own lease
