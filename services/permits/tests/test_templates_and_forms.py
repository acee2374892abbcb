"""Template schemas are checked on save with errors that say where; permit data is checked against them."""

import copy
import json

import pytest

from devstack.samples import complete_hot_work
from permitto_common.errors import ValidationFailed
from permitto_permits.commands import SEED_DIR, seed_templates
from permitto_permits.template_schema import check_schema, validate_form

HOT_WORK = json.loads((SEED_DIR / "hw.json").read_text())["schema"]


def problems_of(schema):
    with pytest.raises(ValidationFailed) as caught:
        check_schema(schema)
    return caught.value.details


def test_the_four_seed_templates_are_valid_and_realistic():
    types = set()
    for path in SEED_DIR.glob("*.json"):
        spec = json.loads(path.read_text())
        check_schema(spec["schema"])
        types.add(spec["type"])
    assert types == {"HW", "CSE", "WAH", "EW"}
    keys = {f["key"] for s in HOT_WORK["sections"] for f in s["fields"]}
    assert {"lel_percent", "fire_watch_name", "combustibles_removed"} <= keys


def test_duplicate_field_keys_name_both_sections():
    schema = copy.deepcopy(HOT_WORK)
    schema["sections"][1]["fields"].append({"key": "location", "type": "text", "label": "Again"})
    [detail] = problems_of(schema)
    assert detail["field"] == "schema"
    assert "field 'location' in section 'hazards' is already used in section 'job'" in detail["message"]


def test_select_without_options_names_the_field_and_its_place():
    schema = copy.deepcopy(HOT_WORK)
    schema["sections"][2]["fields"][0] = {"key": "meter", "type": "select", "label": "Gas meter"}
    [detail] = problems_of(schema)
    assert detail["field"] == "schema.sections[2].fields[0]"
    assert "field 'meter': a select needs options" in detail["message"]


@pytest.mark.parametrize(("field", "message"), [
    ({"key": "n", "type": "number", "label": "N", "min": 5, "max": 1}, "min is greater than max"),
    ({"key": "t", "type": "text", "label": "T", "minLength": 9, "maxLength": 2}, "minLength is greater than maxLength"),
    ({"key": "t", "type": "text", "label": "T", "pattern": "("}, "not a valid regular expression"),
    ({"key": "t", "type": "text", "label": "T", "min": 1}, "min and max apply to number fields only"),
    ({"key": "Bad Key", "type": "text", "label": "T"}, "String should match pattern"),
    ({"key": "t", "type": "colour", "label": "T"}, "Input should be"),
])
def test_insane_field_specs_are_refused(field, message):
    schema = {"sections": [{"key": "s", "title": "S", "fields": [field]}]}
    details = problems_of(schema)
    assert any(message in d["message"] for d in details), details
    assert all(d["field"].startswith("schema.sections[0].fields[0]") for d in details)


def test_a_complete_hot_work_form_is_valid():
    assert validate_form(HOT_WORK, complete_hot_work()) == []


def test_every_problem_is_reported_at_once():
    data = complete_hot_work()
    del data["location"]
    data["workers"] = 0
    data["combustibles_removed"] = ["floor_swept"]
    data["extinguisher"] = "sand"
    data["gas_test_time"] = "25:99"
    data["fire_watch_trained"] = False
    data["surprise"] = 1
    fields = {p["field"] for p in validate_form(HOT_WORK, data)}
    assert fields == {"formData.location", "formData.workers", "formData.combustibles_removed",
                      "formData.extinguisher", "formData.gas_test_time", "formData.fire_watch_trained",
                      "formData.surprise"}
    checklist = next(p for p in validate_form(HOT_WORK, data) if p["field"] == "formData.combustibles_removed")
    assert "Wall and floor openings covered" in checklist["message"]


def test_partial_drafts_may_miss_required_values_but_not_hold_wrong_ones():
    assert validate_form(HOT_WORK, {"workers": 3}, partial=True) == []
    assert [p["field"] for p in validate_form(HOT_WORK, {"workers": "three"}, partial=True)] == ["formData.workers"]


def test_one_step_can_be_checked_alone():
    problems = validate_form(HOT_WORK, {"lel_percent": 5}, sections={"gas_test"})
    assert {p["field"] for p in problems} == {"formData.o2_percent", "formData.gas_test_time", "formData.gas_tester"}


def test_seeding_templates_is_idempotent(app):
    first = seed_templates()
    assert seed_templates() == 0
    assert first in (0, 4)
