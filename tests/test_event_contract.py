"""The contract between the permits service, which emits domain events, and the notifications service,
which turns them into messages: no event is emitted that nobody hears of or that has no words, and no
event is handled that is never emitted. No system is needed: both sides are read from their code."""

import pytest

from permitto_notifications.inbox import WHAT
from permitto_notifications.recipients import AUDIENCE
from permitto_permits import events
from permitto_permits.state_machine import TRANSITIONS


def test_every_emitted_event_is_declared_and_every_declared_one_is_emitted():
    by_table = {t.event for t in TRANSITIONS if t.event}
    others = events.CYCLE_EVENTS | events.SAFETY_EVENTS | events.PEOPLE_EVENTS
    assert by_table | others == events.EVENTS
    assert not by_table & others


def test_every_event_has_an_audience_and_wording_and_nothing_else_is_handled():
    assert set(AUDIENCE) == events.EVENTS, "notifications.recipients.AUDIENCE"
    assert set(WHAT) == events.EVENTS, "notifications.inbox.WHAT"
    assert all(AUDIENCE[name] for name in events.EVENTS), "an event that reaches no one"


def test_an_undeclared_event_cannot_be_emitted():
    from permitto_permits.audit import emit

    with pytest.raises(ValueError, match="not a declared event"):
        emit(None, "PERMIT_TELEPORTED", actor_id=None)  # type: ignore[arg-type]
