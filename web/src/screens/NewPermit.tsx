// A new permit, step by step: the basics, then one step per section of the pinned template version.
// Each step is saved as it is left, through the outbox: with no connection the draft and its saves wait
// in IndexedDB, marked "not yet sent", and go out by themselves when the connection returns.
import { useEffect, useState } from "preact/hooks";
import { api, newKey, unwrap, type Permit, type Schemas, type Template } from "../api/client";
import { ApiError, OfflineError, messageOf } from "../api/errors";
import { FormField } from "../components/FormField";
import { Alert, ErrorText, Spinner, TextInput } from "../components/ui";
import { sync } from "../lib/drafts";
import { asSchema, problemsByField, sectionData, type FormSchema } from "../lib/form";
import { localInput, typeName } from "../lib/format";
import { cacheGet, cachePut, getDraft, onOutboxChange, pending, putDraft, queueSave, type LocalDraft } from "../lib/outbox";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";
import { act } from "./PermitDetail";

interface Pinned { template: Template; schema: FormSchema }

async function pinnedVersion(templateId: string, number: number | null | undefined): Promise<Pinned> {
  const key = `template:${templateId}:${number ?? "latest"}`;
  try {
    const template = await unwrap(api.GET("/api/v1/templates/{template_id}", { params: { path: { template_id: templateId } } }));
    const wanted = number ?? template.publishedVersion ?? template.version?.version ?? 1;
    const version = await unwrap(api.GET("/api/v1/templates/{template_id}/versions/{number}", {
      params: { path: { template_id: templateId, number: wanted } } }));
    const pinned = { template, schema: asSchema(version.version?.schema) };
    await cachePut(key, pinned);
    return pinned;
  } catch (error) {
    const kept = await cacheGet<Pinned>(key);
    if (error instanceof OfflineError && kept) return kept;
    throw error;
  }
}

async function templates(): Promise<Template[]> {
  try {
    const list = await unwrap(api.GET("/api/v1/templates"));
    await cachePut("templates", list);
    // Kept on the phone too, so a permit can be started where there is no signal: every type offered is
    // in the cache before it is offered.
    await Promise.allSettled(list.filter((t) => t.isActive && t.publishedVersion).map((t) => pinnedVersion(t.id, null)));
    return list;
  } catch (error) {
    const kept = await cacheGet<Template[]>("templates");
    if (error instanceof OfflineError && kept) return kept;
    throw error;
  }
}

export type Area = Schemas["AreaOut"];

/** A project's active work areas; kept on the phone too, so a permit can be started with no signal. */
export async function workAreas(projectId: string): Promise<Area[]> {
  const key = `areas:${projectId}`;
  try {
    const list = await unwrap(api.GET("/api/v1/work-areas", { params: { query: { projectId } } }));
    await cachePut(key, list);
    return list;
  } catch (error) {
    const kept = await cacheGet<Area[]>(key);
    if (error instanceof OfflineError && kept) return kept;
    throw error;
  }
}

/** Areas in the order of the site (each after its parent), named with the path to them. */
export function areaChoices(list: Area[]): { id: string; label: string }[] {
  const byId = new Map(list.map((a) => [a.id, a]));
  const path = (a: Area): string => {
    const parent = a.parentId ? byId.get(a.parentId) : undefined;
    return parent ? `${path(parent)} › ${a.name}` : a.name;
  };
  return list.map((a) => ({ id: a.id, label: `${path(a)} (${a.code})` })).sort((x, y) => x.label.localeCompare(y.label));
}

