"""The lifecycle table itself, permit numbers, and the hash-chained audit trail."""

import uuid

from permit_factory import make_permit
from sqlalchemy import text

from permitto_permits import audit
from permitto_permits.extensions import db
from permitto_permits.models import AuditEntry
from permitto_permits.numbers import next_number
from permitto_permits.state_machine import BY_ACTION, TRANSITIONS, candidates, verbs_from
from permitto_permits.states import NON_TERMINAL, STATES, TERMINAL


def test_table_matches_the_domain():
    edges = {(t.action, s, t.target) for t in TRANSITIONS for s in t.sources}
    assert ("submit", "DRAFT", "SUBMITTED") in edges
    assert ("issuer_approve", "SUBMITTED", "ISSUER_APPROVED") in edges
    assert ("final_approve", "ISSUER_APPROVED", "APPROVED") in edges
    assert ("revise", "REJECTED_COORD", "DRAFT") in edges
    assert all(("coordinator_cancel", s, "CANCELLED") in edges for s in STATES if s not in ("CLOSED", "CANCELLED"))
    assert not any(s in ("CLOSED", "CANCELLED") for t in TRANSITIONS for s in t.sources)
    assert all(t.signature for t in TRANSITIONS if "approve" in t.action)
    assert all(t.reason for t in TRANSITIONS if "reject" in t.action)
    assert all(t.not_requester for t in TRANSITIONS if "approve" in t.action or "reject" in t.action)


def test_the_current_state_picks_the_step_of_a_verb():
    assert [t.action for t in candidates("approve", "SUBMITTED")] == ["issuer_approve"]
    assert [t.action for t in candidates("approve", "ISSUER_APPROVED")] == ["final_approve"]
    assert candidates("approve", "DRAFT") == []
    assert verbs_from("SUBMITTED", "ISSUER") == ["approve", "reject"]
    assert verbs_from("SUBMITTED", "RECEIVER") == []
    assert verbs_from("ACTIVE", "COORDINATOR") == ["cancel", "suspend"]
    assert verbs_from("PENDING_CLOSEOUT", "COORDINATOR") == ["cancel", "close"]
    assert verbs_from("SUSPENDED", "ISSUER") == ["reinstate"]
    assert BY_ACTION["issuer_approve"].member_only


def test_numbers_are_consecutive_per_project_type_and_year(app):
    project = uuid.uuid4()
    assert [next_number(project, "SITE", "HW", 2026) for _ in range(3)] == [
        "SITE-HW-2026-001", "SITE-HW-2026-002", "SITE-HW-2026-003"]
    assert next_number(project, "SITE", "EW", 2026) == "SITE-EW-2026-001"
    assert next_number(project, "SITE", "HW", 2027) == "SITE-HW-2027-001"


def test_the_audit_chain_verifies_and_detects_tampering(app):
    permit = make_permit()
    for action in ("created", "submit", "issuer_approve"):
        audit.record(permit, action, actor_id=uuid.uuid4(), actor_role="ISSUER", from_status="A", to_status="B")
    db.session.flush()
    last = db.session.scalars(db.select(AuditEntry).where(AuditEntry.permit_id == permit.id)
                              .order_by(AuditEntry.seq.desc()).limit(1)).one()
    # the head is the newest entry's hash: what a printed permit or an export would pin
    assert audit.verify_chain(permit.id) == {"valid": True, "entries": 3, "brokenAt": None, "head": last.hash}
    # The table refuses edits; a tamperer would first have to switch the trigger off.
    db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))
    db.session.execute(text("UPDATE audit_entries SET comment = 'looks fine' WHERE permit_id = :p AND seq = 2"),
                       {"p": permit.id})
    result = audit.verify_chain(permit.id)
    assert result["valid"] is False
    assert result["brokenAt"] == 2


def test_the_audit_table_refuses_edits(app):
    import pytest
    from sqlalchemy.exc import ProgrammingError

    permit = make_permit()
    audit.record(permit, "created", actor_id=None, actor_role=None)
    db.session.flush()
    with pytest.raises(ProgrammingError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_entries WHERE permit_id = :p"), {"p": permit.id})
    db.session.rollback()


def test_every_state_is_reachable():
    reachable = {"DRAFT"}
    frontier = ["DRAFT"]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    assert reachable == set(STATES)
    # every state but the terminal ones has a way out, and the terminal ones have none
    has_exit = {s for t in TRANSITIONS for s in t.sources}
    assert has_exit == set(NON_TERMINAL)
    assert not has_exit & TERMINAL
