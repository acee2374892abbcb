// Templates, for coordinators (administrators read them): the list, and the builder — sections and
// fields of all ten types with every property, reordered by dragging or with the arrow keys, a live
// preview that is the form receivers fill, save as draft, publish (which freezes a version), the
// versions and a readable difference between two of them. The API's schema errors are shown at the
// field they name.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, newKey, unwrap, type Template } from "../api/client";
import { ApiError, messageOf } from "../api/errors";
import { FormField } from "../components/FormField";
import { Alert, Empty, ErrorText, Link, Spinner } from "../components/ui";
import {
  allKeys, CHOICE_TYPES, diffSchemas, FIELD_TYPES, fromSchema, keyFrom, moved, optionsFromText, optionsToText,
  problemsByPlace, propertiesOf, toSchema, uidOf, withUid, type BuilderSchema, type Change,
} from "../lib/builder";
import type { FieldSpec, FieldType, Section } from "../lib/form";
import { typeName, TYPES, when } from "../lib/format";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";

export function TemplateList() {
  const { me } = useSession();
  const [list, setList] = useState<Template[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => { unwrap(api.GET("/api/v1/templates")).then(setList).catch((e) => setError(messageOf(e))); }, []);
  return (
    <main id="main" class="console">
      <h1>Templates</h1>
      <Alert>{error}</Alert>
      {me.role === "COORDINATOR" ? <p><Link to="/templates/new" class="button primary">New template</Link></p> : null}
      {list === null ? (error ? null : <Spinner label="Loading the templates" />) : list.length === 0 ? <Empty>No templates yet.</Empty> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Templates">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Published</th><th scope="col">Draft</th><th scope="col">Status</th></tr></thead>
            <tbody>{list.map((t) => (
              <tr key={t.id}>
                <th scope="row"><Link to={`/templates/${t.id}`}>{t.name}</Link></th>
                <td>{typeName(t.type)}</td>
                <td>{t.publishedVersion ? `version ${t.publishedVersion}` : "not yet"}</td>
                <td>{t.draftVersion ? `version ${t.draftVersion}` : "—"}</td>
                <td>{t.isActive ? "In use" : "Retired"}</td>
              </tr>))}</tbody>
          </table>
        </div>
      )}
    </main>
  );
}

// -- the builder ---------------------------------------------------------------------------------------
const NEW_SECTION = (taken: Set<string>, n: number): Section => ({
  key: keyFrom(`section ${n}`, taken), title: `Section ${n}`, fields: [withUid({ key: keyFrom(`field ${n}`, taken), type: "text", label: "New field" })],
});

interface Meta { name: string; type: string; description: string }

