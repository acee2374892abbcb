// One permit: its form by section, files, signatures, daily confirmations, timeline and PDF, and only
// the actions this user may take now, as the API lists them (allowedActions), never guessed here.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, newKey, unwrap, type Day, type FileInfo, type Permit, type TimelineEntry } from "../api/client";
import { ApiError, messageOf } from "../api/errors";
import { SignatureField, type SignatureHandle } from "../components/Signature";
import { Uploader } from "../components/Uploader";
import { Alert, Empty, ErrorText, Link, Spinner, StateBadge } from "../components/ui";
import { ACTIONS, bytes, day, happening, typeName, when } from "../lib/format";
import { asSchema, display, type FormSchema } from "../lib/form";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";
import { PeopleCard } from "./People";
import { GasTestsCard, IsolationsCard } from "./Safety";

type Verb = "approve" | "reject" | "revise" | "cancel" | "suspend" | "reinstate" | "request-closeout" | "close"
  | "daily-approve" | "submit";

const NEEDS_REASON: Partial<Record<Verb, string>> = {
  reject: "Reason for rejecting (the receiver sees it)",
  suspend: "Why work must stop",
  reinstate: "Why work may go on again",
  cancel: "Reason for cancelling",
  "request-closeout": "Why the work ends early (optional)",
};
const NEEDS_SIGNATURE = new Set<Verb>(["approve", "close"]);
const ORDER: Verb[] = ["daily-approve", "approve", "submit", "close", "reject", "revise", "request-closeout",
  "suspend", "reinstate", "cancel"];

export async function act(permitId: string, verb: Verb, body?: Record<string, unknown>): Promise<Permit> {
  const options = { params: { path: { permit_id: permitId } }, headers: { "Idempotency-Key": newKey() } };
  const path = `/api/v1/permits/{permit_id}/${verb}` as "/api/v1/permits/{permit_id}/approve";
  return unwrap(api.POST(path, { ...options, body: (body ?? {}) as never }));
}

