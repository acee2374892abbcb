// The template's form schema as the app reads it, and the conversions between what an input holds
// and what the API stores. Pure functions: unit-tested without a browser.

export type FieldType = "text" | "textarea" | "number" | "date" | "time" | "select" | "multiselect" | "checkbox"
  | "radio" | "file-upload";

export interface Option { value: string; label: string }

export interface FieldSpec {
  key: string;
  type: FieldType;
  label: string;
  placeholder?: string | null;
  help?: string | null;
  required?: boolean;
  min?: number | null;
  max?: number | null;
  minLength?: number | null;
  maxLength?: number | null;
  pattern?: string | null;
  options?: Option[] | null;
  requireAll?: boolean;
  maxFiles?: number | null;
  unit?: string | null;
}

export interface Section { key: string; title: string; description?: string | null; fields: FieldSpec[] }
export interface FormSchema { sections: Section[] }

export function asSchema(raw: unknown): FormSchema {
  const schema = raw as Partial<FormSchema> | null;
  if (!schema || !Array.isArray(schema.sections)) return { sections: [] };
  return schema as FormSchema;
}

/** A checkbox with options is a checklist: its value is the list of ticked options. */
export function isList(spec: FieldSpec): boolean {
  return spec.type === "multiselect" || spec.type === "file-upload" || (spec.type === "checkbox" && !!spec.options?.length);
}

/** What an input's raw value is saved as; undefined for "leave it empty". */
export function toApi(spec: FieldSpec, raw: string | boolean | string[] | undefined): unknown {
  if (isList(spec)) return Array.isArray(raw) ? raw : [];
  if (spec.type === "checkbox") return raw === true;
  if (typeof raw !== "string") return undefined;
  if (spec.type === "number") {
    if (raw.trim() === "") return null;
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw; // the API names what is wrong with a non-number
  }
  if (spec.type === "time") return raw === "" ? null : raw.slice(0, 5);
  return raw === "" ? null : raw;
}

/** What an input shows for a saved value. */
export function fromApi(spec: FieldSpec, value: unknown): string | boolean | string[] {
  if (isList(spec)) return Array.isArray(value) ? value.map(String) : [];
  if (spec.type === "checkbox") return value === true;
  if (value === null || value === undefined) return "";
  return String(value);
}

/** The values of one section, ready for a PATCH (formData is merged server-side; null clears). */
export function sectionData(section: Section, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of section.fields) {
    const value = values[spec.key];
    out[spec.key] = value === undefined || value === "" ? null : value;
  }
  return out;
}

/** The problems the API named, by field key ("formData.location" -> "location"). */
export function problemsByField(problems: Array<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) {
    const field = (p.field ?? "").replace(/^formData\./, "");
    if (field && p.message && !out[field]) out[field] = p.message;
  }
  return out;
}

/** How a saved value reads on the permit page. */
export function display(spec: FieldSpec, value: unknown): string {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) return "—";
  const label = (v: unknown) => spec.options?.find((o) => o.value === v)?.label ?? String(v);
  if (spec.type === "file-upload") return `${(value as unknown[]).length} file(s)`;
  if (Array.isArray(value)) return value.map(label).join(", ");
  if (spec.type === "checkbox") return value === true ? "Yes" : "No";
  if (spec.type === "select" || spec.type === "radio") return label(value);
  if (spec.type === "number" && spec.unit) return `${String(value)} ${spec.unit}`;
  return String(value);
}
