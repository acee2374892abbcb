"""The periodic jobs the scheduler enqueues (it runs in the permits service: one scheduler for the system)."""

from __future__ import annotations

from permitto_common.jobs import QUEUE_FILES, QUEUE_NOTIFICATIONS, QUEUE_PERMITS, PeriodicJob


def periodic_jobs(sweep_seconds: int = 60) -> list[PeriodicJob]:
    return [
        # Reminders at 07:00, suspension at 08:00, end of day, expiry warnings and expiry: all computed from
        # the data and the clock, so a late or repeated run does each thing once.
        PeriodicJob("permits-daily-sweep", "permitto_permits.jobs.run_sweeps", QUEUE_PERMITS,
                    every_seconds=sweep_seconds, timeout=300),
        # Events of permit changes go to notifications; each change also nudges this at once.
        PeriodicJob("permits-outbox-relay", "permitto_permits.jobs.relay_outbox", QUEUE_PERMITS,
                    every_seconds=max(2, min(sweep_seconds, 10))),
        # Events and emails whose jobs Redis lost are found within this plus STRAGGLER_AGE (30 s).
        PeriodicJob("notifications-stragglers", "permitto_notifications.jobs.process_stragglers",
                    QUEUE_NOTIFICATIONS, every_seconds=15),
        # A user's digest goes once their newest reminder is DIGEST_QUIET_SECONDS (120 s) old.
        PeriodicJob("notifications-daily-digests", "permitto_notifications.jobs.send_daily_digests",
                    QUEUE_NOTIFICATIONS, every_seconds=60),
        # Uploads never confirmed within a day are removed (the files service's job, reached by name).
        PeriodicJob("files-cleanup-orphans", "permitto_files.jobs.cleanup_orphans", QUEUE_FILES,
                    every_seconds=3600),
    ]
