"""The periodic jobs the permits scheduler enqueues (the daily-cycle sweeps join this list)."""

from __future__ import annotations

from permitto_common.jobs import PeriodicJob

PERIODIC_JOBS: list[PeriodicJob] = []
