// People on a permit: who is signed on now (and, for confined space, who is inside), shift handovers,
// extensions and the hot-work fire watch; and the competency register (yours, and the coordinator's
// list of what runs out soon). The server decides who may do what; these screens show what it says.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, newKey, unwrap, type Permit, type Schemas } from "../api/client";
import { SignatureField, type SignatureHandle } from "../components/Signature";
import { Alert, Empty, ErrorText, Spinner, TextInput } from "../components/ui";
import { localInput, when } from "../lib/format";
import { useSend } from "../lib/send";
import { useSession } from "../lib/session";

type People = Schemas["PeopleOut"];
type Member = People["crew"][number];
type Competency = Schemas["CompetencyOut"];
type Member_ = Schemas["MemberOut"];

const idem = () => ({ "Idempotency-Key": newKey() });
const value = (form: HTMLFormElement, name: string) =>
  ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "").trim();
const ROLE_WORDS: Record<Member["role"], string> = { WORKER: "Worker", ENTRANT: "Entrant", ATTENDANT: "Attendant" };
const SIGN_ON = ["APPROVED", "PENDING_DAILY", "ACTIVE"];
type Form = "sign-on" | "handover" | "extension" | "clear" | "watch" | null;

function Signed({ id, label, handle, error, onDrawn }: {
  id: string; label: string; handle: { current: SignatureHandle | null }; error?: string | undefined; onDrawn(): void;
}) {
  return <SignatureField id={id} label={label} handle={handle} error={error} onDrawn={onDrawn} />;
}

/** What went with a handover: the isolations' state and the last gas test, in a line. */
function handed(snapshot: Record<string, unknown>): string {
  const certificates = (snapshot.isolations ?? []) as { points: { state: string }[] }[];
  const points = certificates.flatMap((c) => c.points);
  const gas = snapshot.gasTest as { passed: boolean; takenAt: string } | null | undefined;
  return (points.length ? `Isolations handed: ${points.filter((p) => p.state === "VERIFIED").length} of ${points.length} points verified`
    : "No isolations") + (gas ? `; last gas test ${gas.passed ? "passed" : "FAILED"} ${when(gas.takenAt)}` : "; no gas test") + ".";
}

/** The worker (or fire watch) fields: name, company and, where a competency is needed, its certificate. */
function PersonFields({ fields, prefix }: { fields: Record<string, string>; prefix: string }) {
  const f = (name: string) => fields[`${prefix}.${name}`] ?? fields[name];
  return <>
    <TextInput name="name" label="Name" required error={f("name")} autoComplete="off" />
    <TextInput name="company" label="Company" required error={f("company")} />
    <TextInput name="competencyRef" label="Competency certificate number" error={f("competencyRef")}
      help="Needed where the permit asks for a competency (entrants, attendants, the fire watch)" />
    <TextInput name="competencyValidTo" label="Certificate valid until" type="date" error={f("competencyValidTo")} />
  </>;
}

function person(form: HTMLFormElement) {
  return { name: value(form, "name"), company: value(form, "company"),
    competencyRef: value(form, "competencyRef") || null, competencyValidTo: value(form, "competencyValidTo") || null };
}

