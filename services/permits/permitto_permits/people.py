"""The answer for "who is on this permit now, and what passed between people": its holder, crew (with the
confined-space roster), handovers, extensions and fire watch, in one read for the permit's page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from . import crew, extending, fire_watch, handovers
from .access import Actor, visible_permit
from .directory import directory
from .models import CrewMember, Extension, FireWatch, Handover, Permit
from .schemas import CrewMemberOut, ExtensionOut, FireWatchOut, HandoverOut, PeopleOut, PersonOut
from .template_schema import hot_work


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class _Names:
    def __init__(self, ids: set[uuid.UUID | None]) -> None:
        self.rows = directory().users({str(i) for i in ids if i})

    def __call__(self, user_id: uuid.UUID | None) -> PersonOut | None:
        return {"id": str(user_id), "name": self.rows.get(str(user_id), {}).get("name")} if user_id else None

    def sure(self, user_id: uuid.UUID) -> PersonOut:
        return {"id": str(user_id), "name": self.rows.get(str(user_id), {}).get("name")}


def member_out(member: CrewMember, who: _Names) -> CrewMemberOut:
    return {"id": str(member.id), "name": member.name, "company": member.company,
            "role": member.role,  # type: ignore[typeddict-item]
            "userId": str(member.user_id) if member.user_id else None, "competencyRef": member.competency_ref,
            "competencyValidTo": member.competency_valid_to.isoformat() if member.competency_valid_to else None,
            "signedOnAt": member.signed_on_at.isoformat(), "signedOnBy": who.sure(member.signed_on_by),
            "signedOffAt": _at(member.signed_off_at), "signedOffBy": who(member.signed_off_by),
            "onPermit": member.signed_off_at is None, "inside": any(e.exited_at is None for e in member.entries),
            "entries": [{"enteredAt": e.entered_at.isoformat(), "exitedAt": _at(e.exited_at)} for e in member.entries]}


def handover_out(h: Handover, who: _Names) -> HandoverOut:
    return {"id": str(h.id), "status": h.status,  # type: ignore[typeddict-item]
            "fromUser": who.sure(h.from_user_id), "toUser": who.sure(h.to_user_id), "note": h.note,
            "snapshot": h.snapshot, "requestedAt": h.requested_at.isoformat(), "acceptedAt": _at(h.accepted_at),
            "acknowledgedBy": who(h.acknowledged_by), "acknowledgedAt": _at(h.acknowledged_at),
            "cancelledAt": _at(h.cancelled_at)}


def extension_out(e: Extension, who: _Names) -> ExtensionOut:
    return {"id": str(e.id), "status": e.status,  # type: ignore[typeddict-item]
            "requestedBy": who.sure(e.requested_by), "requestedAt": e.requested_at.isoformat(),
            "fromValidTo": e.from_valid_to.isoformat(), "newValidTo": e.new_valid_to.isoformat(), "reason": e.reason,
            "issuerApprovedBy": who(e.issuer_by), "issuerApprovedAt": _at(e.issuer_at),
            "approvedBy": who(e.coordinator_by), "approvedAt": _at(e.coordinator_at), "refusedBy": who(e.refused_by),
            "refusalReason": e.refusal_reason}


def watch_out(w: FireWatch, who: _Names) -> FireWatchOut:
    return {"minutes": w.minutes, "watcherName": w.watcher_name,
            "watcherUserId": str(w.watcher_user_id) if w.watcher_user_id else None,
            "competencyRef": w.competency_ref, "startedAt": _at(w.started_at), "endsAt": _at(w.ends_at),
            "clearedAt": _at(w.cleared_at), "clearedBy": who(w.cleared_by), "clearNote": w.clear_note}


def gathered(permit: Permit) -> dict[str, Any]:
    """The permit's people as records (for the answer and for the PDF)."""
    return {"crew": crew.crew_of(permit), "handovers": handovers.of_permit(permit),
            "extensions": extending.of_permit(permit), "fireWatch": fire_watch.of_permit(permit)}


def people_out(permit: Permit) -> PeopleOut:
    found = gathered(permit)
    ids: set[uuid.UUID | None] = {permit.requester_id}
    ids |= {u for m in found["crew"] for u in (m.signed_on_by, m.signed_off_by)}
    ids |= {u for h in found["handovers"] for u in (h.from_user_id, h.to_user_id, h.acknowledged_by)}
    ids |= {u for e in found["extensions"] for u in (e.requested_by, e.issuer_by, e.coordinator_by, e.refused_by)}
    watch: FireWatch | None = found["fireWatch"]
    if watch is not None:
        ids.add(watch.cleared_by)
    who = _Names(ids)
    members = [member_out(m, who) for m in found["crew"]]
    return {"holder": who.sure(permit.requester_id), "onPermit": sum(1 for m in members if m["onPermit"]),
            "inside": sum(1 for m in members if m["inside"]), "crew": members,
            "handovers": [handover_out(h, who) for h in found["handovers"]],
            "extensions": [extension_out(e, who) for e in found["extensions"]],
            "fireWatch": watch_out(watch, who) if watch is not None else None,
            "maxValidTo": (permit.valid_from + extending.cap(permit)).isoformat(),
            "hotWork": hot_work(permit.template_version.read_schema()) is not None,
            "confinedSpace": crew.confined_space(permit)}


def of(actor: Actor, permit_id: uuid.UUID) -> PeopleOut:
    return people_out(visible_permit(actor, permit_id))
