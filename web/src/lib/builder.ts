// The template builder's model: a version's schema as the builder edits it, the moves it makes, where
// the API's schema errors belong, and a readable difference between two versions. Pure functions:
// unit-tested without a browser.
import type { FieldSpec, FieldType, Option, Section } from "./form";

export const FIELD_TYPES: { type: FieldType; words: string }[] = [
  { type: "text", words: "Text (one line)" },
  { type: "textarea", words: "Text area" },
  { type: "number", words: "Number" },
  { type: "date", words: "Date" },
  { type: "time", words: "Time" },
  { type: "select", words: "Select (one from a list)" },
  { type: "multiselect", words: "Multiselect (several from a list)" },
  { type: "checkbox", words: "Checkbox (or a checklist, with options)" },
  { type: "radio", words: "Radio buttons" },
  { type: "file-upload", words: "File upload" },
];
export const CHOICE_TYPES: FieldType[] = ["select", "multiselect", "radio"];

/** Which properties a field of this type takes, besides key, label, help and required. */
export function propertiesOf(type: FieldType): Array<"placeholder" | "length" | "pattern" | "range" | "unit" | "options" | "requireAll" | "maxFiles"> {
  switch (type) {
    case "text": case "textarea": return ["placeholder", "length", "pattern"];
    case "number": return ["range", "unit"];
    case "select": case "multiselect": case "radio": return ["options"];
    case "checkbox": return ["options", "requireAll"];
    case "file-upload": return ["maxFiles"];
    default: return [];
  }
}

/** The schema a version holds: its sections, and whatever else it declares (kept as it was). */
export interface BuilderSchema { sections: Section[]; rest: Record<string, unknown> }

let made = 0;
/** The field with a name that lasts while it is edited (its key may change); never sent to the API. */
export function withUid<T extends object>(item: T): T {
  return { ...item, uid: (item as { uid?: string }).uid ?? `u${++made}` };
}
export function uidOf(item: object): string {
  return (item as { uid?: string }).uid ?? "";
}

export function fromSchema(raw: unknown): BuilderSchema {
  const { sections, ...rest } = (raw ?? {}) as { sections?: Section[] } & Record<string, unknown>;
  const copied = structuredClone(Array.isArray(sections) ? sections : []);
  return { sections: copied.map((s) => ({ ...s, fields: s.fields.map(withUid) })), rest: structuredClone(rest) };
}

/** What the API is sent: empty properties left out, and those a type does not take dropped. */
export function toSchema(schema: BuilderSchema): Record<string, unknown> {
  const sections = schema.sections.map((s) => ({
    key: s.key, title: s.title, ...(s.description ? { description: s.description } : {}),
    fields: s.fields.map(cleanField),
  }));
  return { ...schema.rest, sections };
}

const given = (v: unknown): boolean => v !== null && v !== undefined;

function cleanField(f: FieldSpec): FieldSpec {
  const takes = propertiesOf(f.type);
  const out: FieldSpec = { key: f.key, type: f.type, label: f.label };
  if (f.help) out.help = f.help;
  if (f.required) out.required = true;
  if (takes.includes("placeholder") && f.placeholder) out.placeholder = f.placeholder;
  if (takes.includes("length")) {
    if (given(f.minLength)) out.minLength = f.minLength;
    if (given(f.maxLength)) out.maxLength = f.maxLength;
  }
  if (takes.includes("pattern") && f.pattern) out.pattern = f.pattern;
  if (takes.includes("range")) {
    if (given(f.min)) out.min = f.min;
    if (given(f.max)) out.max = f.max;
  }
  if (takes.includes("unit") && f.unit) out.unit = f.unit;
  if (takes.includes("options") && f.options?.length) out.options = f.options;
  if (takes.includes("requireAll") && f.requireAll) out.requireAll = true;
  if (takes.includes("maxFiles") && given(f.maxFiles)) out.maxFiles = f.maxFiles;
  return out;
}

/** A key from words: "Fire extinguisher on hand" -> "fire_extinguisher_on_hand". */
export function keyFrom(words: string, taken: Set<string> = new Set()): string {
  let key = words.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 50);
  if (!/^[a-z]/.test(key)) key = "f_" + key;
  key = key.replace(/_+$/, "") || "field";
  let candidate = key;
  for (let n = 2; taken.has(candidate); n++) candidate = `${key}_${n}`;
  return candidate;
}

export function allKeys(schema: BuilderSchema): Set<string> {
  return new Set(schema.sections.flatMap((s) => s.fields.map((f) => f.key)));
}

/** Options as the builder's text box holds them: one a line, "value = label", or just the label. */
export function optionsToText(options: Option[] | null | undefined): string {
  return (options ?? []).map((o) => (o.value === keyFrom(o.label) ? o.label : `${o.value} = ${o.label}`)).join("\n");
}

export function optionsFromText(text: string): Option[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf("=");
    if (at > 0) return { value: line.slice(0, at).trim(), label: line.slice(at + 1).trim() };
    return { value: keyFrom(line), label: line };
  });
}

/** The list with the item at `from` moved to `to` (both within the list). */
export function moved<T>(list: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return list;
  const copy = list.slice();
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item!);
  return copy;
}

/** Where an API problem belongs: "schema.sections[1].fields[0].options[2].label" -> "s1.f0.options";
 * "schema.sections[1].title" -> "s1.title"; anything else -> "" (the form as a whole). */
export function problemPlace(field: string): string {
  const m = /^schema\.sections\[(\d+)\](?:\.fields\[(\d+)\])?(?:\.(\w+))?/.exec(field);
  if (!m) return "";
  const [, s, f, prop] = m;
  return [`s${s}`, f !== undefined ? `f${f}` : null, prop && prop !== "fields" ? prop : null].filter(Boolean).join(".");
}

