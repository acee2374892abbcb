// The site: the plan with each work area coloured by its most severe live permit (the board), the areas
// and their permits as a list; for coordinators and administrators also the plan upload, the areas
// themselves (added, nested, placed on the plan by tapping) and the SIMOPS matrix.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, newKey, unwrap, type Schemas } from "../api/client";
import { messageOf } from "../api/errors";
import { Alert, Empty, ErrorText, Link, Spinner, StateBadge, TextInput } from "../components/ui";
import { typeName } from "../lib/format";
import { useSend } from "../lib/send";
import { useSession } from "../lib/session";
import { areaChoices } from "./NewPermit";

type Board = Schemas["BoardOut"];
type BoardArea = Board["areas"][number];
type MatrixEntry = Schemas["MatrixEntry"];
type Shape = { type: "pin"; x: number; y: number } | { type: "polygon"; points: [number, number][] };

const COLOURS: Record<string, { fill: string; stroke: string; words: string }> = {
  red: { fill: "#fca5a5", stroke: "#b91c1c", words: "work stopped" },
  amber: { fill: "#fcd34d", stroke: "#b45309", words: "work going on" },
  blue: { fill: "#93c5fd", stroke: "#1d4ed8", words: "approved, not active" },
  grey: { fill: "#d1d5db", stroke: "#4b5563", words: "waiting for approval or close-out" },
  none: { fill: "none", stroke: "#6b7280", words: "no live permit" },
};
const VERDICTS = { BLOCK: "Not allowed together", WARN: "Allowed with an acknowledgement", ALLOW: "Allowed" };
const WIDTH = 1000;