function num(raw: string): number | null {
  if (raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

function startDrag(e: DragEvent, what: string) {
  if (!e.dataTransfer) return;
  e.dataTransfer.effectAllowed = "move";
  e.dataTransfer.setData("text/plain", what);
}

/** A handle that moves its item by drag and drop or with the arrow keys; what moved is announced. */
function MoveHandle({ label, index, count, onMove }: { label: string; index: number; count: number; onMove(to: number): void }) {
  return (
    <button type="button" class="handle" aria-label={`Move ${label}, place ${index + 1} of ${count}: drag, or press the up and down arrow keys`}
      onKeyDown={(e) => {
        if (e.key === "ArrowUp" && index > 0) { e.preventDefault(); onMove(index - 1); }
        if (e.key === "ArrowDown" && index < count - 1) { e.preventDefault(); onMove(index + 1); }
      }}>⠿</button>
  );
}

function FieldEditor({ field, where, problems, readOnly, onChange }: {
  field: FieldSpec; where: string; problems: Record<string, string>; readOnly: boolean; onChange(f: FieldSpec): void;
}) {
  const id = (prop: string) => `tb-${where.replace(".", "-")}-${prop}`;
  const takes = propertiesOf(field.type);
  const problem = (prop: string) => problems[`${where}.${prop}`];
  const set = (patch: Partial<FieldSpec>) => onChange({ ...field, ...patch });
  const input = (prop: string, label: string, value: string, patch: (raw: string) => Partial<FieldSpec>, extra: Record<string, unknown> = {}) => (
    <div class={`field${problem(prop) ? " has-error" : ""}`}>
      <label for={id(prop)}>{label}</label>
      <input id={id(prop)} type="text" value={value} disabled={readOnly} aria-invalid={problem(prop) ? "true" : undefined}
        aria-describedby={problem(prop) ? `${id(prop)}-error` : undefined} {...extra}
        onInput={(e) => set(patch(e.currentTarget.value))} />
      <ErrorText id={`${id(prop)}-error`} message={problem(prop)} />
    </div>
  );
  return (
    <div class="field-editor">
      <div class="pair">
        {input("label", "Label", field.label, (v) => ({ label: v }))}
        <div class={`field${problem("type") ? " has-error" : ""}`}>
          <label for={id("type")}>Type</label>
          <select id={id("type")} value={field.type} disabled={readOnly}
            onChange={(e) => set({ type: e.currentTarget.value as FieldType })}>
            {FIELD_TYPES.map((t) => <option key={t.type} value={t.type}>{t.words}</option>)}
          </select>
          <ErrorText id={`${id("type")}-error`} message={problem("type")} />
        </div>
      </div>
      <div class="pair">
        {input("key", "Key (stored with each permit)", field.key, (v) => ({ key: v }), { spellcheck: false, autocapitalize: "off" })}
        <div class="field checkbox-field">
          <label class="choice"><input type="checkbox" id={id("required")} checked={!!field.required} disabled={readOnly}
            onChange={(e) => set({ required: e.currentTarget.checked })} /><span>Required</span></label>
        </div>
      </div>
      {input("help", "Help text", field.help ?? "", (v) => ({ help: v }))}
      {takes.includes("placeholder") ? input("placeholder", "Placeholder", field.placeholder ?? "", (v) => ({ placeholder: v })) : null}
      {takes.includes("length") ? (
        <div class="pair">
          {input("minLength", "Shortest (characters)", field.minLength?.toString() ?? "", (v) => ({ minLength: num(v) }), { type: "number", min: 0 })}
          {input("maxLength", "Longest (characters)", field.maxLength?.toString() ?? "", (v) => ({ maxLength: num(v) }), { type: "number", min: 1 })}
        </div>) : null}
      {takes.includes("pattern") ? input("pattern", "Pattern (a regular expression the whole answer must match)", field.pattern ?? "", (v) => ({ pattern: v }), { spellcheck: false }) : null}
      {takes.includes("range") ? (
        <div class="pair">
          {input("min", "Minimum", field.min?.toString() ?? "", (v) => ({ min: num(v) }), { type: "number", step: "any" })}
          {input("max", "Maximum", field.max?.toString() ?? "", (v) => ({ max: num(v) }), { type: "number", step: "any" })}
        </div>) : null}
      {takes.includes("unit") ? input("unit", "Unit", field.unit ?? "", (v) => ({ unit: v })) : null}
      {takes.includes("maxFiles") ? input("maxFiles", "Most files", field.maxFiles?.toString() ?? "", (v) => ({ maxFiles: num(v) }), { type: "number", min: 1, max: 10 }) : null}
      {takes.includes("options") ? (
        <div class={`field${problem("options") ? " has-error" : ""}`}>
          <label for={id("options")}>Options{CHOICE_TYPES.includes(field.type) ? <span class="req" aria-hidden="true"> *</span> : null}</label>
          <p class="help" id={`${id("options")}-help`}>One a line: a label, or "value = label".{field.type === "checkbox" ? " With options a checkbox is a checklist." : ""}</p>
          <OptionsBox id={id("options")} field={field} readOnly={readOnly} invalid={!!problem("options")} onChange={(options) => set({ options })} />
          <ErrorText id={`${id("options")}-error`} message={problem("options")} />
        </div>) : null}
      {takes.includes("requireAll") && field.options?.length ? (
        <label class="choice"><input type="checkbox" id={id("requireAll")} checked={!!field.requireAll} disabled={readOnly}
          onChange={(e) => set({ requireAll: e.currentTarget.checked })} /><span>Every item must be ticked</span></label>) : null}
    </div>
  );
}

/** The options' text box keeps what is typed (blank lines too) while the field gets the parsed list. */
function OptionsBox({ id, field, readOnly, invalid, onChange }: {
  id: string; field: FieldSpec; readOnly: boolean; invalid: boolean; onChange(o: FieldSpec["options"]): void;
}) {
  const [text, setText] = useState(optionsToText(field.options));
  return (
    <textarea id={id} rows={4} value={text} disabled={readOnly} aria-invalid={invalid ? "true" : undefined}
      aria-describedby={`${id}-help${invalid ? ` ${id}-error` : ""}`}
      onInput={(e) => { setText(e.currentTarget.value); onChange(optionsFromText(e.currentTarget.value)); }} />
  );
}

function Preview({ schema }: { schema: BuilderSchema }) {
  const [values, setValues] = useState<Record<string, unknown>>({});
  return (
    <section class="card preview" aria-labelledby="h-preview">
      <h2 id="h-preview">Preview: what receivers fill</h2>
      {schema.sections.map((s) => (
        <fieldset class="preview-section" key={s.key}>
          <legend>{s.title}</legend>
          {s.description ? <p class="help">{s.description}</p> : null}
          {s.fields.map((f) => <FormField key={`${f.key}-${f.type}`} spec={f} value={values[f.key]}
            onChange={(v) => setValues({ ...values, [f.key]: v })} />)}
        </fieldset>
      ))}
    </section>
  );
}

function Versions({ template, onCompared }: { template: Template; onCompared(c: Change[] | null, words: string): void }) {
  const versions = template.versions ?? [];
  const [a, setA] = useState(String(versions[1]?.version ?? versions[0]?.version ?? 1));
  const [b, setB] = useState(String(versions[0]?.version ?? 1));
  const [error, setError] = useState("");
  async function compare() {
    setError("");
    try {
      const get = (n: string) => unwrap(api.GET("/api/v1/templates/{template_id}/versions/{number}",
        { params: { path: { template_id: template.id, number: Number(n) } } }));
      const [va, vb] = await Promise.all([get(a), get(b)]);
      onCompared(diffSchemas(va.version?.schema, vb.version?.schema), `From version ${a} to version ${b}`);
    } catch (e) {
      setError(messageOf(e));
    }
  }
  return (
    <section class="card" aria-labelledby="h-versions">
      <h2 id="h-versions">Versions</h2>
      <ul class="plain versions">{versions.map((v) => (
        <li key={v.version}><strong>Version {v.version}</strong> <span class={`badge tone-${v.status === "PUBLISHED" ? "green" : "grey"}`}>
          {v.status === "PUBLISHED" ? "Published" : "Draft"}</span>{" "}
          <span class="help">{v.publishedAt ? `published ${when(v.publishedAt)}` : v.createdAt ? `started ${when(v.createdAt)}` : ""}</span></li>))}</ul>
      {versions.length > 1 ? (
        <form class="inline" aria-label="Compare two versions" onSubmit={(e) => { e.preventDefault(); void compare(); }}>
          <label for="f-diff-a">From</label>
          <select id="f-diff-a" value={a} onChange={(e) => setA(e.currentTarget.value)}>
            {versions.map((v) => <option key={v.version} value={v.version}>version {v.version}</option>)}</select>
          <label for="f-diff-b">to</label>
          <select id="f-diff-b" value={b} onChange={(e) => setB(e.currentTarget.value)}>
            {versions.map((v) => <option key={v.version} value={v.version}>version {v.version}</option>)}</select>
          <button type="submit" class="secondary small">Compare</button>
        </form>) : <p class="help">A second version can be compared with this one once there is one.</p>}
      <Alert>{error}</Alert>
    </section>
  );
}

let carried = ""; // what the builder said before it moved from /templates/new to the saved template's page

export function TemplateBuilder({ id }: { id?: string }) {
  const { me } = useSession();
  const readOnly = me.role !== "COORDINATOR";
  const [template, setTemplate] = useState<Template | null>(null);
  const [meta, setMeta] = useState<Meta>({ name: "", type: "", description: "" });
  const [schema, setSchema] = useState<BuilderSchema | null>(id ? null : { sections: [NEW_SECTION(new Set(), 1)], rest: {} });
  // One field's properties are open at a time (and every field the API found fault with), so the list
  // stays short enough to reorder at a glance.
  const [open, setOpen] = useState<string | null>(() => (schema ? uidOf(schema.sections[0]!.fields[0]!) : null));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [done, setDone] = useState(() => { const said = carried; carried = ""; return said; });
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [diff, setDiff] = useState<{ changes: Change[]; words: string } | null>(null);
  const [announce, setAnnounce] = useState("");
  const dragging = useRef<{ s: number; f: number | null } | null>(null);

  async function load(templateId: string) {
    try {
      const t = await unwrap(api.GET("/api/v1/templates/{template_id}", { params: { path: { template_id: templateId } } }));
      setTemplate(t);
      setMeta({ name: t.name, type: t.type, description: t.description });
      setSchema(fromSchema(t.version?.schema));
      setDirty(false);
    } catch (e) {
      setError(messageOf(e));
    }
  }
  useEffect(() => { if (id) void load(id); }, [id]);
  if (!schema) return <main id="main" class="console"><h1>Template</h1><Alert>{error}</Alert>{error ? null : <Spinner label="Loading the template" />}</main>;

  const change = (next: BuilderSchema) => { setSchema(next); setDirty(true); setDone(""); };
  const sections = schema.sections;
  const setSection = (i: number, s: Section) => change({ ...schema, sections: sections.map((x, n) => (n === i ? s : x)) });
  const setField = (i: number, j: number, f: FieldSpec) => setSection(i, { ...sections[i]!, fields: sections[i]!.fields.map((x, n) => (n === j ? f : x)) });
  function moveSection(from: number, to: number) {
    change({ ...schema!, sections: moved(sections, from, to) });
    setAnnounce(`Section "${sections[from]!.title}" is now in place ${to + 1} of ${sections.length}.`);
    focusHandle(`h-s${to}`);
  }
  function moveField(i: number, from: number, to: number) {
    const s = sections[i]!;
    setSection(i, { ...s, fields: moved(s.fields, from, to) });
    setAnnounce(`"${s.fields[from]!.label}" is now in place ${to + 1} of ${s.fields.length} in "${s.title}".`);
    focusHandle(`h-s${i}-f${to}`);
  }
  function focusHandle(where: string) {
    window.requestAnimationFrame(() => (document.querySelector(`[data-handle="${where}"] .handle`) as HTMLElement | null)?.focus());
  }
  function addField(i: number, type: FieldType) {
    const taken = allKeys(schema!);
    const words = FIELD_TYPES.find((t) => t.type === type)!.words.split(" (")[0]!;
    const field: FieldSpec = withUid({ key: keyFrom(words, taken), type, label: words });
    if (CHOICE_TYPES.includes(type)) field.options = [{ value: "yes", label: "Yes" }, { value: "no", label: "No" }];
    setOpen(uidOf(field));
    setSection(i, { ...sections[i]!, fields: [...sections[i]!.fields, field] });
    setAnnounce(`${words} field added to "${sections[i]!.title}".`);
  }

  async function save(): Promise<Template | null> {
    setBusy(true); setError(""); setProblems({}); setDone("");
    try {
      const body = { name: meta.name.trim(), description: meta.description.trim(), schema: toSchema(schema!) };
      const saved = template
        ? await unwrap(api.PATCH("/api/v1/templates/{template_id}", { params: { path: { template_id: template.id } }, body: body as never }))
        : await unwrap(api.POST("/api/v1/templates", { headers: { "Idempotency-Key": newKey() }, body: { ...body, type: meta.type } as never }));
      setTemplate(saved);
      setDirty(false);
      return saved;
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiError) {
        const byPlace = problemsByPlace(e.details);
        for (const p of e.details) if (["name", "type", "description"].includes(p.field)) byPlace[`meta.${p.field}`] = p.message;
        setProblems(byPlace);
      }
      return null;
    } finally {
      setBusy(false);
    }
  }
  async function saveDraft() {
    const saved = await save();
    if (!saved) return;
    const words = `Saved as the draft of version ${saved.draftVersion ?? saved.version?.version}. Receivers still see ${saved.publishedVersion ? `version ${saved.publishedVersion}` : "nothing until it is published"}.`;
    if (!template) { carried = words; navigate(`/templates/${saved.id}`, { replace: true }); } else setDone(words);
  }
  async function publish() {
    const saved = dirty || !template ? await save() : template;
    if (!saved) return;
    setBusy(true);
    try {
      const published = await unwrap(api.POST("/api/v1/templates/{template_id}/publish", { params: { path: { template_id: saved.id } } }));
      await load(published.id);
      setDone(`Version ${published.publishedVersion} is published and frozen: new permits use it.`);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  const metaProblem = (k: string) => problems[`meta.${k}`];
  const general = problems[""];
  return (
    <main id="main" class="console builder">
      <p><Link to="/templates">All templates</Link></p>
      <h1>{template ? template.name : "New template"}</h1>
      {template ? <p class="help">{typeName(template.type)} · {template.publishedVersion ? `version ${template.publishedVersion} published` : "not published yet"}
        {template.draftVersion ? ` · version ${template.draftVersion} is a draft` : ""}{dirty ? " · changes not saved" : ""}</p> : null}
      {readOnly ? <Alert kind="info">Coordinators build templates; you can read them here.</Alert> : null}
      <Alert kind="ok">{done}</Alert>
      <Alert>{[error, general].filter(Boolean).join(" ")}</Alert>
      <p class="visually-hidden" aria-live="polite">{announce}</p>
      <div class="builder-columns">
        <div class="builder-edit">
          <section class="card" aria-labelledby="h-about">
            <h2 id="h-about">About</h2>
            <div class={`field${metaProblem("name") ? " has-error" : ""}`}>
              <label for="tb-name">Name<span class="req" aria-hidden="true"> *</span></label>
              <input id="tb-name" type="text" value={meta.name} disabled={readOnly} aria-invalid={metaProblem("name") ? "true" : undefined}
                aria-describedby={metaProblem("name") ? "tb-name-error" : undefined}
                onInput={(e) => { setMeta({ ...meta, name: e.currentTarget.value }); setDirty(true); }} />
              <ErrorText id="tb-name-error" message={metaProblem("name")} />
            </div>
            <div class={`field${metaProblem("type") ? " has-error" : ""}`}>
              <label for="tb-type">Kind of work<span class="req" aria-hidden="true"> *</span></label>
              <select id="tb-type" value={meta.type} disabled={readOnly || !!template}
                aria-describedby={metaProblem("type") ? "tb-type-error" : undefined}
                onChange={(e) => setMeta({ ...meta, type: e.currentTarget.value })}>
                <option value="">Choose</option>
                {Object.entries(TYPES).map(([k, w]) => <option key={k} value={k}>{w}</option>)}
              </select>
              <ErrorText id="tb-type-error" message={metaProblem("type")} />
            </div>
            <div class="field">
              <label for="tb-description">Description</label>
              <textarea id="tb-description" rows={2} value={meta.description} disabled={readOnly}
                onInput={(e) => { setMeta({ ...meta, description: e.currentTarget.value }); setDirty(true); }} />
            </div>
          </section>
          {sections.map((s, i) => (
            <section class={`card builder-section${problems[`s${i}`] ? " has-error" : ""}`} key={s.key + i} aria-labelledby={`h-s${i}`}
              data-handle={`h-s${i}`}
              onDragOver={(e) => { if (dragging.current?.f === null) e.preventDefault(); }}
              onDrop={(e) => { e.preventDefault(); const d = dragging.current; if (d && d.f === null) moveSection(d.s, i); dragging.current = null; }}>
              <div class="builder-head" draggable={!readOnly} onDragStart={(e) => { dragging.current = { s: i, f: null }; startDrag(e, s.key); }}>
                {readOnly ? null : <MoveHandle label={`section "${s.title}"`} index={i} count={sections.length} onMove={(to) => moveSection(i, to)} />}
                <h2 id={`h-s${i}`}>Section {i + 1}: {s.title}</h2>
                {readOnly || sections.length === 1 ? null : <button type="button" class="danger small" onClick={() => change({ ...schema, sections: sections.filter((_, n) => n !== i) })}
                  aria-label={`Remove section "${s.title}"`}>Remove</button>}
              </div>
              <ErrorText id={`tb-s${i}-error`} message={problems[`s${i}`]} />
              <div class="pair">
                <div class={`field${problems[`s${i}.title`] ? " has-error" : ""}`}>
                  <label for={`tb-s${i}-title`}>Section title</label>
                  <input id={`tb-s${i}-title`} type="text" value={s.title} disabled={readOnly} onInput={(e) => setSection(i, { ...s, title: e.currentTarget.value })} />
                  <ErrorText id={`tb-s${i}-title-error`} message={problems[`s${i}.title`]} />
                </div>
                <div class={`field${problems[`s${i}.key`] ? " has-error" : ""}`}>
                  <label for={`tb-s${i}-key`}>Section key</label>
                  <input id={`tb-s${i}-key`} type="text" value={s.key} disabled={readOnly} spellcheck={false} onInput={(e) => setSection(i, { ...s, key: e.currentTarget.value })} />
                  <ErrorText id={`tb-s${i}-key-error`} message={problems[`s${i}.key`]} />
                </div>
              </div>
              <ol class="plain builder-fields">
                {s.fields.map((f, j) => { const expanded = open === uidOf(f) || Object.keys(problems).some((k) => k === `s${i}.f${j}` || k.startsWith(`s${i}.f${j}.`)); return (
                  <li key={uidOf(f)} class={`builder-field${problems[`s${i}.f${j}`] ? " has-error" : ""}`} data-handle={`h-s${i}-f${j}`}
                    data-field={f.key}
                    onDragOver={(e) => { if (dragging.current?.f !== null && dragging.current?.s === i) e.preventDefault(); }}
                    onDrop={(e) => { e.preventDefault(); e.stopPropagation(); const d = dragging.current; if (d && d.f !== null && d.s === i) moveField(i, d.f, j); dragging.current = null; }}>
                    <div class="builder-head" draggable={!readOnly} onDragStart={(e) => { e.stopPropagation(); dragging.current = { s: i, f: j }; startDrag(e, f.key); }}>
                      {readOnly ? null : <MoveHandle label={`"${f.label}"`} index={j} count={s.fields.length} onMove={(to) => moveField(i, j, to)} />}
                      <h3>{f.label || "(no label)"} <span class="help">· {FIELD_TYPES.find((t) => t.type === f.type)?.words}{f.required ? " · required" : ""}</span></h3>
                      <button type="button" class="secondary small" aria-expanded={expanded} aria-controls={`tb-s${i}-f${j}-props`}
                        aria-label={`${expanded ? "Done with" : readOnly ? "Show" : "Edit"} "${f.label}"`}
                        onClick={() => setOpen(expanded ? null : uidOf(f))}>{expanded ? "Done" : readOnly ? "Show" : "Edit"}</button>
                      {readOnly ? null : <button type="button" class="danger small" aria-label={`Remove "${f.label}"`}
                        onClick={() => setSection(i, { ...s, fields: s.fields.filter((_, n) => n !== j) })}>Remove</button>}
                    </div>
                    <ErrorText id={`tb-s${i}-f${j}-error`} message={problems[`s${i}.f${j}`]} />
                    {expanded ? <div id={`tb-s${i}-f${j}-props`}>
                      <FieldEditor field={f} where={`s${i}.f${j}`} problems={problems} readOnly={readOnly} onChange={(nf) => setField(i, j, nf)} />
                    </div> : null}
                  </li>
                ); })}
              </ol>
              {readOnly ? null : (
                <form class="inline" aria-label={`Add a field to "${s.title}"`} onSubmit={(e) => {
                  e.preventDefault(); addField(i, (e.currentTarget.elements.namedItem("type") as HTMLSelectElement).value as FieldType); }}>
                  <label for={`tb-add-${i}`}>Add a field</label>
                  <select id={`tb-add-${i}`} name="type">{FIELD_TYPES.map((t) => <option key={t.type} value={t.type}>{t.words}</option>)}</select>
                  <button type="submit" class="secondary small">Add</button>
                </form>)}
            </section>
          ))}
          {readOnly ? null : (
            <>
              <p><button type="button" class="secondary" onClick={() => { const added = NEW_SECTION(allKeys(schema), sections.length + 1);
                change({ ...schema, sections: [...sections, added] }); setOpen(uidOf(added.fields[0]!)); }}>Add a section</button></p>
              <div class="buttons sticky-actions">
                <button type="button" class="secondary" disabled={busy} onClick={() => void saveDraft()}>Save draft</button>
                <button type="button" class="primary" disabled={busy} onClick={() => void publish()}>Publish</button>
              </div>
            </>)}
          {template ? <Versions template={template} key={`${template.draftVersion}-${template.publishedVersion}`}
            onCompared={(changes, words) => setDiff(changes ? { changes, words } : null)} /> : null}
          {diff ? (
            <section class="card diff" aria-labelledby="h-diff">
              <h2 id="h-diff">{diff.words}</h2>
              {diff.changes.length === 0 ? <Empty>The two versions are the same.</Empty> : (
                <ul class="plain">{diff.changes.map((c, n) => (
                  <li key={n} class={`change change-${c.kind}`}><span class="change-kind">{c.kind}</span> {c.text}</li>))}</ul>)}
            </section>) : null}
        </div>
        <div class="builder-preview"><Preview schema={schema} /></div>
      </div>
    </main>
  );
}
