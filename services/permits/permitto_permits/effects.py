"""What each step of the lifecycle does besides changing the state: the functions the lifecycle table
(state_machine.TRANSITIONS) names as a transition's `guards` (conditions checked first; each refuses with
every problem it finds), `effect` (run before the state changes; it may refuse) or `then` (run after, in
the same transaction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from permitto_common.errors import Conflict, ValidationFailed, field_error

from .access import Actor
from .drafts import validity_problems
from .models import Permit
from .numbers import next_number
from .template_schema import validate_form


@dataclass(frozen=True)
class Act:
    """One step being taken: on which permit, when, by whom (None: the system) and with what words."""

    permit: Permit
    now: datetime
    actor: Actor | None = None
    reason: str | None = None
    comment: str | None = None
    acknowledgement: str | None = None  # of a SIMOPS WARN conflict, given with an approval
    details: dict[str, Any] = field(default_factory=dict)
    fire_watch: Any = None  # a PersonIn: who keeps a hot-work permit's fire watch, named with its close-out


def check_and_number(act: Act) -> None:
    """A submission must be complete and valid; it gets its gap-free number the first time."""
    permit = act.permit
    problems = (validate_form(permit.template_version.read_schema(), permit.form_data)
                + validity_problems(permit, now=act.now))
    if permit.work_area_id is None:
        problems.append(field_error("workAreaId", "Work area: is required"))
    if problems:
        raise ValidationFailed(problems, "The permit cannot be submitted yet; fix every problem listed.")
    if permit.number is None:
        local_year = permit.valid_from.astimezone(ZoneInfo(permit.timezone)).year
        permit.number = next_number(permit.project_id, permit.project_code, permit.type, local_year)
    permit.submitted_at = permit.listed_at = act.now
    permit.rejection_reason = None


def record_issuer_approval(act: Act) -> None:
    act.permit.issuer_approved_at, act.permit.issuer_approved_by = act.now, _actor_id(act)


def record_final_approval(act: Act) -> None:
    act.permit.approved_at, act.permit.approved_by = act.now, _actor_id(act)


def start_daily_cycle(act: Act) -> None:
    """Already within its validity, an approved permit opens its first work day at once."""
    from . import daily  # here, not at the top: the daily cycle applies steps of the table that names us

    daily.apply_due(act.permit, act.now)


def record_rejection(act: Act) -> None:
    act.permit.rejection_reason = act.reason


def record_cancellation(act: Act) -> None:
    act.permit.cancel_reason = act.reason


def record_manual_suspension(act: Act) -> None:
    act.permit.suspension_kind, act.permit.suspension_reason = "MANUAL", act.reason
    act.permit.suspended_at = act.now


def record_deadline_suspension(act: Act) -> None:
    act.permit.suspension_kind, act.permit.suspension_reason = "DEADLINE", "daily confirmations missing"
    act.permit.suspended_at = act.now


def record_gas_suspension(act: Act) -> None:
    """A failing gas test (GAS) or an overdue re-test (RETEST): lifted only by a new passing reading."""
    act.permit.suspension_kind, act.permit.suspension_reason = act.details["kind"], act.details["reason"]
    act.permit.suspended_at = act.now


def refuse_if(problems: list[dict[str, str]], words: str, code: str) -> None:
    """A guard's refusal: a 409 that says every missing condition, each with its field."""
    if problems:
        raise Conflict(f"{words}: " + "; ".join(p["message"] for p in problems) + ".", code=code, details=problems)


# Guards: the safety conditions of docs/domain.md, "Isolations" and "Gas testing".
def safe_to_start(act: Act) -> None:
    """Work starts (every activation, the first of the day included) only with every point of the permit's
    isolation certificates isolated and verified, and the day's atmosphere tested safe."""
    from . import gas, isolation  # here: both take steps of the table that names us

    refuse_if(isolation.start_problems(act.permit) + gas.start_problems(act.permit, act.now),
              "Work cannot start yet", "NOT_SAFE_TO_START")


