// A permit's isolations (lockout / tagout) and gas tests, and a project's library of isolation points.
// The server decides who may do what and whether work may start; these screens show what it says.
import { useEffect, useState } from "preact/hooks";
import { api, newKey, unwrap, type Permit, type Schemas } from "../api/client";
import { Alert, Empty, ErrorText, Spinner, TextInput } from "../components/ui";
import { useSend } from "../lib/send";
import { when } from "../lib/format";
import { useSession } from "../lib/session";

type Certificate = Schemas["CertificateOut"];
type CertPoint = Certificate["points"][number];
type Reading = Schemas["ReadingOut"];
type Point = Schemas["PointOut"];
interface Gas { key: string; name: string; kind: string; unit: string; min?: number; max?: number; initialTest?: boolean }
interface GasTests { gases: Gas[]; retestMinutes?: number }

const CYCLE = ["APPROVED", "PENDING_DAILY", "ACTIVE", "SUSPENDED"];
const POINT_STATE: Record<CertPoint["state"], string> = {
  PLANNED: "Not isolated", ISOLATED: "Isolated, not verified", VERIFIED: "Isolated and verified", REMOVED: "Removed",
};
export const ENERGY: Record<string, string> = {
  ELECTRICAL: "Electrical", MECHANICAL: "Mechanical", HYDRAULIC: "Hydraulic", PNEUMATIC: "Pneumatic",
  CHEMICAL: "Chemical", THERMAL: "Thermal", GRAVITY: "Gravity", STORED: "Stored energy",
};
const idem = () => ({ "Idempotency-Key": newKey() });

function limits(gas: Gas): string {
  if (gas.min !== undefined && gas.max !== undefined) return `${gas.min}–${gas.max} ${gas.unit}`;
  return gas.min !== undefined ? `at least ${gas.min} ${gas.unit}` : `at most ${gas.max ?? ""} ${gas.unit}`;
}

const value = (form: HTMLFormElement, name: string) =>
  ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "").trim();