export function AreaSelect({ projectId, value, error, onChange }: {
  projectId: string; value?: string | null | undefined; error?: string | undefined; onChange?(id: string): void;
}) {
  const [list, setList] = useState<Area[] | null>(null);
  const [unloaded, setUnloaded] = useState("");
  useEffect(() => {
    // A list that could not be loaded says why beside the field, and is asked for again when the signal
    // comes back: an empty choice with no reason would leave a receiver stuck on a scaffold.
    let mounted = true;
    let failed = false;
    const load = () => void workAreas(projectId).then((areas) => {
      failed = false;
      if (mounted) { setList(areas); setUnloaded(""); }
    }).catch((e: unknown) => {
      failed = true;
      if (mounted) {
        setList([]);
        setUnloaded(e instanceof OfflineError
          ? "The work areas are not on this phone yet: they load when you are back online." : messageOf(e));
      }
    });
    const again = () => { if (failed) load(); };
    setList(null);
    load();
    window.addEventListener("online", again);
    return () => { mounted = false; window.removeEventListener("online", again); };
  }, [projectId]);
  return (
    <div class={`field${error ? " has-error" : ""}`}>
      <label for="f-workAreaId">Work area<span class="req" aria-hidden="true"> *</span></label>
      <p class="help" id="f-workAreaId-help">Where the work is: other permits in the same place at the same time are checked.</p>
      <select id="f-workAreaId" name="workAreaId" value={value ?? ""} aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? "f-workAreaId-error" : "f-workAreaId-help"}
        onChange={(e) => onChange?.(e.currentTarget.value)}>
        <option value="">{list === null ? "Loading the areas…" : "Choose the work area"}</option>
        {list ? areaChoices(list).map((a) => <option value={a.id} key={a.id}>{a.label}</option>) : null}
      </select>
      {unloaded ? <p class="help" role="status" data-testid="areas-unloaded">{unloaded}</p> : null}
      <ErrorText id="f-workAreaId-error" message={error} />
    </div>
  );
}

/** "YYYY-MM-DDTHH:00" on a day from now, in the project's zone (the API reads it as the project's time). */
function dayAt(daysFromNow: number, hour: number, timeZone: string): string {
  const date = localInput(new Date(Date.now() + daysFromNow * 86_400_000).toISOString(), timeZone).slice(0, 10);
  return `${date}T${String(hour).padStart(2, "0")}:00`;
}

function Basics({ onStart, problems }: { onStart(draft: LocalDraft): void; problems: Record<string, string> }) {
  const { me, project } = useSession();
  const [list, setList] = useState<Template[] | null>(null);
  const [error, setError] = useState("");
  const [own, setFields] = useState<Record<string, string>>({});
  // A field changed since the last "Next" no longer shows its reason: it is checked again on the next one.
  const [edited, setEdited] = useState<string[]>([]);
  const fields = Object.fromEntries(Object.entries({ ...problems, ...own }).filter(([name]) => !edited.includes(name)));
  const changed = (e: Event) => {
    const name = (e.target as HTMLInputElement | null)?.name;
    if (name && !edited.includes(name)) setEdited([...edited, name]);
  };
  const projects = me.projects.filter((p) => p.isActive);
  const [projectId, setProjectId] = useState(project?.id ?? projects[0]?.id ?? "");
  const [areaId, setAreaId] = useState("");
  const tz = projects.find((p) => p.id === projectId)?.timezone ?? "UTC";
  useEffect(() => { templates().then((t) => setList(t.filter((x) => x.isActive && x.publishedVersion))).catch((e) => setError(messageOf(e))); }, []);
  if (!list) return error ? <Alert>{error}</Alert> : <Spinner label="Loading permit types" />;
  return (
    <form noValidate onInput={changed} onChange={changed} onSubmit={(e) => {
      e.preventDefault();
      const form = e.currentTarget;
      setEdited([]);
      const get = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
      const problems: Record<string, string> = {};
      if (!get("templateId")) problems.templateId = "Choose the type of work.";
      if (get("title").trim().length < 3) problems.title = "must be at least 3 characters";
      if (!get("validFrom")) problems.validFrom = "is required";
      if (!get("validTo")) problems.validTo = "is required";
      if (!get("workStart")) problems.workStart = "is required";
      if (!get("workEnd")) problems.workEnd = "is required";
      if (!get("workAreaId")) problems.workAreaId = "Work area: is required";
      if (Object.keys(problems).length) { setFields(problems); return; }
      onStart({
        localId: newKey(), projectId, templateId: get("templateId"), title: get("title").trim(),
        validFrom: get("validFrom"), validTo: get("validTo"), workStart: get("workStart"), workEnd: get("workEnd"),
        workAreaId: get("workAreaId"), formData: {}, updatedAt: Date.now(),
      });
    }}>
      <Alert>{error}</Alert>
      <div class="field">
        <label for="f-projectId">Project<span class="req" aria-hidden="true"> *</span></label>
        <select id="f-projectId" name="projectId" value={projectId} onChange={(e) => { setProjectId(e.currentTarget.value); setAreaId(""); }}>
          {projects.map((p) => <option value={p.id} key={p.id}>{p.code} · {p.name}</option>)}
        </select>
      </div>
      <AreaSelect projectId={projectId} value={areaId} onChange={setAreaId} error={fields.workAreaId} key={projectId} />
      <fieldset class={`field${fields.templateId ? " has-error" : ""}`}>
        <legend>Type of work<span class="req" aria-hidden="true"> *</span></legend>
        <div class="choices">
          {list.map((t) => (
            <label class="choice" key={t.id}>
              <input type="radio" name="templateId" value={t.id} />
              <span><strong>{t.name}</strong> <span class="help">{t.description}</span></span>
            </label>
          ))}
        </div>
        <ErrorText id="f-templateId-error" message={fields.templateId} />
      </fieldset>
      <TextInput label="Title" name="title" required placeholder="Welding of handrail, level 3" error={fields.title} />
      <TextInput label={`Valid from (${tz})`} name="validFrom" type="datetime-local" required
        defaultValue={dayAt(1, 8, tz)} error={fields.validFrom} />
      <TextInput label={`Valid to (${tz})`} name="validTo" type="datetime-local" required
        defaultValue={dayAt(3, 17, tz)} error={fields.validTo} />
      <div class="pair">
        <TextInput label="Work starts" name="workStart" type="time" required defaultValue="08:00" error={fields.workStart} />
        <TextInput label="Work ends" name="workEnd" type="time" required defaultValue="17:00" error={fields.workEnd} />
      </div>
      <p class="help">Each working day's confirmations are due by the time work starts.</p>
      <button class="primary" type="submit">Next</button>
    </form>
  );
}