function ActionPanel({ permit, verb, onDone, onClose }: {
  permit: Permit; verb: Verb; onDone(p: Permit): void; onClose(): void;
}) {
  const { me } = useSession();
  const signature = useRef<SignatureHandle | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const reasonLabel = NEEDS_REASON[verb];
  const unacknowledged = permit.conflicts.filter((c) => c.verdict === "WARN" && !c.acknowledgement);
  const reasonOptional = verb === "request-closeout" || (verb === "cancel" && me.role === "RECEIVER");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  async function send(form: HTMLFormElement) {
    setError("");
    setFields({});
    const text = (name: string) => ((form.elements.namedItem(name) as HTMLTextAreaElement | null)?.value ?? "").trim();
    const body: Record<string, unknown> = {};
    if (reasonLabel) {
      if (text("reason")) body.reason = text("reason");
      else if (!reasonOptional) { setFields({ reason: "A reason is required." }); return; }
    }
    if (verb === "approve" && text("comment")) body.comment = text("comment");
    // The server judges it (and names what it needs beside the field): the words are the same everywhere.
    if (verb === "approve" && text("simopsAcknowledgement")) body.simopsAcknowledgement = text("simopsAcknowledgement");
    if (verb === "close") body.completionNotes = text("completionNotes");
    if (verb === "request-closeout" && permit.hotWork) {
      body.fireWatch = { name: text("watchName"), company: text("watchCompany"),
        competencyRef: text("watchRef") || null, competencyValidTo: text("watchValidTo") || null };
    }
    if (NEEDS_SIGNATURE.has(verb)) {
      const png = signature.current?.png();
      if (!png) { setFields({ signature: "Sign in the box first." }); return; }
      body.signature = { imageBase64: png };
    }
    setBusy(true);
    try {
      onDone(await act(permit.id, verb, body));
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof ApiError) setFields(e.fieldMessages());
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="action-panel" aria-labelledby="action-h">
      <h2 id="action-h" tabIndex={-1} ref={heading}>{ACTIONS[verb] ?? verb}</h2>
      <form noValidate onSubmit={(e) => { e.preventDefault(); void send(e.currentTarget); }}>
        <Alert>{error}</Alert>
        {reasonLabel ? (
          <div class={`field${fields.reason ? " has-error" : ""}`}>
            <label for="f-reason">{reasonLabel}{reasonOptional ? "" : <span class="req" aria-hidden="true"> *</span>}</label>
            <textarea id="f-reason" name="reason" rows={3} aria-invalid={fields.reason ? "true" : undefined}
              onInput={() => fields.reason && setFields(({ reason: _typed, ...rest }) => rest)}
              aria-describedby={fields.reason ? "f-reason-error" : undefined} />
            <ErrorText id="f-reason-error" message={fields.reason} />
          </div>
        ) : null}
        {verb === "approve" && unacknowledged.length ? (
          <div class={`field${fields.simopsAcknowledgement ? " has-error" : ""}`}>
            <label for="f-simopsAcknowledgement">How is this work kept apart from {unacknowledged.map((c) => c.number ?? c.title).join(", ")}?
              <span class="req" aria-hidden="true"> *</span></label>
            <p class="help" id="f-simopsAcknowledgement-help">Other work in the same area at the same time (SIMOPS). Your words are recorded with your name.</p>
            <textarea id="f-simopsAcknowledgement" name="simopsAcknowledgement" rows={3}
              aria-invalid={fields.simopsAcknowledgement ? "true" : undefined}
              aria-describedby={fields.simopsAcknowledgement ? "f-simopsAcknowledgement-error" : "f-simopsAcknowledgement-help"} />
            <ErrorText id="f-simopsAcknowledgement-error" message={fields.simopsAcknowledgement} />
          </div>
        ) : null}
        {verb === "approve" ? (
          <div class="field">
            <label for="f-comment">Comment (optional)</label>
            <textarea id="f-comment" name="comment" rows={2} />
          </div>
        ) : null}
        {verb === "close" ? (
          <div class={`field${fields.completionNotes ? " has-error" : ""}`}>
            <label for="f-completionNotes">Completion notes<span class="req" aria-hidden="true"> *</span></label>
            <p class="help" id="f-completionNotes-help">The area is safe, tools removed, isolations returned…</p>
            <textarea id="f-completionNotes" name="completionNotes" rows={3}
              aria-describedby={fields.completionNotes ? "f-completionNotes-error" : "f-completionNotes-help"} />
            <ErrorText id="f-completionNotes-error" message={fields.completionNotes} />
          </div>
        ) : null}
        {verb === "request-closeout" && permit.hotWork ? (
          <fieldset class="subform">
            <legend>Fire watch</legend>
            <p class="help">Hot work: a fire watch keeps the area for {(permit.hotWork as { fireWatchMinutes?: number }).fireWatchMinutes ?? 60} minutes
              from now, and signs it clear before the permit closes.</p>
            <ErrorText id="f-fireWatch-error" message={fields.fireWatch} />
            {([["watchName", "Fire watch's name", "name", true], ["watchCompany", "Company", "company", true],
              ["watchRef", "Competency certificate number", "competencyRef", false],
              ["watchValidTo", "Certificate valid until", "competencyValidTo", false]] as const).map(([name, label, key, required]) => (
              <div class={`field${fields[`fireWatch.${key}`] ? " has-error" : ""}`} key={name}>
                <label for={`f-${name}`}>{label}{required ? <span class="req" aria-hidden="true"> *</span> : null}</label>
                <input id={`f-${name}`} name={name} type={key === "competencyValidTo" ? "date" : "text"}
                  aria-invalid={fields[`fireWatch.${key}`] ? "true" : undefined}
                  aria-describedby={fields[`fireWatch.${key}`] ? `f-${name}-error` : undefined} />
                <ErrorText id={`f-${name}-error`} message={fields[`fireWatch.${key}`]} />
              </div>
            ))}
          </fieldset>
        ) : null}
        {NEEDS_SIGNATURE.has(verb) ? <SignatureField handle={signature} error={fields.signature}
          onDrawn={() => setFields(({ signature: _drawn, ...rest }) => rest)} /> : null}
        {verb === "revise" ? <p>The permit goes back to a draft you can change and submit again.</p> : null}
        <div class="buttons">
          <button class={verb === "reject" || verb === "cancel" || verb === "suspend" ? "danger" : "primary"}
            type="submit" disabled={busy}>{ACTIONS[verb] ?? verb}</button>
          <button type="button" class="secondary" onClick={onClose}>Back</button>
        </div>
      </form>
    </section>
  );
}

function Section({ title, children }: { title: string; children: preact.ComponentChildren }) {
  const id = "h-" + title.toLowerCase().replace(/[^a-z]+/g, "-");
  return <section class="card" aria-labelledby={id}><h2 id={id}>{title}</h2>{children}</section>;
}