// -- gas tests --------------------------------------------------------------------------------------
export function GasTestsCard({ permit, onChanged }: { permit: Permit; onChanged(): void }) {
  const { me } = useSession();
  const spec = permit.gasTests as GasTests | null;
  const [readings, setReadings] = useState<Reading[] | null>(null);
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState("");
  const { fields, error, busy, send } = useSend();
  const path = { params: { path: { permit_id: permit.id } } };
  const load = async () => setReadings(await unwrap(api.GET("/api/v1/permits/{permit_id}/gas-readings", path))
    .catch(() => []));
  useEffect(() => { void load(); }, [permit.id, permit.version]);
  if (!spec) return null;

  const mayRecord = CYCLE.includes(permit.status) && (me.role === "COORDINATOR" || me.role === "ISSUER"
    || (me.role === "RECEIVER" && permit.requesterId === me.id));
  const last = readings?.at(-1);
  const due = last?.passed && spec.retestMinutes
    ? new Date(new Date(last.takenAt).getTime() + spec.retestMinutes * 60_000).toISOString() : null;

  async function record(form: HTMLFormElement) {
    const values = spec!.gases.map((g) => ({ gas: g.key, raw: value(form, `gas-${g.key}`) }));
    const body = {
      instrumentId: value(form, "instrumentId"), calibrationDue: value(form, "calibrationDue"),
      location: value(form, "location") || null,
      values: values.filter((v) => v.raw !== "").map((v) => ({ gas: v.gas, value: Number(v.raw) })),
    };
    const reading = await send(() => unwrap(api.POST("/api/v1/permits/{permit_id}/gas-readings",
      { ...path, headers: idem(), body })));
    if (reading) {
      setResult(reading.passed ? "Recorded: the atmosphere tested safe."
        : "Recorded: the test FAILED. Work must stop; everyone on the permit is told.");
      setOpen(false);
      await load();
      onChanged();
    }
  }

  return (
    <section class="card" aria-labelledby="h-gas">
      <h2 id="h-gas">Gas tests</h2>
      <p class="help">Tested in this order, each within its limits: {spec.gases.map((g) => `${g.name} ${limits(g)}`).join("; ")}.
        {spec.retestMinutes ? ` Re-test every ${spec.retestMinutes} minutes.` : ""}</p>
      {due && permit.status === "ACTIVE" ? <p class="due">Next test due by {when(due, permit.timezone)}</p> : null}
      <Alert kind={result.includes("FAILED") ? "error" : "ok"}>{result}</Alert>
      {readings === null ? <Spinner label="Loading the gas tests" /> : readings.length === 0 ? <Empty>No gas test yet.</Empty> : (
        <ol class="readings" aria-label="Gas tests, oldest first">
          {readings.map((r) => (
            <li key={r.id} class={r.passed ? "pass" : "fail"}>
              <p><strong>{r.passed ? "Pass" : "FAIL"}</strong> · {when(r.takenAt, permit.timezone)} · {r.tester.name}
                <span class="help"> · {r.instrumentId}{r.location ? ` · ${r.location}` : ""}</span></p>
              <p class="values">{(r.values as { gas: string; name: string; unit: string; value: number; pass: boolean }[]).map((v) => (
                <span key={v.gas} class={v.pass ? "" : "fail"}>{v.name} {v.value} {v.unit}{v.pass ? "" : " ✗"}</span>))}</p>
            </li>
          ))}
        </ol>
      )}
      {mayRecord && !open ? <button type="button" class="primary" onClick={() => { setOpen(true); setResult(""); }}>Record a gas test</button> : null}
      {mayRecord && open ? (
        <form class="subform" noValidate aria-label="Record a gas test" onSubmit={(e) => { e.preventDefault(); void record(e.currentTarget); }}>
          <Alert>{error}</Alert>
          {spec.gases.map((g) => (
            <TextInput key={g.key} name={`gas-${g.key}`} label={`${g.name} (${g.unit})`} help={`Limit: ${limits(g)}`}
              type="text" inputMode="decimal" required={g.initialTest !== false} error={fields[`values.${g.key}`]} />
          ))}
          <TextInput name="instrumentId" label="Instrument id" required error={fields.instrumentId} />
          <TextInput name="calibrationDue" label="Calibration due" type="date" required error={fields.calibrationDue}
            help="The date on the instrument's calibration label" />
          <TextInput name="location" label="Where it was taken (optional)" error={fields.location} />
          <div class="buttons">
            <button type="submit" class="primary" disabled={busy}>Save the reading</button>
            <button type="button" class="secondary" onClick={() => setOpen(false)}>Back</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

// -- isolations -------------------------------------------------------------------------------------
type PointAction = "isolate" | "verify" | "lock" | "deisolate";
const POINT_ACTION_WORDS: Record<PointAction, string> = {
  isolate: "Record isolated", verify: "Verify (try / test)", lock: "Add a personal lock", deisolate: "Remove the isolation",
};

function PointForm({ cert, point, action, onDone, onClose }: {
  cert: Certificate; point: CertPoint; action: PointAction; onDone(c: Certificate): void; onClose(): void;
}) {
  const { fields, error, busy, send } = useSend();
  const path = { params: { path: { certificate_id: cert.id, point_id: point.pointId } }, headers: idem() };
  async function submit(form: HTMLFormElement) {
    const answer = await send((): Promise<Certificate> => {
      if (action === "isolate") {
        return unwrap(api.POST("/api/v1/isolation-certificates/{certificate_id}/points/{point_id}/isolate",
          { ...path, body: { lockNumber: value(form, "lockNumber"), tagNumber: value(form, "tagNumber") } }));
      }
      if (action === "verify") {
        return unwrap(api.POST("/api/v1/isolation-certificates/{certificate_id}/points/{point_id}/verify",
          { ...path, body: { method: value(form, "method") } }));
      }
      if (action === "lock") {
        return unwrap(api.POST("/api/v1/isolation-certificates/{certificate_id}/points/{point_id}/locks",
          { ...path, body: { workerName: value(form, "workerName"), lockNumber: value(form, "lockNumber") } }));
      }
      return unwrap(api.POST("/api/v1/isolation-certificates/{certificate_id}/points/{point_id}/deisolate", path));
    });
    if (answer) onDone(answer);
  }
  return (
    <form class="subform" noValidate aria-label={`${POINT_ACTION_WORDS[action]}: ${point.tag}`}
      onSubmit={(e) => { e.preventDefault(); void submit(e.currentTarget); }}>
      <Alert>{error}</Alert>
      {action === "isolate" ? <>
        <p class="help">{point.method}</p>
        <TextInput name="lockNumber" label="Lock number" required error={fields.lockNumber} />
        <TextInput name="tagNumber" label="Tag number" required error={fields.tagNumber} />
      </> : null}
      {action === "verify" ? (
        <div class={`field${fields.method ? " has-error" : ""}`}>
          <label for="f-method">How it was tried and tested, and the result<span class="req" aria-hidden="true"> *</span></label>
          <p class="help" id="f-method-help">{point.verification}</p>
          <textarea id="f-method" name="method" rows={2} aria-invalid={fields.method ? "true" : undefined}
            aria-describedby={fields.method ? "f-method-error" : "f-method-help"} />
          <ErrorText id="f-method-error" message={fields.method} />
        </div>
      ) : null}
      {action === "lock" ? <>
        <TextInput name="workerName" label="Worker's name" required error={fields.workerName} />
        <TextInput name="lockNumber" label="Personal lock number" required error={fields.lockNumber} />
      </> : null}
      {action === "deisolate" ? <p>Energy comes back to {point.tag}. Only when the work it protects is over.</p> : null}
      <div class="buttons">
        <button type="submit" class={action === "deisolate" ? "danger" : "primary"} disabled={busy}>{POINT_ACTION_WORDS[action]}</button>
        <button type="button" class="secondary" onClick={onClose}>Back</button>
      </div>
    </form>
  );
}

function CertificateView({ permit, cert, onChanged }: { permit: Permit; cert: Certificate; onChanged(c: Certificate): void }) {
  const { me } = useSession();
  const [form, setForm] = useState<{ point: string; action: PointAction } | null>(null);
  const { error, busy, send } = useSend();
  const authority = me.role === "COORDINATOR" || me.role === "ISSUER";
  const tz = permit.timezone;

  async function approve() {
    const answer = await send(() => unwrap(api.POST("/api/v1/isolation-certificates/{certificate_id}/approve",
      { params: { path: { certificate_id: cert.id } }, headers: idem() })));
    if (answer) onChanged(answer);
  }
  async function removeLock(point: CertPoint, lockId: string) {
    const answer = await send(() => unwrap(api.POST(
      "/api/v1/isolation-certificates/{certificate_id}/points/{point_id}/locks/{lock_id}/remove",
      { params: { path: { certificate_id: cert.id, point_id: point.pointId, lock_id: lockId } }, headers: idem() })));
    if (answer) onChanged(answer);
  }

  const actionsFor = (p: CertPoint): PointAction[] => {
    const out: PointAction[] = [];
    if (authority && cert.status === "APPROVED" && (p.state === "PLANNED" || p.state === "REMOVED")) out.push("isolate");
    if (authority && p.state === "ISOLATED" && p.isolatedBy?.id !== me.id) out.push("verify");
    if (me.role !== "SUPER_ADMIN" && (p.state === "ISOLATED" || p.state === "VERIFIED")) out.push("lock");
    const workOver = cert.permits.every((x) => ["PENDING_CLOSEOUT", "CLOSED", "CANCELLED"].includes(x.status));
    if (authority && workOver && (p.state === "ISOLATED" || p.state === "VERIFIED")) out.push("deisolate");
    return out;
  };

  return (
    <article class="certificate" aria-label={`Isolation certificate ${cert.title}`}>
      <h3>{cert.title}</h3>
      <p><span class={`badge tone-${cert.status === "APPROVED" ? "green" : "amber"}`}>
        {cert.status === "APPROVED" ? "Approved" : "Waiting for approval"}</span>
        {cert.approvedBy ? <span class="help"> by {cert.approvedBy.name}, {when(cert.approvedAt!, tz)}</span>
          : <span class="help"> prepared by {cert.preparedBy?.name}</span>}</p>
      {cert.permits.length > 1 ? <p class="help">Also protects: {cert.permits.filter((p) => p.id !== permit.id)
        .map((p) => `${p.number ?? p.title} (${p.status})`).join(", ")}</p> : null}
      <Alert>{error}</Alert>
      {authority && cert.status !== "APPROVED" && cert.preparedBy?.id !== me.id ? (
        <button type="button" class="primary" disabled={busy} onClick={() => void approve()}>Approve the certificate</button>) : null}
      <ul class="points">
        {cert.points.map((p) => (
          <li key={p.pointId} data-state={p.state}>
            <p><strong>{p.tag}</strong> · {p.description} <span class="help">({ENERGY[p.energyType] ?? p.energyType}, {p.equipment})</span></p>
            <p class={`point-state state-${p.state.toLowerCase()}`}>{POINT_STATE[p.state]}</p>
            {p.isolatedAt ? <p class="help">Isolated by {p.isolatedBy?.name}, {when(p.isolatedAt, tz)} · lock {p.lockNumber}, tag {p.tagNumber}</p> : null}
            {p.verifiedAt ? <p class="help">Verified by {p.verifiedBy?.name}, {when(p.verifiedAt, tz)}: {p.verificationNote}</p> : null}
            {p.removedAt ? <p class="help">Removed by {p.removedBy?.name}, {when(p.removedAt, tz)}</p> : null}
            {p.locks.length ? (
              <ul class="plain locks">{p.locks.map((lock) => (
                <li key={lock.id}>Personal lock {lock.lockNumber}: {lock.workerName}
                  {lock.removedAt ? <span class="help"> (off {when(lock.removedAt, tz)})</span> : (
                    <button type="button" class="link" disabled={busy} onClick={() => void removeLock(p, lock.id)}>Take off</button>)}
                </li>))}</ul>) : null}
            {form?.point === p.pointId ? (
              <PointForm cert={cert} point={p} action={form.action} onClose={() => setForm(null)}
                onDone={(c) => { setForm(null); onChanged(c); }} />
            ) : (
              <div class="buttons">{actionsFor(p).map((a) => (
                <button key={a} type="button" class={a === "deisolate" ? "danger" : "secondary"}
                  onClick={() => setForm({ point: p.pointId, action: a })}>{POINT_ACTION_WORDS[a]}</button>))}
              </div>
            )}
          </li>
        ))}
      </ul>
    </article>
  );
}

function PrepareCertificate({ permit, onDone, onClose }: { permit: Permit; onDone(): void; onClose(): void }) {
  const [library, setLibrary] = useState<Point[] | null>(null);
  const { fields, error, busy, send } = useSend();
  useEffect(() => {
    void unwrap(api.GET("/api/v1/isolation-points", { params: { query: { projectId: permit.projectId } } }))
      .then(setLibrary).catch(() => setLibrary([]));
  }, [permit.projectId]);
  async function submit(form: HTMLFormElement) {
    const chosen = [...form.querySelectorAll<HTMLInputElement>("input[name=point]:checked")].map((i) => i.value);
    if (await send(() => unwrap(api.POST("/api/v1/isolation-certificates", { headers: idem(), body: {
      projectId: permit.projectId, title: value(form, "title"), pointIds: chosen, permitIds: [permit.id] } })))) onDone();
  }
  return (
    <form class="subform" noValidate aria-label="Prepare an isolation certificate" onSubmit={(e) => { e.preventDefault(); void submit(e.currentTarget); }}>
      <Alert>{error}</Alert>
      <TextInput name="title" label="Certificate title" required error={fields.title} defaultValue={`Isolations for ${permit.number ?? permit.title}`} />
      <fieldset class={`field${fields.pointIds ? " has-error" : ""}`}>
        <legend>Points this job needs<span class="req" aria-hidden="true"> *</span></legend>
        {library === null ? <Spinner label="Loading the library" /> : library.length === 0 ? <Empty>The project's library has no points yet.</Empty>
          : library.map((p) => (
            <label class="check" key={p.id}><input type="checkbox" name="point" value={p.id} />
              <span><strong>{p.tag}</strong> · {p.description} <span class="help">({ENERGY[p.energyType]})</span></span></label>
          ))}
        <ErrorText id="f-pointIds-error" message={fields.pointIds} />
      </fieldset>
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>Prepare the certificate</button>
        <button type="button" class="secondary" onClick={onClose}>Back</button>
      </div>
    </form>
  );
}

export function IsolationsCard({ permit, onChanged }: { permit: Permit; onChanged(): void }) {
  const { me } = useSession();
  const [certs, setCerts] = useState<Certificate[] | null>(null);
  const [preparing, setPreparing] = useState(false);
  const path = { params: { path: { permit_id: permit.id } } };
  const load = async () => setCerts(await unwrap(api.GET("/api/v1/permits/{permit_id}/isolations", path)).catch(() => []));
  useEffect(() => { void load(); }, [permit.id, permit.version]);
  if (!permit.isolationRequired && certs !== null && certs.length === 0 && me.role === "RECEIVER") return null;
  const authority = (me.role === "COORDINATOR" || me.role === "ISSUER") && !["CLOSED", "CANCELLED"].includes(permit.status);
  return (
    <section class="card" aria-labelledby="h-isolations">
      <h2 id="h-isolations">Isolations</h2>
      {permit.isolationRequired ? <p class="help">Work starts only when every point is isolated and verified by a second person.</p> : null}
      {certs === null ? <Spinner label="Loading the isolations" /> : certs.length === 0 ? <Empty>No isolation certificate yet.</Empty>
        : certs.map((c) => <CertificateView key={c.id} permit={permit} cert={c}
          onChanged={(changed) => { setCerts(certs.map((x) => (x.id === changed.id ? changed : x))); onChanged(); }} />)}
      {authority && !preparing ? <button type="button" class="secondary" onClick={() => setPreparing(true)}>Prepare a certificate</button> : null}
      {preparing ? <PrepareCertificate permit={permit} onClose={() => setPreparing(false)}
        onDone={() => { setPreparing(false); void load(); onChanged(); }} /> : null}
    </section>
  );
}

// -- the library ------------------------------------------------------------------------------------
export function IsolationLibrary() {
  const { me, project } = useSession();
  const projects = me.projects.filter((p) => p.isActive);
  const [projectId, setProjectId] = useState(project?.id ?? projects[0]?.id ?? "");
  const [points, setPoints] = useState<Point[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState("");
  const { fields, error, busy, send } = useSend();
  const authority = me.role === "COORDINATOR" || me.role === "ISSUER";
  const load = async () => setPoints(projectId ? await unwrap(api.GET("/api/v1/isolation-points",
    { params: { query: { projectId } } })).catch(() => []) : []);
  useEffect(() => { setPoints(null); void load(); }, [projectId]);

  async function add(form: HTMLFormElement) {
    const body = { projectId, tag: value(form, "tag"), description: value(form, "description"),
      equipment: value(form, "equipment"), energyType: value(form, "energyType") as Point["energyType"] as never,
      method: value(form, "method"), verification: value(form, "verification") };
    if (await send(() => unwrap(api.POST("/api/v1/isolation-points", { headers: idem(), body })))) {
      setAdding(false);
      setNotice(`Added ${body.tag}.`);
      await load();
    }
  }
  return (
    <main id="main">
      <h1>Isolation points</h1>
      <div class="field">
        <label for="f-library-project">Show the library of</label>
        <select id="f-library-project" value={projectId} onChange={(e) => setProjectId(e.currentTarget.value)}>
          {projects.map((p) => <option value={p.id} key={p.id}>{p.code} · {p.name}</option>)}
        </select>
      </div>
      <Alert kind="ok">{notice}</Alert>
      {authority && !adding ? <button type="button" class="primary" onClick={() => { setAdding(true); setNotice(""); }}>Add a point</button> : null}
      {adding ? (
        <form class="subform card" noValidate aria-label="Add an isolation point" onSubmit={(e) => { e.preventDefault(); void add(e.currentTarget); }}>
          <Alert>{error}</Alert>
          <TextInput name="tag" label="Tag" required error={fields.tag} help="As on the equipment, e.g. MCC-2-F07" />
          <TextInput name="description" label="Description" required error={fields.description} />
          <TextInput name="equipment" label="Equipment" required error={fields.equipment} />
          <div class={`field${fields.energyType ? " has-error" : ""}`}>
            <label for="f-energyType">Energy type<span class="req" aria-hidden="true"> *</span></label>
            <select id="f-energyType" name="energyType">{Object.entries(ENERGY).map(([k, v]) => <option key={k} value={k}>{v}</option>)}</select>
            <ErrorText id="f-energyType-error" message={fields.energyType} />
          </div>
          <TextInput name="method" label="How it is isolated" required error={fields.method} />
          <TextInput name="verification" label="How the isolation is proven (try / test)" required error={fields.verification} />
          <div class="buttons">
            <button type="submit" class="primary" disabled={busy}>Add the point</button>
            <button type="button" class="secondary" onClick={() => setAdding(false)}>Back</button>
          </div>
        </form>
      ) : null}
      {points === null ? <Spinner label="Loading the points" /> : points.length === 0 ? <Empty>No isolation points in this project yet.</Empty> : (
        <ul class="cards">
          {points.map((p) => (
            <li class="card" key={p.id}>
              <p><strong>{p.tag}</strong> · {ENERGY[p.energyType] ?? p.energyType}</p>
              <p>{p.description} <span class="help">({p.equipment})</span></p>
              <p class="help">Isolate: {p.method}</p>
              <p class="help">Prove: {p.verification}</p>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