export function PermitWizard({ permitId, localId }: { permitId?: string; localId?: string }) {
  const [draft, setDraft] = useState<LocalDraft | null>(null);
  const [pinned, setPinned] = useState<Pinned | null>(null);
  const [step, setStep] = useState(0); // 0: basics (new permits only), 1..n: sections, n+1: review
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [unsent, setUnsent] = useState(0);
  const [busy, setBusy] = useState(false);

  // A draft started on this phone (/permits/new?draft=<local id>): it opens again after a reload, even
  // with no connection, at its first unfinished step.
  useEffect(() => {
    if (!localId || permitId) return;
    void (async () => {
      const kept = await getDraft(localId);
      if (!kept) { setError("This draft is not on this phone any more."); return; }
      setDraft(kept);
      setPinned(await pinnedVersion(kept.templateId, null).catch((e) => { setError(messageOf(e)); return null; }));
      setProblems(kept.problems ?? {});
      setStep(1);
    })();
  }, [localId]);

  // Editing a draft that is on the server: its local copy is keyed by the server id.
  useEffect(() => {
    if (!permitId) return;
    void (async () => {
      const local = await getDraft(`srv:${permitId}`);
      try {
        const p: Permit = await unwrap(api.GET("/api/v1/permits/{permit_id}", { params: { path: { permit_id: permitId } } }));
        const mine: LocalDraft = {
          localId: `srv:${permitId}`, serverId: p.id, version: p.version, projectId: p.projectId,
          templateId: p.templateId, title: p.title, validFrom: p.validFrom, validTo: p.validTo,
          workAreaId: p.workAreaId, formData: { ...(p.formData as Record<string, unknown>), ...(local?.formData ?? {}) }, updatedAt: Date.now(),
        };
        await putDraft(mine);
        setDraft(mine);
        setPinned(await pinnedVersion(p.templateId, p.templateVersion));
      } catch (e) {
        if (local) {
          setDraft(local);
          setPinned(await pinnedVersion(local.templateId, null).catch(() => null));
        } else setError(messageOf(e));
      }
      setStep(1);
    })();
  }, [permitId]);

  useEffect(() => {
    if (!draft) return;
    const count = () => void pending(draft.localId).then((p) => setUnsent(p.length));
    count();
    return onOutboxChange(() => {
      count();
      void getDraft(draft.localId).then((d) => d && setDraft((before) => before && { ...before, serverId: d.serverId, version: d.version }));
    });
  }, [draft?.localId]);

  async function save(next: LocalDraft, body: Record<string, unknown>, sectionKey?: string): Promise<boolean> {
    setDraft(next);
    setBusy(true);
    setError("");
    try {
      await queueSave(next, body, newKey());
      const result = await sync();
      const refused = result.refused[next.localId];
      if (refused) {
        setProblems(refused.fieldMessages());
        setError(refused.message);
        return false;
      }
      const saved = await getDraft(next.localId);
      if (result.offline || !saved?.serverId) return true; // kept here; it goes when the connection is back
      if (sectionKey) {
        const check = await unwrap(api.POST("/api/v1/permits/{permit_id}/validate", {
          params: { path: { permit_id: saved.serverId } }, body: { sections: [sectionKey] } }));
        if (!check.valid) {
          setProblems(problemsByField(check.problems));
          setError("Some answers need attention.");
          return false;
        }
      }
      setProblems({});
      return true;
    } catch (e) {
      if (e instanceof OfflineError) return true;
      setError(messageOf(e));
      if (e instanceof ApiError) setProblems(e.fieldMessages());
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function start(fresh: LocalDraft) {
    setPinned(await pinnedVersion(fresh.templateId, null).catch((e) => { setError(messageOf(e)); return null; }));
    const body = { templateId: fresh.templateId, projectId: fresh.projectId, title: fresh.title,
      validFrom: fresh.validFrom, validTo: fresh.validTo, workStart: fresh.workStart, workEnd: fresh.workEnd,
      workAreaId: fresh.workAreaId, formData: {} };
    if (await save(fresh, body)) {
      navigate(`/permits/new?draft=${fresh.localId}`, { replace: true });
      setStep(1);
    }
  }

  async function submit() {
    if (!draft?.serverId) return;
    setBusy(true);
    setError("");
    try {
      const done = await act(draft.serverId, "submit");
      navigate(`/permits/${done.id}`, { replace: true });
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiError) setProblems(e.fieldMessages());
    } finally {
      setBusy(false);
    }
  }

  const sections = pinned?.schema.sections ?? [];
  const section = step >= 1 && step <= sections.length ? sections[step - 1] : undefined;
  const onReview = pinned && step === sections.length + 1;
  const total = sections.length + 1;
  return (
    <main id="main" class="wizard">
      <h1>{permitId ? "Edit draft" : "New permit"}{pinned ? `: ${typeName(pinned.template.type)}` : ""}</h1>
      {draft ? (
        <p class="draft-state" data-testid="draft-state">
          {unsent > 0 ? <span class="badge tone-amber" data-testid="not-sent">Not yet sent ({unsent})</span>
            : draft.serverId ? <span class="badge tone-green">Saved</span> : null}
          {step >= 1 ? <span class="help"> Step {Math.min(step, total)} of {total}</span> : null}
        </p>
      ) : null}
      <Alert>{error}</Alert>
      {step === 0 && !permitId ? <Basics problems={problems} onStart={(d) => void start(d)} /> : null}
      {section && draft ? (
        <form noValidate onSubmit={(e) => {
          e.preventDefault();
          const body = { formData: sectionData(section, draft.formData) };
          void save(draft, body, section.key).then((ok) => { if (ok) setStep(step + 1); });
        }}>
          <h2>{section.title}</h2>
          {section.description ? <p class="help">{section.description}</p> : null}
          {section.fields.map((spec) => (
            <FormField key={spec.key} spec={spec} value={draft.formData[spec.key]} error={problems[spec.key]}
              permitId={draft.serverId}
              onChange={(value) => { const next = { ...draft, formData: { ...draft.formData, [spec.key]: value } };
                setDraft(next); void putDraft(next); }} />
          ))}
          <div class="buttons">
            <button class="primary" type="submit" disabled={busy}>Save and continue</button>
            {step > 1 ? <button class="secondary" type="button" onClick={() => setStep(step - 1)}>Back</button> : null}
          </div>
        </form>
      ) : null}
      {onReview && draft ? (
        <section aria-labelledby="review-h">
          <h2 id="review-h">Review and submit</h2>
          <p>{draft.title}</p>
          <AreaSelect projectId={draft.projectId} value={draft.workAreaId} error={problems.workAreaId}
            onChange={(id) => { if (id) void save({ ...draft, workAreaId: id }, { workAreaId: id }); }} />
          {unsent > 0 || !draft.serverId ? (
            <Alert kind="info">This draft is kept on this phone and has not reached the server yet. It is sent by itself
              when the connection is back; then you can submit it.</Alert>
          ) : <p>Once submitted, the permit gets its number and goes to the issuer.</p>}
          {Object.keys(problems).length ? <ul class="problems">{Object.entries(problems)
            .filter(([k]) => !k.includes(".")).map(([k, m]) => <li key={k}>{m}</li>)}</ul> : null}
          <div class="buttons">
            <button class="primary" type="button" disabled={busy || unsent > 0 || !draft.serverId} onClick={() => void submit()}>
              Submit for approval</button>
            <button class="secondary" type="button" onClick={() => setStep(step - 1)}>Back</button>
          </div>
        </section>
      ) : null}
    </main>
  );
}
