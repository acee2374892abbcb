"""Sample permit data that tests and benchmarks share: a hot-work form complete for the seed template."""

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


def approved_hot_work(receiver: Any, issuer: Any, coordinator: Any, project_id: str, start: datetime,
                      title: str) -> dict[str, Any]:
    """A hot-work permit taken through the API to final approval, valid from an hour before start for
    two days: once approved, its daily cycle has begun. The three are API clients of the three roles."""
    from .images import png_base64

    signature = {"imageBase64": png_base64()}
    template = next(t["id"] for t in receiver.get("/templates").json()["data"] if t["type"] == "HW")
    permit = receiver.post("/permits", json={
        "templateId": template, "projectId": project_id, "title": title,
        "validFrom": (start - timedelta(hours=1)).isoformat(), "validTo": (start + timedelta(days=2)).isoformat(),
        "formData": complete_hot_work()}).json()["data"]
    for api, verb, body in ((receiver, "submit", None), (issuer, "approve", {"signature": signature}),
                            (coordinator, "approve", {"signature": signature})):
        answer = api.post(f"/permits/{permit['id']}/{verb}", json=body)
        assert answer.status_code == 200, answer.text
    approved: dict[str, Any] = answer.json()["data"]
    return approved
