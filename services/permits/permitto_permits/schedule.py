"""The periodic jobs the permits scheduler enqueues (the daily-cycle sweeps join this list)."""

from __future__ import annotations

from permitto_common.jobs import QUEUE_FILES, PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = [
    # Uploads never confirmed within a day are removed (the files service's job, reached by name).
    PeriodicJob("files-cleanup-orphans", "permitto_files.jobs.cleanup_orphans", QUEUE_FILES, every_seconds=3600),
]
