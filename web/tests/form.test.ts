import { describe, expect, it } from "vitest";
import { display, fromApi, isList, problemsByField, sectionData, toApi, type FieldSpec } from "../src/lib/form";
import { ApiError } from "../src/api/errors";
import { match } from "../src/lib/router";
import { happening, stateLook, STATES } from "../src/lib/format";

const spec = (type: FieldSpec["type"], extra: Partial<FieldSpec> = {}): FieldSpec => ({ key: "k", label: "K", type, ...extra });

describe("form values", () => {
  it("turns what an input holds into what the API stores, for all ten field types", () => {
    expect(toApi(spec("text"), "Level 3")).toBe("Level 3");
    expect(toApi(spec("textarea"), "")).toBeNull();
    expect(toApi(spec("number"), "20.9")).toBe(20.9);
    expect(toApi(spec("number"), "")).toBeNull();
    expect(toApi(spec("number"), "abc")).toBe("abc"); // the API names the problem, in its words
    expect(toApi(spec("date"), "2027-01-02")).toBe("2027-01-02");
    expect(toApi(spec("time"), "07:45:00")).toBe("07:45");
    expect(toApi(spec("select", { options: [{ value: "co2", label: "CO2" }] }), "co2")).toBe("co2");
    expect(toApi(spec("radio", { options: [{ value: "yes", label: "Yes" }] }), "yes")).toBe("yes");
    expect(toApi(spec("multiselect", { options: [{ value: "a", label: "A" }] }), ["a"])).toEqual(["a"]);
    expect(toApi(spec("checkbox"), true)).toBe(true);
    expect(toApi(spec("checkbox", { options: [{ value: "a", label: "A" }] }), ["a"])).toEqual(["a"]);
    expect(toApi(spec("file-upload"), undefined)).toEqual([]);
  });

  it("shows saved values back in inputs and in words", () => {
    expect(fromApi(spec("number"), 3)).toBe("3");
    expect(fromApi(spec("checkbox"), undefined)).toBe(false);
    expect(isList(spec("checkbox", { options: [{ value: "a", label: "A" }] }))).toBe(true);
    const choices = spec("multiselect", { options: [{ value: "w", label: "Welding" }, { value: "g", label: "Grinding" }] });
    expect(display(choices, ["w", "g"])).toBe("Welding, Grinding");
    expect(display(spec("number", { unit: "%" }), 0)).toBe("0 %");
    expect(display(spec("checkbox"), false)).toBe("No");
    expect(display(spec("text"), "")).toBe("—");
  });

  it("sends a whole section, clearing what was emptied", () => {
    const section = { key: "job", title: "Job", fields: [spec("text", { key: "a" }), spec("number", { key: "b" })] };
    expect(sectionData(section, { a: "x", b: "" })).toEqual({ a: "x", b: null });
  });

  it("maps the API's problems to their fields", () => {
    expect(problemsByField([{ field: "formData.location", message: "Location: is required" }])).toEqual({ location: "Location: is required" });
    const error = ApiError.fromEnvelope(422, { success: false, error: { code: "VALIDATION_ERROR", message: "bad",
      details: [{ field: "body.email", message: "is not an email" }] } });
    expect(error.fieldMessages()).toMatchObject({ email: "is not an email", "body.email": "is not an email" });
    expect(ApiError.fromEnvelope(502, "<html>").message).toMatch(/502/);
  });
});

describe("paths and words", () => {
  it("matches screen paths", () => {
    expect(match("/permits/:id", "/permits/abc")).toEqual({ id: "abc" });
    expect(match("/permits/:id", "/permits/abc/edit")).toBeNull();
  });
  it("says every state in words", () => {
    for (const state of ["DRAFT", "SUBMITTED", "ISSUER_APPROVED", "REJECTED_ISSUER", "REJECTED_COORD", "APPROVED",
      "PENDING_DAILY", "ACTIVE", "SUSPENDED", "PENDING_CLOSEOUT", "CLOSED", "CANCELLED"]) {
      expect(STATES[state], state).toBeDefined();
    }
    expect(stateLook("SOMETHING_NEW").words).toBe("something new");
    expect(happening("issuer_approve")).toBe("Issuer approval");
    expect(happening("gas_test_recorded")).toBe("Gas test recorded");
  });
});
