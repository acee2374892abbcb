"""The states of a permit and the roles that act on it (docs/domain.md, "Lifecycle" and "Roles"):
plain names every module may import, the lifecycle table included."""

from __future__ import annotations

from permitto_common.security import ADMIN, COORDINATOR, ISSUER, RECEIVER

DRAFT = "DRAFT"
SUBMITTED = "SUBMITTED"
ISSUER_APPROVED = "ISSUER_APPROVED"
REJECTED_ISSUER = "REJECTED_ISSUER"
REJECTED_COORD = "REJECTED_COORD"
APPROVED = "APPROVED"
PENDING_DAILY = "PENDING_DAILY"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
PENDING_CLOSEOUT = "PENDING_CLOSEOUT"
CLOSED = "CLOSED"
CANCELLED = "CANCELLED"

STATES = (DRAFT, SUBMITTED, ISSUER_APPROVED, REJECTED_ISSUER, REJECTED_COORD, APPROVED, PENDING_DAILY, ACTIVE,
          SUSPENDED, PENDING_CLOSEOUT, CLOSED, CANCELLED)
TERMINAL = frozenset({CLOSED, CANCELLED})
NON_TERMINAL = frozenset(STATES) - TERMINAL


__all__ = ["ADMIN", "COORDINATOR", "ISSUER", "RECEIVER"]  # re-exported: the roles are named once, in the library
SYSTEM = "SYSTEM"  # the sweeps and the daily cycle, acting on no one's behalf
