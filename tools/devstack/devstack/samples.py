"""Sample permit data that tests and benchmarks share: a hot-work form complete for the seed template."""

from __future__ import annotations

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