def fresh_gas_test(act: Act) -> None:
    """A permit suspended by a gas test is reinstated only after a new passing reading."""
    from . import gas

    refuse_if(gas.reinstate_problems(act.permit), "It cannot be reinstated yet", "NOT_SAFE_TO_START")


def simops_clear(*, counting: int, acknowledge: bool) -> Callable[[Act], None]:
    """The SIMOPS guard of a step (docs/domain.md, "SIMOPS"): a BLOCK conflict with a permit at least as far
    along as `counting` (1 submitted, 2 issuer-approved, 3 approved or in its daily cycle) refuses the step,
    so of two conflicting permits racing through one step the first wins; with `acknowledge`, every WARN
    conflict must be acknowledged, earlier or with this step."""

    def guard(act: Act) -> None:
        from . import simops

        simops.check(act.permit, actor=act.actor, acknowledgement=act.acknowledgement if acknowledge else None,
                     now=act.now, counting=counting, warn_needs_acknowledgement=acknowledge)

    guard.__doc__ = f"SIMOPS: blocks counting stage {counting}{', warnings acknowledged' if acknowledge else ''}"
    return guard


def points_released(act: Act) -> None:
    """A permit closes only when the points it holds are removed or handed to another open permit."""
    from . import isolation

    refuse_if(isolation.close_problems(act.permit), "The permit cannot be closed while it holds isolations",
              "POINTS_STILL_ISOLATED")


def clear_suspension(act: Act) -> None:
    act.permit.suspension_kind = act.permit.suspension_reason = None
    act.permit.suspended_at = None


def resume_if_confirmed(act: Act) -> None:
    """Back in the daily cycle: today's record is opened if needed; if it is complete, work resumes."""
    from . import daily  # as above

    daily.resume(act.permit, act.now)


def record_closeout_request(act: Act) -> None:
    """The work stops; hot work names its fire watch here, and the watch's hold begins."""
    from . import fire_watch

    problems = fire_watch.watcher_problems(act.permit, act.fire_watch, act.now)
    if problems:
        raise ValidationFailed(problems, "Close-out cannot be asked for yet; fix every problem listed.")
    act.permit.closeout_requested_at = act.now
    fire_watch.begin(act.permit, act.now, act.fire_watch, _actor_id(act))


def begin_fire_watch(act: Act) -> None:
    """Expired hot work stops too: its fire watch is set up, to be named on the permit."""
    from . import fire_watch

    fire_watch.begin(act.permit, act.now, None, None)


def competent(party: str) -> Callable[[Act], None]:
    """The person taking the step holds the competency the permit's template demands of this party
    (docs/domain.md, "Competencies")."""

    def guard(act: Act) -> None:
        from . import competencies

        competencies.require(act.permit, party, _actor_id(act), act.now)

    guard.__doc__ = f"Competent as the {party}"
    return guard


def crew_signed_off(act: Act) -> None:
    """A permit closes only when nobody is still signed on to it."""
    from . import crew

    refuse_if(crew.close_problems(act.permit), "The permit cannot be closed while workers are signed on",
              "CREW_STILL_SIGNED_ON")


def fire_watch_done(act: Act) -> None:
    """Hot work closes only after its fire watch ran its time and signed the area clear."""
    from . import fire_watch

    refuse_if(fire_watch.close_problems(act.permit, act.now), "The permit cannot be closed yet",
              "FIRE_WATCH_NOT_DONE")


def warn_crew_on(act: Act) -> None:
    """The work day ends whoever is signed on, with a warning to the holder and the issuers."""
    from . import crew

    crew.warn_if_on(act.permit, act.now)


def record_close(act: Act) -> None:
    act.permit.closed_at, act.permit.closed_by, act.permit.closeout_notes = act.now, _actor_id(act), act.reason


def _actor_id(act: Act) -> Any:
    assert act.actor is not None, "a person's step"
    return act.actor.id
