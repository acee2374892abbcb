"""The template form schema (sections of typed fields), checked on save with errors that name the
section and field; and the validation of a permit's form data against a pinned version."""

from __future__ import annotations

import math
import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from permitto_common.errors import ValidationFailed, field_error
from permitto_common.validation import LINE_BREAKS, errors_to_details

FieldType = Literal["text", "textarea", "number", "date", "time", "select", "multiselect", "checkbox", "radio",
                    "file-upload"]
KEY = r"^[a-z][a-z0-9_]{0,63}$"
CHOICE_TYPES = {"select", "multiselect", "radio"}


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: str = Field(pattern=KEY)
    type: FieldType
    label: str = Field(min_length=1, max_length=300)
    placeholder: str | None = Field(None, max_length=200)
    help: str | None = Field(None, max_length=1000)
    required: bool = False
    min: float | None = None
    max: float | None = None
    minLength: int | None = Field(None, ge=0, le=100_000)
    maxLength: int | None = Field(None, ge=1, le=100_000)
    pattern: str | None = Field(None, max_length=300)
    options: list[Option] | None = Field(None, max_length=200)
    # A checkbox with options is a checklist; requireAll makes every item mandatory (compliance).
    requireAll: bool = False
    maxFiles: int | None = Field(None, ge=1, le=10)
    unit: str | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        where = f"field '{self.key}'"
        if self.type in CHOICE_TYPES and not self.options:
            raise ValueError(f"{where}: a {self.type} needs options")
        if self.options:
            values = [o.value for o in self.options]
            if len(values) != len(set(values)):
                raise ValueError(f"{where}: option values must be unique")
            if self.type not in CHOICE_TYPES | {"checkbox"}:
                raise ValueError(f"{where}: a {self.type} field takes no options")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{where}: min is greater than max")
        if self.minLength is not None and self.maxLength is not None and self.minLength > self.maxLength:
            raise ValueError(f"{where}: minLength is greater than maxLength")
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError(f"{where}: min and max apply to number fields only")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"{where}: pattern is not a valid regular expression ({exc})") from None
        if self.requireAll and not (self.type == "checkbox" and self.options):
            raise ValueError(f"{where}: requireAll applies to checklists (checkbox with options)")
        return self


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY)
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    fields: list[FieldSpec] = Field(min_length=1, max_length=100)


GAS_KINDS = ("oxygen", "flammable", "toxic")  # the order of testing (docs/domain.md, "Gas testing")