export function PermitDetail({ id }: { id: string }) {
  const [permit, setPermit] = useState<Permit | null>(null);
  const [schema, setSchema] = useState<FormSchema | null>(null);
  const [files, setFiles] = useState<FileInfo[]>([]);
  const [days, setDays] = useState<Day[]>([]);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [verb, setVerb] = useState<Verb | null>(null);
  const [busy, setBusy] = useState(false);
  const path = { params: { path: { permit_id: id } } };

  async function load() {
    try {
      const p = await unwrap(api.GET("/api/v1/permits/{permit_id}", path));
      setPermit(p);
      setError("");
      const [version, f, d, t] = await Promise.all([
        unwrap(api.GET("/api/v1/templates/{template_id}/versions/{number}", {
          params: { path: { template_id: p.templateId, number: p.templateVersion } } })).catch(() => null),
        unwrap(api.GET("/api/v1/permits/{permit_id}/files", path)).catch(() => []),
        unwrap(api.GET("/api/v1/permits/{permit_id}/days", path)).catch(() => []),
        unwrap(api.GET("/api/v1/permits/{permit_id}/timeline", path)).catch(() => []),
      ]);
      setSchema(version ? asSchema(version.version?.schema) : null);
      setFiles(f);
      setDays(d);
      setTimeline(t);
    } catch (e) {
      setError(messageOf(e));
    }
  }
  useEffect(() => { setPermit(null); setVerb(null); void load(); }, [id]);
  useEffect(() => {
    const again = (e: Event) => { if ((e as CustomEvent<string | null>).detail === id) void load(); };
    window.addEventListener("permitto:changed", again);
    return () => window.removeEventListener("permitto:changed", again);
  }, [id]);

  async function oneTap(v: "daily-approve" | "submit") {
    setBusy(true);
    setError("");
    try {
      const p = await act(id, v);
      setNotice(v === "daily-approve" ? "Confirmed for today." : `Submitted as ${p.number}.`);
      await load();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  async function openPdf() {
    try {
      const link = await unwrap(api.GET("/api/v1/permits/{permit_id}/pdf", path));
      window.open(link.url, "_blank", "noopener");
    } catch (e) {
      setError(messageOf(e));
    }
  }

  if (!permit) return <main id="main">{error ? <Alert>{error}</Alert> : <Spinner label="Loading the permit" />}</main>;
  const allowed = ORDER.filter((v) => permit.allowedActions.includes(v));

  const tz = permit.timezone;
  return (
    <main id="main" class="permit">
      <p class="crumbs"><Link to="/permits">Permits</Link></p>
      <h1>{permit.title}</h1>
      <p class="permit-meta">{permit.number ?? "Draft"} · {typeName(permit.type)} · {permit.projectCode}</p>
      <p><StateBadge status={permit.status} /></p>
      {permit.rejectionReason && permit.status.startsWith("REJECTED") ? (
        <Alert kind="info">Rejected: {permit.rejectionReason}</Alert>) : null}
      {permit.suspensionReason && permit.status === "SUSPENDED" ? <Alert>Suspended: {permit.suspensionReason}</Alert> : null}
      <Alert kind="ok">{notice}</Alert>
      <Alert>{error}</Alert>

      <section class="actions" aria-label="What you can do">
        {allowed.length === 0 ? <p class="help">Nothing for you to do on this permit now.</p> : null}
        {permit.status === "DRAFT" && allowed.includes("submit") ? (
          <Link to={`/permits/${id}/edit`} class="button secondary">Continue editing</Link>) : null}
        {allowed.map((v) => (
          <button key={v} type="button" disabled={busy}
            class={v === "reject" || v === "cancel" || v === "suspend" ? "danger" : v === "daily-approve" || v === "approve" ? "primary" : "secondary"}
            onClick={() => (v === "daily-approve" || v === "submit" ? void oneTap(v) : setVerb(v))}>{ACTIONS[v] ?? v}</button>
        ))}
      </section>
      {verb ? <ActionPanel permit={permit} verb={verb} onClose={() => setVerb(null)}
        onDone={(p) => { setVerb(null); setNotice(`${ACTIONS[verb] ?? verb}: done.`); setPermit(p);
          if (verb === "revise") navigate(`/permits/${id}/edit`); else void load(); }} /> : null}

      {permit.conflicts.length ? (
        <section class="card conflicts" aria-labelledby="h-conflicts">
          <h2 id="h-conflicts">Other work here at the same time</h2>
          <ul class="plain">
            {permit.conflicts.map((c) => (
              <li key={c.permitId} class={`conflict verdict-${c.verdict.toLowerCase()}`}>
                <span class={`badge tone-${c.verdict === "BLOCK" ? "red" : "amber"}`}>{c.verdict === "BLOCK" ? "Not allowed together" : "Needs care"}</span>{" "}
                <Link to={`/permits/${c.permitId}`}>{c.number ?? c.title}</Link> · {typeName(c.type)} · {c.workArea?.name ?? ""}
                {c.acknowledgement ? <p class="help">Acknowledged by {c.acknowledgement.by.name}: “{c.acknowledgement.reason}”</p>
                  : c.verdict === "WARN" ? <p class="help">Not acknowledged yet: approving needs a word on how the work is kept apart.</p> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <Section title="When and where">
        <dl class="facts">
          <dt>Work area</dt><dd>{permit.workArea ? `${permit.workArea.name} (${permit.workArea.code})` : "Not set"}</dd>
          <dt>Valid</dt><dd>{when(permit.validFrom, tz)} to {when(permit.validTo, tz)}</dd>
          <dt>Working hours</dt><dd>{permit.workStart.slice(0, 5)}–{permit.workEnd.slice(0, 5)}{permit.extendedHours ? " (extended)" : ""}</dd>
          <dt>Time zone</dt><dd>{tz}</dd>
        </dl>
        {permit.approvedAt ? <button type="button" class="secondary" onClick={() => void openPdf()}>Open the PDF</button> : null}
      </Section>

      <IsolationsCard permit={permit} onChanged={() => void load()} />
      <GasTestsCard permit={permit} onChanged={() => void load()} />
      <PeopleCard permit={permit} onChanged={() => void load()} />

      {schema ? schema.sections.map((section) => (
        <Section title={section.title} key={section.key}>
          <dl class="facts">
            {section.fields.map((spec) => (
              <>
                <dt key={spec.key + "-t"}>{spec.label}</dt>
                <dd key={spec.key + "-d"}>{display(spec, (permit.formData as Record<string, unknown>)[spec.key])}</dd>
              </>
            ))}
          </dl>
        </Section>
      )) : null}

      <Section title="Files">
        {files.length === 0 ? <Empty>No files yet.</Empty> : (
          <ul class="files">
            {files.map((f) => (
              <li key={f.id}>
                {f.thumbnailUrl ? <img src={f.thumbnailUrl} alt={`Photo ${f.name}`} width={96} height={96} loading="lazy" />
                  : <span class="file-icon" aria-hidden="true">{f.contentType === "application/pdf" ? "PDF" : "FILE"}</span>}
                <span><a href={f.downloadUrl} target="_blank" rel="noopener">{f.name}</a> <span class="help">{bytes(f.size)}</span></span>
              </li>
            ))}
          </ul>
        )}
        {["DRAFT", "SUBMITTED", "ISSUER_APPROVED", "REJECTED_ISSUER", "REJECTED_COORD"].includes(permit.status) ? (
          <Uploader permitId={id} onUploaded={() => void load()} />) : null}
      </Section>

      <Section title="Signatures">
        {permit.signatures.length === 0 ? <Empty>No signatures yet.</Empty> : (
          <ul class="plain">{permit.signatures.map((s) => (
            <li key={s.sha256}>{happening(s.action)}, signed {when(s.signedAt, tz)}</li>
          ))}</ul>
        )}
      </Section>

      <Section title="Daily confirmations">
        {days.length === 0 ? <Empty>The daily cycle starts once the permit is approved.</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Daily confirmations by day">
            <table>
              <caption class="visually-hidden">Confirmations by day</caption>
              <thead><tr><th scope="col">Day</th><th scope="col">Receiver</th><th scope="col">Issuer</th><th scope="col">Coordinator</th></tr></thead>
              <tbody>
                {days.map((d) => (
                  <tr key={d.workDate}>
                    <th scope="row">{day(d.workDate)}</th>
                    {[d.receiver, d.issuer, d.coordinator].map((c, i) => (
                      <td key={i}>{c.at ? `✓ ${c.name ?? ""} ${when(c.at, tz).split(", ").pop()}` : "—"}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section title="Timeline">
        <ol class="timeline">
          {timeline.map((t) => (
            <li key={t.seq}>
              <span class="when">{when(t.at, tz)}</span>
              <span>{happening(t.action)}{t.actor ? ` by ${t.actor.name}` : " (system)"}
                {t.toStatus && t.toStatus !== t.fromStatus ? <> → <StateBadge status={t.toStatus} /></> : null}</span>
              {t.comment ? <span class="comment">“{t.comment}”</span> : null}
            </li>
          ))}
        </ol>
      </Section>
    </main>
  );
}