export function problemsByPlace(problems: Array<{ field?: string; message?: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) {
    const place = problemPlace(p.field ?? "");
    if (p.message) out[place] = out[place] ? `${out[place]}; ${p.message}` : p.message;
  }
  return out;
}

// -- the difference between two versions -------------------------------------------------------------
export interface Change { kind: "added" | "removed" | "changed" | "moved"; text: string }

const PROPERTY_WORDS: Record<string, string> = {
  type: "type", label: "label", help: "help", placeholder: "placeholder", required: "required", min: "minimum",
  max: "maximum", minLength: "minimum length", maxLength: "maximum length", pattern: "pattern", unit: "unit",
  requireAll: "every item required", maxFiles: "most files", options: "options",
};
const shown = (v: unknown): string => v === undefined || v === null || v === "" ? "none"
  : typeof v === "boolean" ? (v ? "yes" : "no") : `"${String(v)}"`;

function fieldChanges(where: string, a: FieldSpec, b: FieldSpec): Change[] {
  const out: Change[] = [];
  for (const [prop, words] of Object.entries(PROPERTY_WORDS)) {
    const before = (a as unknown as Record<string, unknown>)[prop];
    const after = (b as unknown as Record<string, unknown>)[prop];
    if (prop === "options") {
      const was = new Map((before as Option[] | undefined ?? []).map((o) => [o.value, o.label]));
      const now = new Map((after as Option[] | undefined ?? []).map((o) => [o.value, o.label]));
      for (const [value, label] of now) {
        if (!was.has(value)) out.push({ kind: "added", text: `${where}: option "${label}" added` });
        else if (was.get(value) !== label) out.push({ kind: "changed", text: `${where}: option "${was.get(value)}" renamed "${label}"` });
      }
      for (const [value, label] of was) if (!now.has(value)) out.push({ kind: "removed", text: `${where}: option "${label}" removed` });
      continue;
    }
    if ((before ?? null) !== (after ?? null) && !(before === false && after === undefined) && !(before === undefined && after === false)) {
      out.push({ kind: "changed", text: `${where}: ${words} ${shown(before)} → ${shown(after)}` });
    }
  }
  return out;
}

/** What changed from version `a` to version `b`, in words, in the order of `b`'s form. */
export function diffSchemas(aRaw: unknown, bRaw: unknown): Change[] {
  const a = fromSchema(aRaw);
  const b = fromSchema(bRaw);
  const out: Change[] = [];
  const aSections = new Map(a.sections.map((s, i) => [s.key, { s, i }]));
  const bSections = new Map(b.sections.map((s, i) => [s.key, { s, i }]));
  const aFields = new Map(a.sections.flatMap((s) => s.fields.map((f, i) => [f.key, { f, section: s, i }] as const)));
  const bFields = new Map(b.sections.flatMap((s) => s.fields.map((f, i) => [f.key, { f, section: s, i }] as const)));
  const kept = (list: string[], other: Map<string, unknown>) => list.filter((k) => other.has(k));
  const aOrder = kept(a.sections.map((s) => s.key), bSections);
  const bOrder = kept(b.sections.map((s) => s.key), aSections);

  b.sections.forEach((s) => {
    const before = aSections.get(s.key);
    if (!before) { out.push({ kind: "added", text: `Section "${s.title}" added, with ${s.fields.length} field(s)` }); return; }
    if (before.s.title !== s.title) out.push({ kind: "changed", text: `Section "${before.s.title}" renamed "${s.title}"` });
    if ((before.s.description ?? "") !== (s.description ?? "")) out.push({ kind: "changed", text: `Section "${s.title}": description changed` });
    if (aOrder.indexOf(s.key) !== bOrder.indexOf(s.key)) out.push({ kind: "moved", text: `Section "${s.title}" moved to place ${bOrder.indexOf(s.key) + 1}` });
    const aKeys = kept(before.s.fields.map((f) => f.key), new Map(s.fields.map((f) => [f.key, 1])));
    const bKeys = kept(s.fields.map((f) => f.key), new Map(before.s.fields.map((f) => [f.key, 1])));
    s.fields.forEach((f) => {
      const was = aFields.get(f.key);
      const where = `Field "${f.label}" in "${s.title}"`;
      if (!was) { out.push({ kind: "added", text: `${where} added (${f.type}${f.required ? ", required" : ""})` }); return; }
      if (was.section.key !== s.key) out.push({ kind: "moved", text: `Field "${f.label}" moved from "${was.section.title}" to "${s.title}"` });
      else if (aKeys.indexOf(f.key) !== bKeys.indexOf(f.key)) out.push({ kind: "moved", text: `${where} moved to place ${bKeys.indexOf(f.key) + 1}` });
      out.push(...fieldChanges(where, was.f, f));
    });
  });
  for (const [key, { f, section }] of aFields) {
    if (!bFields.has(key) && bSections.has(section.key)) out.push({ kind: "removed", text: `Field "${f.label}" in "${section.title}" removed` });
  }
  for (const s of a.sections) {
    if (!bSections.has(s.key)) out.push({ kind: "removed", text: `Section "${s.title}" removed, with its ${s.fields.length} field(s)` });
  }
  for (const key of new Set([...Object.keys(a.rest), ...Object.keys(b.rest)])) {
    if (JSON.stringify(a.rest[key] ?? null) !== JSON.stringify(b.rest[key] ?? null)) {
      out.push({ kind: "changed", text: `Setting "${key}": ${a.rest[key] === undefined ? "none" : JSON.stringify(a.rest[key])} → ${b.rest[key] === undefined ? "none" : JSON.stringify(b.rest[key])}` });
    }
  }
  return out;
}
