"""The permit lifecycle of DOMAIN.md §4 as one declarative table. Every transition is looked up
here; anything not in the table is refused with the current state and what the caller may do."""

from __future__ import annotations

from dataclasses import dataclass

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

ADMIN, COORDINATOR, ISSUER, RECEIVER, SYSTEM = "SUPER_ADMIN", "COORDINATOR", "ISSUER", "RECEIVER", "SYSTEM"


@dataclass(frozen=True)
class Transition:
    action: str  # the API verb, also the audit action
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    owner_only: bool = False  # only the receiver who requested the permit
    member_only: bool = False  # the actor must be assigned to the permit's project
    not_requester: bool = False  # separation of duties: nobody approves their own permit
    signature: bool = False
    reason: bool = False  # a written reason is mandatory
    event: str | None = None  # the domain event it emits for notifications


def _t(action: str, sources: set[str] | frozenset[str], target: str, roles: set[str], **flags: object) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), **flags)  # type: ignore[arg-type]


TRANSITIONS: tuple[Transition, ...] = (
    _t("submit", {DRAFT}, SUBMITTED, {RECEIVER}, owner_only=True, event="PERMIT_SUBMITTED"),
    _t("cancel", {DRAFT}, CANCELLED, {RECEIVER}, owner_only=True, event="PERMIT_CANCELLED"),
    _t("issuer_approve", {SUBMITTED}, ISSUER_APPROVED, {ISSUER}, member_only=True, not_requester=True,
       signature=True, event="PERMIT_ISSUER_APPROVED"),
    _t("issuer_reject", {SUBMITTED}, REJECTED_ISSUER, {ISSUER}, member_only=True, not_requester=True,
       reason=True, event="PERMIT_REJECTED"),
    _t("final_approve", {ISSUER_APPROVED}, APPROVED, {COORDINATOR}, not_requester=True, signature=True,
       event="PERMIT_APPROVED"),
    _t("final_reject", {ISSUER_APPROVED}, REJECTED_COORD, {COORDINATOR}, not_requester=True, reason=True,
       event="PERMIT_REJECTED"),
    _t("revise", {REJECTED_ISSUER, REJECTED_COORD}, DRAFT, {RECEIVER}, owner_only=True),
    _t("coordinator_cancel", NON_TERMINAL, CANCELLED, {COORDINATOR}, reason=True, event="PERMIT_CANCELLED"),
    # The daily cycle (DOMAIN.md §5). SYSTEM steps are taken by the sweeps and by confirmations.
    _t("start_day", {APPROVED}, PENDING_DAILY, {SYSTEM}),
    _t("activate", {PENDING_DAILY, SUSPENDED}, ACTIVE, {SYSTEM}, event="PERMIT_ACTIVATED"),
    _t("deadline_suspend", {PENDING_DAILY}, SUSPENDED, {SYSTEM}, event="PERMIT_SUSPENDED"),
    _t("end_day", {ACTIVE}, PENDING_DAILY, {SYSTEM}),
    _t("expire", {APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED}, PENDING_CLOSEOUT, {SYSTEM},
       event="PERMIT_EXPIRED"),
    # Real sites stop work at once for weather, a gas alarm or an emergency, and resume deliberately.
    _t("suspend", {APPROVED, PENDING_DAILY, ACTIVE}, SUSPENDED, {ISSUER, COORDINATOR}, member_only=True,
       reason=True, event="PERMIT_SUSPENDED"),
    _t("reinstate", {SUSPENDED}, PENDING_DAILY, {ISSUER, COORDINATOR}, member_only=True, reason=True,
       event="PERMIT_REINSTATED"),
    _t("request_closeout", {APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED}, PENDING_CLOSEOUT, {RECEIVER},
       owner_only=True, event="PERMIT_CLOSEOUT_REQUESTED"),
    _t("close", {PENDING_CLOSEOUT}, CLOSED, {COORDINATOR}, signature=True, reason=True, event="PERMIT_CLOSED"),
)

# The public verbs of the API and the transitions each may mean (the current state picks one).
VERBS: dict[str, tuple[str, ...]] = {
    "submit": ("submit",),
    "approve": ("issuer_approve", "final_approve"),
    "reject": ("issuer_reject", "final_reject"),
    "revise": ("revise",),
    "cancel": ("cancel", "coordinator_cancel"),
    "suspend": ("suspend",),
    "reinstate": ("reinstate",),
    "request-closeout": ("request_closeout",),
    "close": ("close",),
}

BY_ACTION = {t.action: t for t in TRANSITIONS}


def candidates(verb: str, state: str) -> list[Transition]:
    return [BY_ACTION[a] for a in VERBS[verb] if state in BY_ACTION[a].sources]


def verbs_from(state: str, role: str) -> list[str]:
    """The verbs a role could use in this state (before ownership and membership checks)."""
    return sorted({verb for verb, actions in VERBS.items()
                   for a in actions if state in BY_ACTION[a].sources and role in BY_ACTION[a].roles})
