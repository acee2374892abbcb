"""Sample permit data that tests and benchmarks share: forms complete for the seed templates, and a
permit taken through the API to final approval."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def complete_hot_work() -> dict[str, Any]:
    return {
        "location": "Level 12, grid C4", "description": "Weld new steel brackets to column C4",
        "contractor": "Acme Steel", "workers": 2, "hot_work_type": ["welding"],
        "combustibles_removed": ["floor_swept", "covers", "openings", "ducts"], "extinguisher": "co2",
        "sprinklers": "yes", "lel_percent": 0, "o2_percent": 20.9, "gas_test_time": "07:45",
        "gas_tester": "Sam Gas", "fire_watch_name": "Fred Watch", "fire_watch_minutes": 60,
        "fire_watch_trained": True,
    }


def complete_confined_space() -> dict[str, Any]:
    return {
        "location": "Tank T-210, east manway", "description": "Inspect and clean the inside of tank T-210",
        "contractor": "Harbor Tank Services", "workers": 3, "space_id": "T-210", "space_type": "tank",
        "isolations": ["mechanical", "electrical", "purged", "signage"], "o2_percent": 20.9, "lel_percent": 0,
        "h2s_ppm": 0, "co_ppm": 2, "continuous_monitoring": "yes", "entrants": "Ana Entrant, Ben Entrant",
        "attendant": "Carl Attendant", "communication": "radio",
        "rescue_plan": "Tripod and winch over the manway; the attendant calls the site rescue team on channel 3",
        "rescue_equipment": ["tripod", "harness", "scba", "first_aid"],
    }


FORMS = {"HW": complete_hot_work, "CSE": complete_confined_space}


def new_work_area(manager: Any, project_id: str, name: str = "Test area", parent_id: str | None = None) -> str:
    """A fresh work area of a project, made through the API by a coordinator or an administrator: permits in
    it meet no other test's permits, so no SIMOPS rule stands between them (unless a test wants one)."""
    import uuid

    answer = manager.post("/work-areas", json={"projectId": project_id, "code": f"T-{uuid.uuid4().hex[:10]}",
                                               "name": name, "parentId": parent_id})
    assert answer.status_code == 201, answer.text
    area: str = answer.json()["data"]["id"]
    return area


def approved_sample(receiver: Any, issuer: Any, coordinator: Any, project_id: str, start: datetime,
                    title: str, *, kind: str = "HW", area_id: str | None = None) -> dict[str, Any]:
    """A permit (hot work unless told) taken through the API to final approval, valid from an hour before
    start for two days: once approved, its daily cycle has begun. The three are API clients of the roles;
    it is worked in a fresh area of its own unless one is given."""
    from .images import png_base64

    signature = {"imageBase64": png_base64()}
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == kind)
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": project_id, "title": title,
        "validFrom": (start - timedelta(hours=1)).isoformat(), "validTo": (start + timedelta(days=2)).isoformat(),
        "workAreaId": area_id or new_work_area(coordinator, project_id),
        "formData": FORMS[kind]()}).json()["data"]
    for api, verb, body in ((receiver, "submit", None), (issuer, "approve", {"signature": signature}),
                            (coordinator, "approve", {"signature": signature})):
        answer = api.post(f"/permits/{permit['id']}/{verb}", json=body)
        assert answer.status_code == 200, answer.text
    approved: dict[str, Any] = answer.json()["data"]
    return approved


FIRE_WATCH = {"name": "Fred Watch", "company": "Acme Steel"}


def stand_down_hot_work(receiver: Any, permit: dict[str, Any], set_clock: Any, stopped_at: datetime,
                        reason: str = "Work done") -> dict[str, Any]:
    """Ask for close-out of an active hot-work permit at `stopped_at` naming its fire watch, let the watch run
    its hour on the test clock (set_clock moves it) and have it signed clear: the permit may then be closed."""
    from .images import png_base64

    set_clock(stopped_at)
    asked = receiver.post(f"/permits/{permit['id']}/request-closeout", json={"reason": reason,
                                                                           "fireWatch": FIRE_WATCH})
    assert asked.status_code == 200, asked.text
    set_clock(stopped_at + timedelta(minutes=61))
    cleared = receiver.post(f"/permits/{permit['id']}/fire-watch/clear", json={
        "signature": {"imageBase64": png_base64()}, "note": "No smoke or hot spots; the area is cool"})
    assert cleared.status_code == 200, cleared.text
    data: dict[str, Any] = asked.json()["data"]
    return data