function PlanView({ board, placing, onTap }: {
  board: Board; placing: Shape | null; onTap?(x: number, y: number): void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const plan = board.plan;
  const height = plan ? Math.round((WIDTH * plan.height) / plan.width) : 700;
  const point = (x: number, y: number) => `${Math.round(x * WIDTH)},${Math.round(y * height)}`;
  function tap(e: MouseEvent) {
    if (!onTap || !svg.current) return;
    const box = svg.current.getBoundingClientRect();
    onTap(Math.min(1, Math.max(0, (e.clientX - box.left) / box.width)), Math.min(1, Math.max(0, (e.clientY - box.top) / box.height)));
  }
  const drawn = (shape: Shape, colour: { fill: string; stroke: string }, label: string, key: string) =>
    shape.type === "pin" ? (
      <g key={key}>
        <circle cx={shape.x * WIDTH} cy={shape.y * height} r={16} fill={colour.fill === "none" ? "#fff" : colour.fill}
          stroke={colour.stroke} stroke-width={4} />
        <text x={shape.x * WIDTH + 22} y={shape.y * height + 7} class="plan-label">{label}</text>
      </g>
    ) : (
      <g key={key}>
        <polygon points={shape.points.map(([x, y]) => point(x, y)).join(" ")} fill={colour.fill}
          fill-opacity={colour.fill === "none" ? 0 : 0.55} stroke={colour.stroke} stroke-width={4} />
        <text x={shape.points[0]![0] * WIDTH + 10} y={shape.points[0]![1] * height + 30} class="plan-label">{label}</text>
      </g>
    );
  return (
    <svg ref={svg} class={`plan${onTap ? " placing" : ""}`} viewBox={`0 0 ${WIDTH} ${height}`} role="img"
      aria-label="Site plan with the work areas coloured by their permits" onClick={(e) => tap(e as unknown as MouseEvent)}>
      {plan ? <image href={plan.url} x={0} y={0} width={WIDTH} height={height} /> : (
        <rect x={0} y={0} width={WIDTH} height={height} fill="#f9fafb" stroke="#d1d5db" />)}
      {board.areas.filter((a) => a.shape).map((a) =>
        drawn(a.shape as Shape, COLOURS[a.colour] ?? COLOURS.none!, a.code, a.id))}
      {placing ? (placing.type === "polygon" && placing.points.length < 3
        ? placing.points.map(([x, y], i) => <circle key={i} cx={x * WIDTH} cy={y * height} r={8} fill="#111827" />)
        : drawn(placing, { fill: "#c4b5fd", stroke: "#6d28d9" }, "new", "placing")) : null}
    </svg>
  );
}

function AreaList({ areas }: { areas: BoardArea[] }) {
  const choices = areaChoices(areas);
  const byId = new Map(areas.map((a) => [a.id, a]));
  return (
    <ul class="areas" aria-label="Work areas">
      {choices.map(({ id, label }) => {
        const area = byId.get(id)!;
        const colour = COLOURS[area.colour] ?? COLOURS.none!;
        return (
          <li key={id} data-colour={area.colour}>
            <span class="swatch" style={{ background: colour.fill === "none" ? "#fff" : colour.fill, borderColor: colour.stroke }} aria-hidden="true" />
            <span><strong>{label}</strong> <span class="help">({colour.words})</span>
              {area.permits.length ? (
                <ul class="plain">{area.permits.map((p) => (
                  <li key={p.id}><Link to={`/permits/${p.id}`}>{p.number ?? p.title}</Link> · {typeName(p.type)} <StateBadge status={p.status} /></li>
                ))}</ul>) : null}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Manage({ projectId, board, onChanged, placeId, setPlaceId, setPlacing }: {
  projectId: string; board: Board; onChanged(): void; placeId: string; setPlaceId(id: string): void;
  setPlacing(s: Shape | null): void;
}) {
  const { fields, error, busy, send } = useSend();
  const [notice, setNotice] = useState("");
  const choices = areaChoices(board.areas);
  function startPlacing(shape: Shape) {
    setPlacing(shape);
    document.querySelector("svg.plan")?.scrollIntoView({ block: "center" });  // the plan is where one taps
  }

  async function addArea(form: HTMLFormElement) {
    const get = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim();
    const made = await send(() => unwrap(api.POST("/api/v1/work-areas", { headers: { "Idempotency-Key": newKey() },
      body: { projectId, code: get("code"), name: get("name"), parentId: get("parentId") || null } })));
    if (made) { setNotice(`Added ${made.name}.`); form.reset(); onChanged(); }
  }
  async function uploadPlan(input: HTMLInputElement) {
    const file = input.files?.[0];
    if (!file) return;
    const done = await send(async () => {
      const type = file.type === "image/jpeg" ? "image/jpeg" : "image/png";
      const ticket = await unwrap(api.POST("/api/v1/site-plans/{project_id}/upload-url", {
        params: { path: { project_id: projectId } }, body: { contentType: type, size: file.size } }));
      const put = await fetch(ticket.url, { method: "PUT", headers: ticket.headers, body: file });
      if (!put.ok) throw new Error(`The storage refused the upload (${put.status}).`);
      return unwrap(api.POST("/api/v1/site-plans/{project_id}/confirm", { params: { path: { project_id: projectId } },
        headers: { "Idempotency-Key": newKey() }, body: { key: ticket.key } }));
    });
    if (done) { setNotice("The site plan is updated."); onChanged(); }
  }
  return (
    <section class="card" aria-labelledby="h-manage">
      <h2 id="h-manage">Areas and plan</h2>
      <Alert>{error}</Alert>
      <Alert kind="ok">{notice}</Alert>
      <div class="field">
        <label for="f-plan">Site plan image (PNG or JPEG)</label>
        <input id="f-plan" type="file" accept="image/png,image/jpeg" disabled={busy}
          onChange={(e) => void uploadPlan(e.currentTarget)} />
        <ErrorText id="f-plan-error" message={fields.file ?? fields.size ?? fields.contentType} />
      </div>
      <form class="subform" noValidate aria-label="Add a work area" onSubmit={(e) => { e.preventDefault(); void addArea(e.currentTarget); }}>
        <h3>Add a work area</h3>
        <TextInput name="code" label="Code" required error={fields.code} help="Short, as on site signs: TWR-L12" />
        <TextInput name="name" label="Name" required error={fields.name} />
        <div class="field">
          <label for="f-parentId">Inside (optional)</label>
          <select id="f-parentId" name="parentId"><option value="">Not inside another area</option>
            {choices.map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}</select>
          <ErrorText id="f-parentId-error" message={fields.parentId} />
        </div>
        <button type="submit" class="primary" disabled={busy}>Add the area</button>
      </form>
      <div class="subform">
        <h3>Place an area on the plan</h3>
        <div class="field">
          <label for="f-place">Area</label>
          <select id="f-place" value={placeId} onChange={(e) => setPlaceId(e.currentTarget.value)}>
            <option value="">Choose an area</option>
            {choices.map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}
          </select>
        </div>
        {placeId ? (
          <div class="buttons">
            <button type="button" class="secondary" onClick={() => startPlacing({ type: "pin", x: 0.5, y: 0.5 })}>As a pin</button>
            <button type="button" class="secondary" onClick={() => startPlacing({ type: "polygon", points: [] })}>As an outline</button>
          </div>
        ) : null}
      </div>
    </section>
  );
}

function Matrix({ projectId, editable }: { projectId: string; editable: boolean }) {
  const [rows, setRows] = useState<MatrixEntry[] | null>(null);
  const [notice, setNotice] = useState("");
  const { error, busy, send } = useSend();
  useEffect(() => {
    void unwrap(api.GET("/api/v1/simops-matrix/{project_id}", { params: { path: { project_id: projectId } } }))
      .then(setRows).catch(() => setRows([]));
  }, [projectId]);
  if (!rows) return <Spinner label="Loading the SIMOPS rules" />;
  async function save(form: HTMLFormElement) {
    const rules = rows!.map((r) => ({ typeA: r.typeA, typeB: r.typeB,
      verdict: (form.elements.namedItem(`v-${r.typeA}-${r.typeB}`) as HTMLSelectElement).value })) as never;
    const saved = await send(() => unwrap(api.PUT("/api/v1/simops-matrix/{project_id}", {
      params: { path: { project_id: projectId } }, headers: { "Idempotency-Key": newKey() }, body: { rules } })));
    if (saved) { setRows(saved); setNotice("The SIMOPS rules are saved."); }
  }
  return (
    <section class="card" aria-labelledby="h-matrix">
      <h2 id="h-matrix">SIMOPS rules</h2>
      <p class="help">What two permits in the same area at the same time mean, by type.</p>
      <Alert>{error}</Alert>
      <Alert kind="ok">{notice}</Alert>
      <form noValidate onSubmit={(e) => { e.preventDefault(); void save(e.currentTarget); }}>
        <ul class="plain matrix">
          {rows.map((r) => {
            const id = `v-${r.typeA}-${r.typeB}`;
            return (
              <li key={id} class="field">
                <label for={id}>{typeName(r.typeA)} with {typeName(r.typeB)}</label>
                {editable ? (
                  <select id={id} name={id} defaultValue={r.verdict}>
                    {Object.entries(VERDICTS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                  </select>
                ) : <p id={id}>{VERDICTS[r.verdict as keyof typeof VERDICTS]}</p>}
              </li>
            );
          })}
        </ul>
        {editable ? <button type="submit" class="primary" disabled={busy}>Save the rules</button> : null}
      </form>
    </section>
  );
}

export function Site() {
  const { me, project } = useSession();
  const projects = me.projects.filter((p) => p.isActive);
  const [projectId, setProjectId] = useState(project?.id ?? projects[0]?.id ?? "");
  const [board, setBoard] = useState<Board | null>(null);
  const [error, setError] = useState("");
  const [placing, setPlacing] = useState<Shape | null>(null);
  const [placeId, setPlaceId] = useState("");
  const place = useSend();
  const [notice, setNotice] = useState("");
  const manager = me.role === "COORDINATOR" || me.role === "SUPER_ADMIN";
  async function load() {
    try {
      setBoard(await unwrap(api.GET("/api/v1/work-areas/board", { params: { query: { projectId } } })));
      setError("");
    } catch (e) { setError(messageOf(e)); }
  }
  useEffect(() => { setBoard(null); setPlacing(null); if (projectId) void load(); }, [projectId]);

  async function savePlace() {
    if (!placeId || !placing) return;
    const saved = await place.send(() => unwrap(api.PATCH("/api/v1/work-areas/{area_id}", {
      params: { path: { area_id: placeId } }, body: { shape: placing as never } })));
    if (saved) { setNotice(`${saved.name} is on the plan.`); setPlacing(null); setPlaceId(""); void load(); }
  }
  function tap(x: number, y: number) {
    if (!placing) return;
    setPlacing(placing.type === "pin" ? { type: "pin", x, y } : { type: "polygon", points: [...placing.points, [x, y]] });
  }
  return (
    <main id="main">
      <h1>Site</h1>
      <div class="field">
        <label for="f-site-project">Show the site of</label>
        <select id="f-site-project" value={projectId} onChange={(e) => setProjectId(e.currentTarget.value)}>
          {projects.map((p) => <option value={p.id} key={p.id}>{p.code} · {p.name}</option>)}
        </select>
      </div>
      <Alert>{error}</Alert>
      {!board ? <Spinner label="Loading the site" /> : <>
        <PlanView board={board} placing={placing} {...(placing ? { onTap: tap } : {})} />
        <Alert kind="ok">{notice}</Alert>
        {placing ? (
          <div class="placing-bar" role="group" aria-label="Placing an area on the plan">
            <Alert>{place.error}</Alert>
            <p>{placing.type === "polygon" ? `Tap the corners on the plan (${placing.points.length} so far; at least 3).`
              : "Tap the plan where the area is."}</p>
            <div class="buttons">
              <button type="button" class="primary" onClick={() => void savePlace()}
                disabled={place.busy || (placing.type === "polygon" && placing.points.length < 3)}>Save the place</button>
              <button type="button" class="secondary" onClick={() => setPlacing(null)}>Cancel</button>
            </div>
          </div>
        ) : null}
        <p class="legend">{Object.entries(COLOURS).map(([k, c]) => (
          <span key={k}><span class="swatch" style={{ background: c.fill === "none" ? "#fff" : c.fill, borderColor: c.stroke }} aria-hidden="true" />{c.words}</span>))}</p>
        {board.conflicts.length ? (
          <section class="card conflicts" aria-labelledby="h-site-conflicts">
            <h2 id="h-site-conflicts">Work in the same place at the same time</h2>
            <ul class="plain">{board.conflicts.map((c) => (
              <li key={c.permits.map((p) => p.id).join("-")} class="conflict">
                <span class={`badge tone-${c.verdict === "BLOCK" ? "red" : "amber"}`}>{c.verdict === "BLOCK" ? "Not allowed together" : "Needs care"}</span>{" "}
                {c.permits.map((p, i) => <span key={p.id}>{i ? " and " : ""}<Link to={`/permits/${p.id}`}>{p.number ?? p.title}</Link> ({typeName(p.type)})</span>)}
                <span class="help"> · {c.acknowledged ? "acknowledged" : "not acknowledged yet"}</span>
              </li>))}
            </ul>
          </section>
        ) : null}
        {board.areas.length === 0 ? <Empty>No work areas in this project yet.</Empty> : <AreaList areas={board.areas} />}
        {manager ? <Manage projectId={projectId} board={board} onChanged={() => void load()} placeId={placeId}
          setPlaceId={(id) => { setPlaceId(id); setPlacing(null); }} setPlacing={setPlacing} /> : null}
        <Matrix projectId={projectId} editable={manager} key={projectId} />
      </>}
    </main>
  );
}