class GasSpec(BaseModel):
    """One gas to test: a reading passes when its value is within [min, max] (either may be open)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY)
    name: str = Field(min_length=1, max_length=60)
    kind: Literal["oxygen", "flammable", "toxic"]
    unit: str = Field(min_length=1, max_length=20)
    min: float | None = None
    max: float | None = None
    initialTest: bool = True  # tested, and passing, before work starts each day (else recorded when tested)

    @model_validator(mode="after")
    def _limits(self) -> GasSpec:
        if self.min is None and self.max is None:
            raise ValueError(f"gas '{self.key}': give a lower limit, an upper limit or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"gas '{self.key}': min must be below max")
        return self


class GasTests(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gases: list[GasSpec] = Field(min_length=1, max_length=12)
    retestMinutes: int | None = Field(None, ge=5, le=24 * 60)  # a passing reading older than this is overdue

    @model_validator(mode="after")
    def _order(self) -> GasTests:
        keys = [g.key for g in self.gases]
        if len(keys) != len(set(keys)):
            raise ValueError("gas keys must be unique")
        ranks = [GAS_KINDS.index(g.kind) for g in self.gases]
        if ranks != sorted(ranks):
            raise ValueError("gases are tested in the order oxygen, flammables, toxics; list them so")
        return self


class IsolationRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    required: bool = True  # work starts only when every point of its certificates is isolated and verified


# The parties of a permit whose competency a template may demand (docs/domain.md, "Competencies").
Party = Literal["issuer", "coordinator", "receiver", "gasTester", "fireWatch", "entrant", "attendant"]
PARTIES: tuple[str, ...] = ("issuer", "coordinator", "receiver", "gasTester", "fireWatch", "entrant", "attendant")
COMPETENCY_KEY = r"^[A-Z][A-Z0-9_]{1,39}$"
DEFAULT_MAX_VALIDITY_HOURS = 7 * 24  # a standard permit: seven days in all, extensions included


class HotWork(BaseModel):
    """Hot work: close-out starts a fire watch that must run its time and be signed clear before closing."""

    model_config = ConfigDict(extra="forbid")
    fireWatchMinutes: int = Field(60, ge=30, le=240)  # NFPA 51B keeps 60 minutes; never under OSHA's 30


class FormSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: list[Section] = Field(min_length=1, max_length=30)
    isolation: IsolationRule | None = None
    gasTests: GasTests | None = None
    competencies: dict[Party, Annotated[str, Field(pattern=COMPETENCY_KEY)]] | None = None
    hotWork: HotWork | None = None
    maxValidityHours: int = Field(DEFAULT_MAX_VALIDITY_HOURS, ge=1, le=90 * 24)  # the cap, extensions included

    @model_validator(mode="after")
    def _unique_keys(self) -> FormSchema:
        seen_sections: set[str] = set()
        seen_fields: dict[str, str] = {}
        for section in self.sections:
            if section.key in seen_sections:
                raise ValueError(f"section '{section.key}' appears twice")
            seen_sections.add(section.key)
            for spec in section.fields:
                if spec.key in seen_fields:
                    raise ValueError(f"field '{spec.key}' in section '{section.key}' is already used in section "
                                     f"'{seen_fields[spec.key]}'; field keys are unique in a template")
                seen_fields[spec.key] = section.key
        return self


def check_schema(raw: Any) -> FormSchema:
    """Parse a template schema; every problem is reported with its place (schema.sections[i].fields[j]...)."""
    try:
        return FormSchema.model_validate(raw)
    except ValidationError as exc:
        details = [{**d, "field": "schema." + d["field"] if d["field"] != "body" else "schema"}
                   for d in errors_to_details(exc)]
        raise ValidationFailed(details, "The template schema is not valid.") from None


def _check_value(spec: FieldSpec, value: Any) -> str | None:
    """The problem with one value, or None."""
    kind = spec.type
    if kind in ("text", "textarea"):
        if not isinstance(value, str):
            return "must be text"
        if kind == "text" and not LINE_BREAKS.isdisjoint(value):
            return "must be a single line (use a text area for several)"
        if spec.minLength is not None and len(value) < spec.minLength:
            return f"must be at least {spec.minLength} characters"
        if spec.maxLength is not None and len(value) > spec.maxLength:
            return f"must be at most {spec.maxLength} characters"
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            return "has the wrong format"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if not math.isfinite(value):
            return "must be a finite number"
        if spec.min is not None and value < spec.min:
            return f"must be at least {spec.min:g}"
        if spec.max is not None and value > spec.max:
            return f"must be at most {spec.max:g}"
    elif kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date (YYYY-MM-DD)"
    elif kind == "time":
        try:
            time.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a time (HH:MM)"
    elif kind in ("select", "radio"):
        if value not in {o.value for o in spec.options or []}:
            return "must be one of the options"
    elif kind == "multiselect" or (kind == "checkbox" and spec.options):
        allowed = {o.value for o in spec.options or []}
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of options"
        if not set(value) <= allowed:
            return "contains values that are not options"
        if spec.requireAll and set(value) != allowed:
            missing = [o.label for o in spec.options or [] if o.value not in value]
            return "every item must be confirmed; missing: " + "; ".join(missing)
    elif kind == "checkbox":
        if not isinstance(value, bool):
            return "must be true or false"
    elif kind == "file-upload":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of file ids"
        if spec.maxFiles is not None and len(value) > spec.maxFiles:
            return f"at most {spec.maxFiles} files"
    return None


def _is_empty(spec: FieldSpec, value: Any) -> bool:
    if value is None or value == "" or value == []:
        return True
    return spec.type == "checkbox" and not spec.options and value is False and spec.required


def validate_form(schema: dict[str, Any], data: dict[str, Any], *, sections: set[str] | None = None,
                  partial: bool = False) -> list[dict[str, str]]:
    """Every problem of data against the schema (optionally some sections only); empty when valid.
    partial: a draft being saved, where missing required values are not yet problems."""
    form = FormSchema.model_validate(schema)
    problems: list[dict[str, str]] = []
    known = {spec.key for section in form.sections for spec in section.fields}
    for key in data:
        if key not in known:
            problems.append(field_error(f"formData.{key}", "is not a field of this template"))
    for section in form.sections:
        if sections is not None and section.key not in sections:
            continue
        for spec in section.fields:
            value = data.get(spec.key)
            if _is_empty(spec, value):
                if spec.required and not partial:
                    problems.append(field_error(f"formData.{spec.key}", f"{spec.label}: is required"))
                continue
            problem = _check_value(spec, value)
            if problem:
                problems.append(field_error(f"formData.{spec.key}", f"{spec.label}: {problem}"))
    return problems


def gas_tests(schema: dict[str, Any]) -> GasTests | None:
    raw = schema.get("gasTests")
    return GasTests.model_validate(raw) if raw else None


def isolation_required(schema: dict[str, Any]) -> bool:
    return bool((schema.get("isolation") or {}).get("required"))


def section_keys(schema: dict[str, Any]) -> list[str]:
    return [section["key"] for section in schema.get("sections", [])]


def required_competency(schema: dict[str, Any], party: str) -> str | None:
    """The competency type key a party of this template version needs, or None."""
    return (schema.get("competencies") or {}).get(party)


def hot_work(schema: dict[str, Any]) -> HotWork | None:
    raw = schema.get("hotWork")
    return HotWork.model_validate(raw) if raw is not None else None


def max_validity_hours(schema: dict[str, Any]) -> int:
    return int(schema.get("maxValidityHours") or DEFAULT_MAX_VALIDITY_HOURS)