export function PeopleCard({ permit, onChanged }: { permit: Permit; onChanged(): void }) {
  const { me } = useSession();
  const [people, setPeople] = useState<People | null>(null);
  const [open, setOpen] = useState<Form>(null);
  const [done, setDone] = useState("");
  const [receivers, setReceivers] = useState<Member_[]>([]);
  const { fields, error, busy, send } = useSend();
  const signature = useRef<SignatureHandle | null>(null);
  const [signError, setSignError] = useState("");
  const path = { params: { path: { permit_id: permit.id } } };
  const load = async () => setPeople(await unwrap(api.GET("/api/v1/permits/{permit_id}/people", path)).catch(() => null));
  useEffect(() => { void load(); }, [permit.id, permit.version]);
  if (!people || permit.status === "DRAFT") return null;

  const holder = me.role === "RECEIVER" && permit.requesterId === me.id;
  const onSite = holder || me.role === "COORDINATOR" || me.role === "ISSUER";
  const openHandover = people.handovers.find((h) => h.status === "REQUESTED" || h.status === "ACCEPTED");
  const openExtension = people.extensions.find((e) => e.status === "REQUESTED" || e.status === "ISSUER_APPROVED");
  const tz = permit.timezone;
  const watch = people.fireWatch;

  function signed(): { imageBase64: string } | null {
    const png = signature.current?.png();
    if (!png) { setSignError("Sign in the box first."); return null; }
    return { imageBase64: png };
  }
  async function change(work: () => Promise<People>, words: string) {
    const answer = await send(work);
    if (answer) { setPeople(answer); setOpen(null); setDone(words); onChanged(); }
  }
  const post = (url: string, body?: Record<string, unknown>) =>
    unwrap(api.POST(url as "/api/v1/permits/{permit_id}/crew", { ...path, headers: idem(), body: (body ?? {}) as never }))
      .then((p) => p as unknown as People);
  const base = `/api/v1/permits/${permit.id}`;

  async function signOn(form: HTMLFormElement) {
    const sig = signed();
    if (!sig) return;
    const acknowledged = (form.elements.namedItem("acknowledged") as HTMLInputElement).checked;
    await change(() => post(`${base}/crew`, { ...person(form), role: value(form, "role") || "WORKER",
      acknowledged, signature: sig }), `${value(form, "name")} is signed on.`);
  }
  async function openForm(form: Form) {
    setOpen(form); setDone(""); setSignError("");
    if (form === "handover" && receivers.length === 0) {
      const members = await unwrap(api.GET("/api/v1/projects/{project_id}/users",
        { params: { path: { project_id: permit.projectId } } })).catch(() => []);
      setReceivers(members.filter((m) => m.role === "RECEIVER" && m.id !== me.id && m.isActive));
    }
  }

  return (
    <section class="card" aria-labelledby="h-people">
      <h2 id="h-people">People on the permit</h2>
      <p>Holder: <strong>{people.holder.name}</strong> · On the permit now: <strong data-testid="on-permit">{people.onPermit}</strong>
        {people.confinedSpace ? <> · Inside the space: <strong data-testid="inside">{people.inside}</strong></> : null}</p>
      <Alert kind="ok">{done}</Alert>
      <Alert>{error}</Alert>

      <h3>Crew</h3>
      {people.crew.length === 0 ? <Empty>Nobody has signed on yet.</Empty> : (
        <ul class="plain crew" aria-label="Crew">
          {people.crew.map((m) => (
            <li key={m.id} class={m.onPermit ? "on" : "off"}>
              <p><strong>{m.name}</strong> · {m.company} · {ROLE_WORDS[m.role]}{m.inside ? <span class="badge tone-amber"> Inside</span> : null}</p>
              <p class="help">Signed on {when(m.signedOnAt, tz)} on {m.signedOnBy.name}'s phone
                {m.signedOffAt ? `; signed off ${when(m.signedOffAt, tz)}` : ""}{m.competencyRef ? ` · ${m.competencyRef}` : ""}</p>
              {m.entries.length ? <p class="help">{m.entries.map((e) => `in ${when(e.enteredAt, tz).split(", ").pop()}`
                + (e.exitedAt ? `, out ${when(e.exitedAt, tz).split(", ").pop()}` : ", still inside")).join("; ")}</p> : null}
              {onSite && m.onPermit ? (
                <div class="buttons">
                  {m.role === "ENTRANT" && permit.status === "ACTIVE" ? (m.inside
                    ? <button type="button" class="primary" disabled={busy} onClick={() => void change(() => post(`${base}/crew/${m.id}/exit`), `${m.name} is out.`)}>Out of the space</button>
                    : <button type="button" class="secondary" disabled={busy} onClick={() => void change(() => post(`${base}/crew/${m.id}/enter`), `${m.name} is inside.`)}>Into the space</button>) : null}
                  {!m.inside ? <button type="button" class="secondary" disabled={busy} aria-label={`Sign off ${m.name}`}
                    onClick={() => void change(() => post(`${base}/crew/${m.id}/sign-off`), `${m.name} is signed off.`)}>Sign off</button> : null}
                </div>) : null}
            </li>
          ))}
        </ul>
      )}
      {onSite && SIGN_ON.includes(permit.status) && open !== "sign-on" ? (
        <button type="button" class="primary" onClick={() => void openForm("sign-on")}>Sign a worker on</button>) : null}
      {open === "sign-on" ? (
        <form class="subform" noValidate aria-label="Sign a worker on" onSubmit={(e) => { e.preventDefault(); void signOn(e.currentTarget); }}>
          <p class="help">Hand the phone to the worker: they read the permit's hazards and precautions above, tick, and sign.</p>
          <PersonFields fields={fields} prefix="crew" />
          {people.confinedSpace ? (
            <div class="field">
              <label for="f-role">Role</label>
              <select id="f-role" name="role"><option value="WORKER">Worker</option><option value="ENTRANT">Entrant</option>
                <option value="ATTENDANT">Attendant (stays outside)</option></select>
              <ErrorText id="f-role-error" message={fields.role} />
            </div>) : null}
          <div class={`field check${fields.acknowledged ? " has-error" : ""}`}>
            <label><input type="checkbox" name="acknowledged" /> I have read this permit's hazards and precautions and will work to them</label>
            <ErrorText id="f-acknowledged-error" message={fields.acknowledged} />
          </div>
          <Signed id="crew-sig" label="Worker's signature" handle={signature} error={signError || fields.signature} onDrawn={() => setSignError("")} />
          <div class="buttons">
            <button type="submit" class="primary" disabled={busy}>Sign on</button>
            <button type="button" class="secondary" onClick={() => setOpen(null)}>Back</button>
          </div>
        </form>) : null}

      <h3>Handover</h3>
      {people.handovers.length === 0 ? <Empty>Not handed over.</Empty> : (
        <ul class="plain">{people.handovers.map((h) => (
          <li key={h.id}><p>{h.fromUser.name} → {h.toUser.name} · <strong>{{ REQUESTED: "waiting for the incoming holder",
            ACCEPTED: "waiting for the issuer", DONE: `done ${when(h.acknowledgedAt, tz)}`, CANCELLED: "cancelled" }[h.status]}</strong></p>
            <p class="help">“{h.note}”</p><p class="help">{handed(h.snapshot)}</p></li>))}</ul>
      )}
      {openHandover?.status === "REQUESTED" && openHandover.toUser.id === me.id && open !== "handover" ? (
        <form class="subform" noValidate aria-label="Accept the handover" onSubmit={(e) => { e.preventDefault();
          const sig = signed(); if (sig) void change(() => post(`${base}/handovers/${openHandover.id}/accept`, { signature: sig }), "You accepted the handover."); }}>
          <p>{openHandover.fromUser.name} hands this permit to you. Read the note, check the isolations and gas tests, and sign to accept.</p>
          <Signed id="accept-sig" label="Your signature" handle={signature} error={signError || fields.signature} onDrawn={() => setSignError("")} />
          <div class="buttons"><button type="submit" class="primary" disabled={busy}>Accept the handover</button></div>
        </form>) : null}
      {openHandover?.status === "ACCEPTED" && me.role === "ISSUER" ? (
        <button type="button" class="primary" disabled={busy} onClick={() => void change(() =>
          post(`${base}/handovers/${openHandover.id}/acknowledge`), "Handover acknowledged.")}>Acknowledge the handover</button>) : null}
      {openHandover && (openHandover.fromUser.id === me.id || openHandover.toUser.id === me.id) ? (
        <button type="button" class="secondary" disabled={busy} onClick={() => void change(() =>
          post(`${base}/handovers/${openHandover.id}/cancel`), "Handover cancelled.")}>
          {openHandover.fromUser.id === me.id ? "Withdraw the handover" : "Decline"}</button>) : null}
      {holder && !openHandover && ["ACTIVE", "PENDING_DAILY"].includes(permit.status) && open !== "handover" ? (
        <button type="button" class="secondary" onClick={() => void openForm("handover")}>Hand over to the next shift</button>) : null}
      {open === "handover" ? (
        <form class="subform" noValidate aria-label="Hand over the permit" onSubmit={(e) => { e.preventDefault(); const form = e.currentTarget;
          const sig = signed(); if (sig) void change(() => post(`${base}/handovers`, { toUserId: value(form, "toUserId") || null,
            note: value(form, "note"), signature: sig }), "Handover asked for: the incoming holder signs next."); }}>
          <div class={`field${fields.toUserId ? " has-error" : ""}`}>
            <label for="f-toUserId">Incoming holder<span class="req" aria-hidden="true"> *</span></label>
            <select id="f-toUserId" name="toUserId" aria-describedby={fields.toUserId ? "f-toUserId-error" : undefined}>
              <option value="">Choose a receiver</option>
              {receivers.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            </select>
            <ErrorText id="f-toUserId-error" message={fields.toUserId} />
          </div>
          <div class={`field${fields.note ? " has-error" : ""}`}>
            <label for="f-note">Handover note<span class="req" aria-hidden="true"> *</span></label>
            <p class="help" id="f-note-help">What is done, what is left, anything the next shift must know. The isolations and the last gas test go with it.</p>
            <textarea id="f-note" name="note" rows={3} aria-describedby={fields.note ? "f-note-error" : "f-note-help"} />
            <ErrorText id="f-note-error" message={fields.note} />
          </div>
          <Signed id="handover-sig" label="Your signature" handle={signature} error={signError || fields.signature} onDrawn={() => setSignError("")} />
          <div class="buttons"><button type="submit" class="primary" disabled={busy}>Hand over</button>
            <button type="button" class="secondary" onClick={() => setOpen(null)}>Back</button></div>
        </form>) : null}

      <h3>Extensions</h3>
      <p class="help">Valid until {when(permit.validTo, tz)}; this type of permit can run until {when(people.maxValidTo, tz)} at the latest.</p>
      {people.extensions.length ? (
        <ul class="plain">{people.extensions.map((x) => (
          <li key={x.id}><p>To {when(x.newValidTo, tz)} · <strong>{{ REQUESTED: "waiting for the issuer", ISSUER_APPROVED: "waiting for the coordinator",
            APPROVED: "approved", REFUSED: "refused", WITHDRAWN: "withdrawn" }[x.status]}</strong></p>
            <p class="help">“{x.reason}”{x.refusalReason ? ` — refused: ${x.refusalReason}` : ""}</p></li>))}</ul>) : null}
      {openExtension && ((openExtension.status === "REQUESTED" && me.role === "ISSUER")
        || (openExtension.status === "ISSUER_APPROVED" && me.role === "COORDINATOR")) && openExtension.requestedBy.id !== me.id ? (
        <form class="subform" noValidate aria-label="Decide the extension" onSubmit={(e) => e.preventDefault()}>
          <div class={`field${fields.reason ? " has-error" : ""}`}>
            <label for="f-ext-reason">Reason, if you refuse</label>
            <textarea id="f-ext-reason" name="reason" rows={2} aria-describedby={fields.reason ? "f-ext-reason-error" : undefined} />
            <ErrorText id="f-ext-reason-error" message={fields.reason} />
          </div>
          <div class="buttons">
            <button type="button" class="primary" disabled={busy} onClick={() => void change(() =>
              post(`${base}/extensions/${openExtension.id}/approve`), "Extension approved.")}>Approve the extension</button>
            <button type="button" class="danger" disabled={busy} onClick={(e) => void change(() =>
              post(`${base}/extensions/${openExtension.id}/refuse`, { reason: value(e.currentTarget.form!, "reason") }),
            "Extension refused.")}>Refuse</button>
          </div>
        </form>) : null}
      {holder && !openExtension && ["APPROVED", "PENDING_DAILY", "ACTIVE", "SUSPENDED"].includes(permit.status) && open !== "extension" ? (
        <button type="button" class="secondary" onClick={() => void openForm("extension")}>Ask for more time</button>) : null}
      {open === "extension" ? (
        <form class="subform" noValidate aria-label="Ask for more time" onSubmit={(e) => { e.preventDefault(); const form = e.currentTarget;
          const local = value(form, "validTo");
          void change(() => post(`${base}/extensions`, { validTo: local ? `${local}:00` : null, reason: value(form, "reason") }),
            "Extension asked for: the issuer, then the coordinator decide."); }}>
          <TextInput name="validTo" label="New end" type="datetime-local" required error={fields.validTo}
            defaultValue={localInput(permit.validTo, tz)} help={`In the project's time (${tz})`} />
          <div class={`field${fields.reason ? " has-error" : ""}`}>
            <label for="f-reason-ext">Why<span class="req" aria-hidden="true"> *</span></label>
            <textarea id="f-reason-ext" name="reason" rows={2} aria-describedby={fields.reason ? "f-reason-ext-error" : undefined} />
            <ErrorText id="f-reason-ext-error" message={fields.reason} />
          </div>
          <div class="buttons"><button type="submit" class="primary" disabled={busy}>Ask</button>
            <button type="button" class="secondary" onClick={() => setOpen(null)}>Back</button></div>
        </form>) : null}

      {people.hotWork ? <>
        <h3>Fire watch</h3>
        {!watch ? <p class="help">Hot work: when the work stops, a named fire watch keeps the area for {(permit.hotWork as { fireWatchMinutes?: number } | null)?.fireWatchMinutes ?? 60} minutes before the permit closes.</p>
          : !watch.startedAt ? <Alert kind="info">The work stopped: name the fire watch to start the {watch.minutes} minutes.</Alert>
            : <p data-testid="fire-watch">{watch.watcherName} · {watch.minutes} minutes, until <strong>{when(watch.endsAt, tz)}</strong>
              {watch.clearedAt ? <> · signed clear {when(watch.clearedAt, tz)}: “{watch.clearNote}”</> : null}</p>}
        {watch && !watch.startedAt && onSite && open !== "watch" ? (
          <button type="button" class="primary" onClick={() => void openForm("watch")}>Name the fire watch</button>) : null}
        {open === "watch" ? (
          <form class="subform" noValidate aria-label="Name the fire watch" onSubmit={(e) => { e.preventDefault();
            void change(() => post(`${base}/fire-watch`, person(e.currentTarget)), "The fire watch has started."); }}>
            <PersonFields fields={fields} prefix="fireWatch" />
            <div class="buttons"><button type="submit" class="primary" disabled={busy}>Start the fire watch</button></div>
          </form>) : null}
        {watch?.startedAt && !watch.clearedAt && onSite && permit.status === "PENDING_CLOSEOUT" && open !== "clear" ? (
          <button type="button" class="primary" onClick={() => void openForm("clear")}>Fire watch: area clear</button>) : null}
        {open === "clear" ? (
          <form class="subform" noValidate aria-label="Fire watch: area clear" onSubmit={(e) => { e.preventDefault(); const form = e.currentTarget;
            const sig = signed(); if (sig) void change(() => post(`${base}/fire-watch/clear`, { note: value(form, "note"), signature: sig }),
              "The fire watch signed the area clear."); }}>
            <div class={`field${fields.note ? " has-error" : ""}`}>
              <label for="f-watch-note">What the fire watch found<span class="req" aria-hidden="true"> *</span></label>
              <textarea id="f-watch-note" name="note" rows={2} aria-describedby={fields.note ? "f-watch-note-error" : undefined} />
              <ErrorText id="f-watch-note-error" message={fields.note} />
            </div>
            <Signed id="watch-sig" label="Fire watch's signature" handle={signature} error={signError || fields.signature} onDrawn={() => setSignError("")} />
            <div class="buttons"><button type="submit" class="primary" disabled={busy}>Sign the area clear</button>
              <button type="button" class="secondary" onClick={() => setOpen(null)}>Back</button></div>
          </form>) : null}
      </> : null}
    </section>
  );
}

// -- the competency register ------------------------------------------------------------------------
const STATE_WORDS: Record<Competency["state"], string> = {
  VALID: "Valid", EXPIRED: "Expired", NOT_YET_VALID: "Not yet valid", REVOKED: "Revoked",
};

function CompetencyList({ rows, withName }: { rows: Competency[]; withName?: boolean }) {
  if (rows.length === 0) return <Empty>None on record.</Empty>;
  return (
    <ul class="plain competencies">
      {rows.map((c) => (
        <li key={c.id} class={`competency state-${c.state.toLowerCase()}`}>
          <p>{withName ? <><strong>{c.name}</strong> · </> : null}<strong>{c.type.name}</strong> ·{" "}
            <span class={`badge tone-${c.state === "VALID" ? (c.daysLeft <= 30 ? "amber" : "green") : "red"}`}>
              {STATE_WORDS[c.state]}{c.state === "VALID" && c.daysLeft <= 30 ? `, ${c.daysLeft} days left` : ""}</span></p>
          <p class="help">{c.issuer} · {c.number} · valid {c.validFrom} to {c.validTo}{c.revokeReason ? ` · revoked: ${c.revokeReason}` : ""}</p>
        </li>
      ))}
    </ul>
  );
}

export function Competencies() {
  const { me } = useSession();
  const registrar = me.role === "COORDINATOR" || me.role === "SUPER_ADMIN";
  const [mine, setMine] = useState<Competency[] | null>(null);
  const [soon, setSoon] = useState<Competency[]>([]);
  const [types, setTypes] = useState<Schemas["CompetencyTypeOut"][]>([]);
  const [users, setUsers] = useState<{ id: string; name: string }[]>([]);
  const [done, setDone] = useState("");
  const { fields, error, busy, send } = useSend();
  async function load() {
    setMine(await unwrap(api.GET("/api/v1/competencies")).catch(() => []));
    if (registrar) {
      setSoon(await unwrap(api.GET("/api/v1/competencies/expiring")).catch(() => []));
      setTypes(await unwrap(api.GET("/api/v1/competency-types")).catch(() => []));
      const listed = await unwrap(api.GET("/api/v1/users", { params: { query: { limit: 100 } } })).catch(() => []);
      setUsers(listed.map((u) => ({ id: u.id, name: `${u.name} (${u.email})` })));
    }
  }
  useEffect(() => { void load(); }, []);

  async function record(form: HTMLFormElement) {
    const body = { userId: value(form, "userId") || null, typeKey: value(form, "typeKey") || null, issuer: value(form, "issuer"),
      number: value(form, "number"), validFrom: value(form, "validFrom") || null, validTo: value(form, "validTo") || null };
    const held = await send(() => unwrap(api.POST("/api/v1/competencies", { headers: idem(), body: body as never })));
    if (held) { setDone(`Recorded: ${held.type.name} for ${held.name}.`); form.reset(); await load(); }
  }

  return (
    <main id="main">
      <h1>Competencies</h1>
      <section class="card" aria-labelledby="h-mine">
        <h2 id="h-mine">Yours</h2>
        {mine === null ? <Spinner label="Loading your competencies" /> : <CompetencyList rows={mine} />}
      </section>
      {registrar ? <>
        <section class="card" aria-labelledby="h-soon">
          <h2 id="h-soon">Running out within 30 days</h2>
          <CompetencyList rows={soon} withName />
        </section>
        <section class="card" aria-labelledby="h-record">
          <h2 id="h-record">Record a competency</h2>
          <Alert kind="ok">{done}</Alert>
          <form noValidate aria-label="Record a competency" onSubmit={(e) => { e.preventDefault(); void record(e.currentTarget); }}>
            <Alert>{error}</Alert>
            <div class={`field${fields.userId ? " has-error" : ""}`}>
              <label for="f-userId">Person<span class="req" aria-hidden="true"> *</span></label>
              <select id="f-userId" name="userId"><option value="">Choose a person</option>
                {users.map((u) => <option key={u.id} value={u.id}>{u.name}</option>)}</select>
              <ErrorText id="f-userId-error" message={fields.userId} />
            </div>
            <div class={`field${fields.typeKey ? " has-error" : ""}`}>
              <label for="f-typeKey">Competency<span class="req" aria-hidden="true"> *</span></label>
              <select id="f-typeKey" name="typeKey"><option value="">Choose a competency</option>
                {types.map((t) => <option key={t.key} value={t.key}>{t.name}</option>)}</select>
              <ErrorText id="f-typeKey-error" message={fields.typeKey} />
            </div>
            <TextInput name="issuer" label="Issued by" required error={fields.issuer} help="The body that certified the person" />
            <TextInput name="number" label="Certificate number" required error={fields.number} />
            <TextInput name="validFrom" label="Valid from" type="date" required error={fields.validFrom} />
            <TextInput name="validTo" label="Valid until" type="date" required error={fields.validTo} />
            <div class="buttons"><button type="submit" class="primary" disabled={busy}>Record</button></div>
          </form>
        </section>
      </> : null}
    </main>
  );
}
