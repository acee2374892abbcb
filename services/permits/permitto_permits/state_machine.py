"""The permit lifecycle (docs/domain.md, "Lifecycle") as one declarative table: who may take each step,
from which states, to which state, what it requires, what it does (its effects, in effects.py) and the
event it emits. Anything not in the table is refused with the current state and what the caller may do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import events as ev
from .effects import (
    Act,
    begin_fire_watch,
    check_and_number,
    clear_suspension,
    competent,
    crew_signed_off,
    fire_watch_done,
    fresh_gas_test,
    points_released,
    record_cancellation,
    record_close,
    record_closeout_request,
    record_deadline_suspension,
    record_final_approval,
    record_gas_suspension,
    record_issuer_approval,
    record_manual_suspension,
    record_rejection,
    resume_if_confirmed,
    safe_to_start,
    simops_clear,
    start_daily_cycle,
    warn_crew_on,
)
from .states import (
    ACTIVE,
    APPROVED,
    CANCELLED,
    CLOSED,
    COORDINATOR,
    DRAFT,
    ISSUER,
    ISSUER_APPROVED,
    NON_TERMINAL,
    PENDING_CLOSEOUT,
    PENDING_DAILY,
    RECEIVER,
    REJECTED_COORD,
    REJECTED_ISSUER,
    SUBMITTED,
    SUSPENDED,
    SYSTEM,
)

Effect = Callable[[Act], None]


@dataclass(frozen=True)
class Transition:
    action: str  # the audit action; the API verb that may mean it is in VERBS
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    owner_only: bool = False  # only the receiver who requested the permit
    member_only: bool = False  # the actor must be assigned to the permit's project
    not_requester: bool = False  # separation of duties: nobody approves their own permit
    signature: bool = False
    reason: bool = False  # a written reason is mandatory
    event: str | None = None  # the domain event it emits for notifications
    guards: tuple[Effect, ...] = ()  # safety conditions, checked first; each refuses with what is missing
    effect: Effect | None = None  # before the state changes; may refuse
    then: Effect | None = None  # after the state changed, in the same transaction
    makes_pdf: bool = False  # the permit's PDF is rendered once the step is committed


def _t(action: str, sources: set[str] | frozenset[str], target: str, roles: set[str], **flags: object) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), **flags)  # type: ignore[arg-type]


CYCLE = {APPROVED, PENDING_DAILY, ACTIVE, SUSPENDED}

TRANSITIONS: tuple[Transition, ...] = (
    _t("submit", {DRAFT}, SUBMITTED, {RECEIVER}, owner_only=True, event=ev.PERMIT_SUBMITTED,
       guards=(competent("receiver"), simops_clear(counting=1, acknowledge=False)), effect=check_and_number),
    _t("cancel", {DRAFT}, CANCELLED, {RECEIVER}, owner_only=True, event=ev.PERMIT_CANCELLED,
       effect=record_cancellation),
    _t("issuer_approve", {SUBMITTED}, ISSUER_APPROVED, {ISSUER}, member_only=True, not_requester=True,
       signature=True, event=ev.PERMIT_ISSUER_APPROVED,
       guards=(competent("issuer"), simops_clear(counting=2, acknowledge=True)),
       effect=record_issuer_approval),
    _t("issuer_reject", {SUBMITTED}, REJECTED_ISSUER, {ISSUER}, member_only=True, not_requester=True,
       reason=True, event=ev.PERMIT_REJECTED, effect=record_rejection),
    _t("final_approve", {ISSUER_APPROVED}, APPROVED, {COORDINATOR}, not_requester=True, signature=True,
       event=ev.PERMIT_APPROVED, guards=(competent("coordinator"), simops_clear(counting=3, acknowledge=True)),
       effect=record_final_approval,
       then=start_daily_cycle, makes_pdf=True),
    _t("final_reject", {ISSUER_APPROVED}, REJECTED_COORD, {COORDINATOR}, not_requester=True, reason=True,
       event=ev.PERMIT_REJECTED, effect=record_rejection),
    _t("revise", {REJECTED_ISSUER, REJECTED_COORD}, DRAFT, {RECEIVER}, owner_only=True),
    _t("coordinator_cancel", NON_TERMINAL, CANCELLED, {COORDINATOR}, reason=True, event=ev.PERMIT_CANCELLED,
       effect=record_cancellation),
    # The daily cycle (docs/domain.md, "Daily cycle"). SYSTEM steps are taken by the sweeps and by confirmations.
    _t("start_day", {APPROVED}, PENDING_DAILY, {SYSTEM}),
    _t("activate", {PENDING_DAILY, SUSPENDED}, ACTIVE, {SYSTEM}, event=ev.PERMIT_ACTIVATED,
       guards=(safe_to_start, simops_clear(counting=3, acknowledge=False)), effect=clear_suspension),
    _t("deadline_suspend", {PENDING_DAILY}, SUSPENDED, {SYSTEM}, event=ev.PERMIT_SUSPENDED,
       effect=record_deadline_suspension),
    _t("end_day", {ACTIVE}, PENDING_DAILY, {SYSTEM}, then=warn_crew_on),
    # A failing gas test stops work at once; so does a re-test not done in time (docs/domain.md, "Gas testing").
    _t("gas_suspend", {ACTIVE}, SUSPENDED, {SYSTEM}, event=ev.PERMIT_SUSPENDED, effect=record_gas_suspension),
    _t("retest_suspend", {ACTIVE}, SUSPENDED, {SYSTEM}, event=ev.PERMIT_SUSPENDED, effect=record_gas_suspension),
    _t("expire", CYCLE, PENDING_CLOSEOUT, {SYSTEM}, event=ev.PERMIT_EXPIRED, effect=begin_fire_watch),
    # Real sites stop work at once for weather, a gas alarm or an emergency, and resume deliberately.
    _t("suspend", {APPROVED, PENDING_DAILY, ACTIVE}, SUSPENDED, {ISSUER, COORDINATOR}, member_only=True,
       reason=True, event=ev.PERMIT_SUSPENDED, effect=record_manual_suspension),
    _t("reinstate", {SUSPENDED}, PENDING_DAILY, {ISSUER, COORDINATOR}, member_only=True, reason=True,
       event=ev.PERMIT_REINSTATED, guards=(fresh_gas_test,), effect=clear_suspension, then=resume_if_confirmed),
    _t("request_closeout", CYCLE, PENDING_CLOSEOUT, {RECEIVER}, owner_only=True, event=ev.PERMIT_CLOSEOUT_REQUESTED,
       effect=record_closeout_request),
    _t("close", {PENDING_CLOSEOUT}, CLOSED, {COORDINATOR}, signature=True, reason=True, event=ev.PERMIT_CLOSED,
       guards=(points_released, crew_signed_off, fire_watch_done), effect=record_close, makes_pdf=True),
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
