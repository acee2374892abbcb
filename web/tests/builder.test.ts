import { describe, expect, it } from "vitest";
import {
  diffSchemas, fromSchema, keyFrom, moved, optionsFromText, optionsToText, problemPlace, problemsByPlace, toSchema,
} from "../src/lib/builder";

interface Raw { key: string; type: string; label: string; required?: boolean; max?: number; options?: { value: string; label: string }[] }
const v1: { maxValidityHours: number; sections: { key: string; title: string; fields: Raw[] }[] } = {
  maxValidityHours: 168,
  sections: [
    { key: "job", title: "The job", fields: [
      { key: "location", type: "text", label: "Location", required: true },
      { key: "tools", type: "select", label: "Tools", options: [{ value: "grinder", label: "Grinder" }, { value: "torch", label: "Torch" }] },
    ] },
    { key: "checks", title: "Checks", fields: [{ key: "lel", type: "number", label: "LEL", max: 10 }] },
  ],
};

describe("the template builder's model", () => {
  it("keeps what a version declares besides its sections, and sends only the properties a type takes", () => {
    const schema = fromSchema(v1);
    expect(schema.rest).toEqual({ maxValidityHours: 168 });
    schema.sections[0]!.fields[0] = { ...schema.sections[0]!.fields[0]!, type: "number", placeholder: "kept out", min: 2, help: "" };
    const sent = toSchema(schema) as { maxValidityHours: number; sections: Array<{ fields: Array<Record<string, unknown>> }> };
    expect(sent.maxValidityHours).toBe(168);
    expect(sent.sections[0]!.fields[0]).toEqual({ key: "location", type: "number", label: "Location", required: true, min: 2 });
    expect(v1.sections[0]!.fields[0]!.type).toBe("text"); // the version read is never changed in place
  });

  it("makes keys from labels, unique in the template", () => {
    expect(keyFrom("Fire extinguisher on hand")).toBe("fire_extinguisher_on_hand");
    expect(keyFrom("2nd check", new Set())).toBe("f_2nd_check");
    expect(keyFrom("Location", new Set(["location", "location_2"]))).toBe("location_3");
  });

  it("reads options one a line, with or without a value", () => {
    expect(optionsFromText("Hot work\nco2 = CO₂ extinguisher\n\n")).toEqual([
      { value: "hot_work", label: "Hot work" }, { value: "co2", label: "CO₂ extinguisher" }]);
    expect(optionsToText([{ value: "hot_work", label: "Hot work" }, { value: "c", label: "CO₂" }])).toBe("Hot work\nc = CO₂");
  });

  it("moves an item, and leaves the list alone for a move out of it", () => {
    expect(moved(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
    expect(moved(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moved(["a", "b"], 1, 5)).toEqual(["a", "b"]);
  });

  it("puts the API's schema errors at the field and property they name", () => {
    expect(problemPlace("schema.sections[1].fields[0].options[2].label")).toBe("s1.f0.options");
    expect(problemPlace("schema.sections[1].fields[3]")).toBe("s1.f3");
    expect(problemPlace("schema.sections[0].title")).toBe("s0.title");
    expect(problemPlace("schema")).toBe("");
    expect(problemsByPlace([{ field: "schema.sections[0].fields[1]", message: "a select needs options" },
      { field: "schema.sections[0].fields[1]", message: "option values must be unique" }]))
      .toEqual({ "s0.f1": "a select needs options; option values must be unique" });
  });

  it("says in words what changed between two versions", () => {
    const v2 = structuredClone(v1);
    v2.maxValidityHours = 72;
    v2.sections[0]!.fields.reverse();
    v2.sections[0]!.fields[1]!.label = "Where";
    v2.sections[0]!.fields[0]!.options = [{ value: "grinder", label: "Angle grinder" }, { value: "rod", label: "Welding rod" }];
    v2.sections[1]!.fields.push({ key: "o2", type: "number", label: "Oxygen", max: 23.5 });
    v2.sections.push({ key: "sign", title: "Sign-off", fields: [{ key: "ok", type: "checkbox", label: "All clear" }] });
    const words = diffSchemas(v1, v2).map((c) => `${c.kind}: ${c.text}`);
    expect(words).toEqual([
      'moved: Field "Tools" in "The job" moved to place 1',
      'changed: Field "Tools" in "The job": option "Grinder" renamed "Angle grinder"',
      'added: Field "Tools" in "The job": option "Welding rod" added',
      'removed: Field "Tools" in "The job": option "Torch" removed',
      'moved: Field "Where" in "The job" moved to place 2',
      'changed: Field "Where" in "The job": label "Location" → "Where"',
      'added: Field "Oxygen" in "Checks" added (number)',
      'added: Section "Sign-off" added, with 1 field(s)',
      'changed: Setting "maxValidityHours": 168 → 72',
    ]);
    expect(diffSchemas(v1, v1)).toEqual([]);
  });
});
