"""Who hears of what (docs/domain.md, "Notifications"), resolved through the auth service, skipping
deactivated users."""

from __future__ import annotations

from typing import Any

from permitto_common import security as roles

from .extensions import auth

RECEIVER, ISSUERS, COORDINATORS = "receiver", "issuers", "coordinators"
NAMED = "named"  # the people the event names in payload.userIds (an incoming holder, a competency's holder)
ALL = (RECEIVER, ISSUERS, COORDINATORS)
AUDIENCE: dict[str, tuple[str, ...]] = {
    "PERMIT_SUBMITTED": (ISSUERS,),
    "PERMIT_ISSUER_APPROVED": (RECEIVER, COORDINATORS),
    "PERMIT_REJECTED": (RECEIVER,),
    "PERMIT_APPROVED": ALL,
    "PERMIT_EXPIRY_WARNING": ALL,
    "PERMIT_SUSPENDED": ALL,
    "PERMIT_CLOSED": ALL,
    "PERMIT_CANCELLED": ALL,
    "PERMIT_REINSTATED": ALL,
    "PERMIT_EXPIRED": ALL,
    "PERMIT_CLOSEOUT_REQUESTED": (COORDINATORS,),
    "PERMIT_ACTIVATED": (RECEIVER,),
    "DAILY_REMINDER": ALL,  # narrowed to the roles whose confirmation is missing (resolve)
    "SIMOPS_ACKNOWLEDGED": ALL,  # on the permit beside which other work was approved
    "CREW_STILL_SIGNED_ON": (RECEIVER, ISSUERS),
    "HANDOVER_REQUESTED": (NAMED, ISSUERS),  # the incoming holder accepts; an issuer acknowledges
    "PERMIT_HANDED_OVER": (RECEIVER, NAMED, ISSUERS),  # the new holder, the outgoing one
    "EXTENSION_REQUESTED": (ISSUERS, COORDINATORS),
    "EXTENSION_APPROVED": ALL,
    "EXTENSION_REFUSED": (RECEIVER,),
    "FIRE_WATCH_STARTED": (RECEIVER, COORDINATORS),
    "COMPETENCY_EXPIRING": (NAMED,),
}
# In-app only: frequent or informative, not worth an email.
IN_APP_ONLY = {"PERMIT_ACTIVATED", "PERMIT_REINSTATED"}


def _get(path: str, **params: Any) -> Any:
    # Auth unreachable or failing: the job fails and RQ retries it; recipients are never guessed.
    return auth.get(path, params=params or None).body["data"]


def resolve(event_type: str, event: dict[str, Any]) -> list[dict[str, Any]]:
    payload = event.get("payload", {})
    groups = AUDIENCE.get(event_type, ())
    if event_type == "DAILY_REMINDER":
        missing = set(payload.get("missing", []))
        groups = tuple(g for g, role in ((RECEIVER, roles.RECEIVER), (ISSUERS, roles.ISSUER),
                                         (COORDINATORS, roles.COORDINATOR)) if role in missing)
    people: dict[str, dict[str, Any]] = {}
    if RECEIVER in groups and payload.get("requesterId"):
        user = _get(f"/internal/users/{payload['requesterId']}")
        people[user["id"]] = user
    if NAMED in groups:
        for user_id in payload.get("userIds", []):
            user = _get(f"/internal/users/{user_id}")
            people[user["id"]] = user
    if ISSUERS in groups and event.get("projectId"):
        for user in _get(f"/internal/projects/{event['projectId']}/users", role=roles.ISSUER):
            people[user["id"]] = user
    if COORDINATORS in groups:
        for user in _get("/internal/users", role=roles.COORDINATOR):
            people[user["id"]] = user
    actor = event.get("actorId")
    return [u for u in people.values() if u["isActive"] and u["id"] != actor]  # nobody is told what they did


def user_by_id(user_id: str) -> dict[str, Any] | None:
    user: dict[str, Any] | None = _get(f"/internal/users/{user_id}")
    return user


def user_name(user_id: str | None) -> str | None:
    if not user_id:
        return None
    return str(_get(f"/internal/users/{user_id}").get("name"))
