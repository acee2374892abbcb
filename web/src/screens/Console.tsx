// The coordinator's and administrator's console, on a desktop as on a tablet: people, projects, the live
// board of what is on site now (updated over the live stream), and operations (emails that failed every
// retry, a permit's audit chain and its timeline). Only what the server allows is offered; its refusals
// are shown in its words.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, newKey, unwrap, unwrapPage, type PermitSummary, type Schemas } from "../api/client";
import { messageOf } from "../api/errors";
import { Alert, Empty, ErrorText, Link, Spinner, TextInput } from "../components/ui";
import { csv, STATES, typeName, when } from "../lib/format";
import { useSend } from "../lib/send";
import { ROLE_WORDS, useSession } from "../lib/session";

type User = Schemas["UserOut"];
type Project = Schemas["ProjectOut"];
type Member = Schemas["MemberOut"];
const idem = () => ({ "Idempotency-Key": newKey() });
const value = (form: HTMLFormElement, name: string) =>
  ((form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? "").trim();

export function ConsoleLinks() {
  const { me } = useSession();
  if (me.role !== "COORDINATOR" && me.role !== "SUPER_ADMIN") return null;
  return (
    <section class="card console-links" aria-labelledby="h-console">
      <h2 id="h-console">Console</h2>
      <ul class="plain link-grid">
        <li><Link to="/board" class="button secondary">Live board</Link></li>
        <li><Link to="/users" class="button secondary">People</Link></li>
        <li><Link to="/projects" class="button secondary">Projects</Link></li>
        <li><Link to="/competencies" class="button secondary">Competencies</Link></li>
        <li><Link to="/templates" class="button secondary">Templates</Link></li>
        <li><Link to="/analytics" class="button secondary">Analytics</Link></li>
        <li><Link to="/operations" class="button secondary">Operations</Link></li>
      </ul>
    </section>
  );
}

// -- people -------------------------------------------------------------------------------------------
const INVITABLE: Record<string, string[]> = {
  SUPER_ADMIN: ["COORDINATOR", "ISSUER", "RECEIVER"], COORDINATOR: ["ISSUER", "RECEIVER"], ISSUER: ["RECEIVER"],
};

export function Users() {
  const { me } = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [projects, setProjects] = useState<Project[]>([]);
  const [filter, setFilter] = useState<{ q: string; role: string; active: string }>({ q: "", role: "", active: "" });
  const [done, setDone] = useState("");
  const [error, setError] = useState("");
  const invite = useSend();
  async function load() {
    const query: Record<string, unknown> = { limit: 100 };
    if (filter.q) query.q = filter.q;
    if (filter.role) query.role = filter.role;
    if (filter.active) query.active = filter.active === "yes";
    try {
      setUsers((await unwrapPage(api.GET("/api/v1/users", { params: { query: query as never } }))).data);
    } catch (e) {
      setError(messageOf(e));
    }
  }
  useEffect(() => { void load(); }, [filter]);
  useEffect(() => { void unwrap(api.GET("/api/v1/projects")).then(setProjects).catch(() => undefined); }, []);

  async function change(user: User, body: Record<string, unknown>, words: string) {
    setError(""); setDone("");
    try {
      await unwrap(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: user.id } }, body: body as never }));
      setDone(words);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  }
  async function sendInvite(form: HTMLFormElement) {
    const projectIds = Array.from((form.elements.namedItem("projectIds") as HTMLSelectElement).selectedOptions)
      .map((o) => o.value);
    const body = { email: value(form, "email"), name: value(form, "name"), role: value(form, "role") || null, projectIds };
    const made = await invite.send(() => unwrap(api.POST("/api/v1/users", { headers: idem(), body: body as never })));
    if (made) { setDone(`Invitation sent to ${made.email}.`); form.reset(); await load(); }
  }

  return (
    <main id="main" class="console">
      <h1>People</h1>
      <Alert kind="ok">{done}</Alert>
      <Alert>{error}</Alert>
      <form class="filters" aria-label="Find people" onSubmit={(e) => { e.preventDefault(); const f = e.currentTarget;
        setFilter({ q: value(f, "q"), role: value(f, "role"), active: value(f, "active") }); }}>
        <TextInput name="q" label="Name or email" />
        <div class="field"><label for="f-role-filter">Role</label>
          <select id="f-role-filter" name="role"><option value="">Any role</option>
            {Object.entries(ROLE_WORDS).map(([k, w]) => <option key={k} value={k}>{w}</option>)}</select></div>
        <div class="field"><label for="f-active">Status</label>
          <select id="f-active" name="active"><option value="">Active or not</option><option value="yes">Active</option>
            <option value="no">Deactivated</option></select></div>
        <button type="submit" class="secondary">Find</button>
      </form>
      {users === null ? <Spinner label="Loading people" /> : users.length === 0 ? <Empty>Nobody matches.</Empty> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="People">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
            <tbody>{users.map((u) => (
              <tr key={u.id}>
                <th scope="row">{u.name}</th><td>{u.email}</td>
                <td>{me.role === "SUPER_ADMIN" && u.id !== me.id ? (
                  <select aria-label={`Role of ${u.name}`} value={u.role}
                    onChange={(e) => void change(u, { role: e.currentTarget.value }, `${u.name} is now ${ROLE_WORDS[e.currentTarget.value]}.`)}>
                    {Object.entries(ROLE_WORDS).map(([k, w]) => <option key={k} value={k}>{w}</option>)}</select>)
                  : ROLE_WORDS[u.role] ?? u.role}</td>
                <td>{u.isActive ? (u.hasPassword ? "Active" : "Invited") : "Deactivated"}</td>
                <td>{u.id !== me.id ? (u.isActive
                  ? <button type="button" class="danger small" onClick={() => void change(u, { isActive: false }, `${u.name} is deactivated; their sessions ended.`)}>Deactivate</button>
                  : <button type="button" class="secondary small" onClick={() => void change(u, { isActive: true }, `${u.name} is active again.`)}>Reactivate</button>) : "You"}</td>
              </tr>))}</tbody>
          </table>
        </div>
      )}
      {INVITABLE[me.role] ? (
        <section class="card" aria-labelledby="h-invite">
          <h2 id="h-invite">Invite someone</h2>
          <form noValidate aria-label="Invite someone" onSubmit={(e) => { e.preventDefault(); void sendInvite(e.currentTarget); }}>
            <Alert>{invite.error}</Alert>
            <TextInput name="name" label="Name" required error={invite.fields.name} />
            <TextInput name="email" label="Email" type="email" required error={invite.fields.email} />
            <div class={`field${invite.fields.role ? " has-error" : ""}`}><label for="f-invite-role">Role<span class="req" aria-hidden="true"> *</span></label>
              <select id="f-invite-role" name="role"><option value="">Choose a role</option>
                {INVITABLE[me.role]!.map((r) => <option key={r} value={r}>{ROLE_WORDS[r]}</option>)}</select>
              <ErrorText id="f-invite-role-error" message={invite.fields.role} /></div>
            <div class={`field${invite.fields.projectIds ? " has-error" : ""}`}><label for="f-projectIds">Projects</label>
              <p class="help" id="f-projectIds-help">Hold Ctrl (or ⌘) to choose several.</p>
              <select id="f-projectIds" name="projectIds" multiple size={Math.min(4, projects.length || 1)} aria-describedby="f-projectIds-help">
                {projects.map((p) => <option key={p.id} value={p.id}>{p.code} — {p.name}</option>)}</select>
              <ErrorText id="f-projectIds-error" message={invite.fields.projectIds} /></div>
            <div class="buttons"><button type="submit" class="primary" disabled={invite.busy}>Send the invitation</button></div>
          </form>
        </section>) : null}
    </main>
  );
}

// -- projects -----------------------------------------------------------------------------------------
const ZONES: string[] = ["UTC", ...((Intl as unknown as { supportedValuesOf?: (k: string) => string[] })
  .supportedValuesOf?.("timeZone") ?? ["Europe/London", "America/New_York"]).filter((z) => z !== "UTC")];

function Members({ project, everyone }: { project: Project; everyone: User[] }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const { error, busy, send } = useSend();
  const path = { params: { path: { project_id: project.id } } };
  const load = async () => setMembers(await unwrap(api.GET("/api/v1/projects/{project_id}/users", path)).catch(() => []));
  useEffect(() => { void load(); }, [project.id]);
  const outside = everyone.filter((u) => u.isActive && u.role !== "SUPER_ADMIN" && u.role !== "COORDINATOR"
    && !members?.some((m) => m.id === u.id));
  return (
    <div class="members">
      <Alert>{error}</Alert>
      {members === null ? <Spinner label="Loading the members" /> : (
        <ul class="plain">{members.map((m) => (
          <li key={m.id}>{m.name} · {ROLE_WORDS[m.role]} <span class="help">assigned {when(m.assignedAt)}{m.assignedBy ? ` by ${everyone.find((u) => u.id === m.assignedBy)?.name ?? "someone no longer listed"}` : ""}</span>{" "}
            <button type="button" class="secondary small" disabled={busy} aria-label={`Remove ${m.name} from ${project.code}`}
              onClick={() => void send(() => unwrap(api.DELETE("/api/v1/projects/{project_id}/users/{user_id}",
                { params: { path: { project_id: project.id, user_id: m.id } } }))).then(load)}>Remove</button></li>))}</ul>)}
      {outside.length ? (
        <form class="inline" aria-label={`Assign someone to ${project.code}`} onSubmit={(e) => { e.preventDefault();
          const userId = value(e.currentTarget, "userId");
          if (userId) void send(() => unwrap(api.POST("/api/v1/projects/{project_id}/users", { ...path, body: { userId } }))).then(load); }}>
          <label for={`f-assign-${project.id}`}>Assign</label>
          <select id={`f-assign-${project.id}`} name="userId"><option value="">Choose a person</option>
            {outside.map((u) => <option key={u.id} value={u.id}>{u.name} ({ROLE_WORDS[u.role]})</option>)}</select>
          <button type="submit" class="secondary small" disabled={busy}>Assign</button>
        </form>) : null}
    </div>
  );
}

export function Projects() {
  const { me } = useSession();
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [everyone, setEveryone] = useState<User[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState("");
  const create = useSend();
  const edit = useSend();
  async function load() {
    setProjects(await unwrap(api.GET("/api/v1/projects")).catch(() => []));
    setEveryone((await unwrapPage(api.GET("/api/v1/users", { params: { query: { limit: 100 } as never } }))
      .catch(() => ({ data: [] as User[] }))).data);
  }
  useEffect(() => { void load(); }, []);
  async function make(form: HTMLFormElement) {
    const body = { code: value(form, "code"), name: value(form, "name"), timezone: value(form, "timezone"),
      firstDayGraceMinutes: Number(value(form, "grace") || 60) };
    const made = await create.send(() => unwrap(api.POST("/api/v1/projects", { headers: idem(), body: body as never })));
    if (made) { setDone(`Project ${made.code} created.`); form.reset(); await load(); }
  }
  async function save(project: Project, form: HTMLFormElement) {
    const body = { name: value(form, "name"), timezone: value(form, "timezone"), isActive: value(form, "active") === "yes" };
    const saved = await edit.send(() => unwrap(api.PATCH("/api/v1/projects/{project_id}",
      { params: { path: { project_id: project.id } }, body: body as never })));
    if (saved) { setDone(`Project ${saved.code} saved.`); setOpen(null); await load(); }
  }
  const admin = me.role === "SUPER_ADMIN";
  return (
    <main id="main" class="console">
      <h1>Projects</h1>
      <Alert kind="ok">{done}</Alert>
      {projects === null ? <Spinner label="Loading the projects" /> : projects.map((p) => (
        <section class="card" key={p.id} aria-labelledby={`h-p-${p.id}`}>
          <h2 id={`h-p-${p.id}`}>{p.code} — {p.name} {p.isActive ? null : <span class="badge tone-grey">Inactive</span>}</h2>
          <p class="help">{p.timezone} · first-day grace {p.firstDayGraceMinutes} minutes</p>
          {admin && open !== p.id ? <button type="button" class="secondary small" onClick={() => setOpen(p.id)}>Edit {p.code}</button> : null}
          {open === p.id ? (
            <form noValidate aria-label={`Edit ${p.code}`} onSubmit={(e) => { e.preventDefault(); void save(p, e.currentTarget); }}>
              <Alert>{edit.error}</Alert>
              <TextInput name="name" label="Name" defaultValue={p.name} error={edit.fields.name} />
              <div class="field"><label for={`f-tz-${p.id}`}>Time zone</label>
                <select id={`f-tz-${p.id}`} name="timezone" value={p.timezone}>{ZONES.map((z) => <option key={z}>{z}</option>)}</select>
                <ErrorText id={`f-tz-${p.id}-error`} message={edit.fields.timezone} /></div>
              <div class="field"><label for={`f-active-${p.id}`}>Status</label>
                <select id={`f-active-${p.id}`} name="active" value={p.isActive ? "yes" : "no"}>
                  <option value="yes">Active: accepts new permits</option><option value="no">Inactive</option></select></div>
              <div class="buttons"><button type="submit" class="primary" disabled={edit.busy}>Save</button>
                <button type="button" class="secondary" onClick={() => setOpen(null)}>Back</button></div>
            </form>) : null}
          <h3>Members</h3>
          <Members project={p} everyone={everyone} />
        </section>
      ))}
      {admin ? (
        <section class="card" aria-labelledby="h-new-project">
          <h2 id="h-new-project">New project</h2>
          <form noValidate aria-label="New project" onSubmit={(e) => { e.preventDefault(); void make(e.currentTarget); }}>
            <Alert>{create.error}</Alert>
            <TextInput name="code" label="Code" required help="Upper case, 2–20 characters, e.g. DOCKS" error={create.fields.code} />
            <TextInput name="name" label="Name" required error={create.fields.name} />
            <div class={`field${create.fields.timezone ? " has-error" : ""}`}><label for="f-timezone">Time zone<span class="req" aria-hidden="true"> *</span></label>
              <p class="help" id="f-timezone-help">The project's deadlines and work days follow it: pick where the site is.</p>
              <select id="f-timezone" name="timezone" aria-describedby="f-timezone-help">
                <option value="">Choose the site's time zone</option>{ZONES.map((z) => <option key={z}>{z}</option>)}</select>
              <ErrorText id="f-timezone-error" message={create.fields.timezone} /></div>
            <TextInput name="grace" label="First-day grace (minutes)" type="number" defaultValue="60" error={create.fields.firstDayGraceMinutes} />
            <div class="buttons"><button type="submit" class="primary" disabled={create.busy}>Create the project</button></div>
          </form>
        </section>) : null}
    </main>
  );
}

// -- the live board -----------------------------------------------------------------------------------
const LIVE = ["ACTIVE", "SUSPENDED", "PENDING_DAILY", "APPROVED", "PENDING_CLOSEOUT"];

export function Board() {
  const [permits, setPermits] = useState<PermitSummary[] | null>(null);
  const [updated, setUpdated] = useState<string>("");
  const [error, setError] = useState("");
  const timer = useRef<number | undefined>(undefined);
  async function load() {
    try {
      const page = await unwrapPage(api.GET("/api/v1/permits", { params: { query: { status: LIVE, limit: 100 } as never } }));
      setPermits(page.data);
      setUpdated(new Date().toISOString());
      setError("");
    } catch (e) {
      setError(messageOf(e));
    }
  }
  useEffect(() => {
    void load();
    const again = () => { window.clearTimeout(timer.current); timer.current = window.setTimeout(() => void load(), 250); };
    window.addEventListener("permitto:board", again);
    const backstop = window.setInterval(() => void load(), 60_000);
    return () => { window.removeEventListener("permitto:board", again); window.clearInterval(backstop); };
  }, []);
  const projects = [...new Set((permits ?? []).map((p) => p.projectCode))].sort();
  return (
    <main id="main" class="board">
      <div class="board-head">
        <h1>Live on site</h1>
        <button type="button" class="secondary" onClick={() => void document.documentElement.requestFullscreen?.()}>Full screen</button>
      </div>
      <p class="help" aria-live="polite">{permits ? `${permits.length} live ${permits.length === 1 ? "permit" : "permits"} · updated ${when(updated)}` : ""}</p>
      <Alert>{error}</Alert>
      {permits === null ? <Spinner label="Loading the board" /> : permits.length === 0 ? <Empty>Nothing is live on site.</Empty> : (
        projects.map((code) => (
          <section key={code} class="board-project" aria-labelledby={`h-b-${code}`}>
            <h2 id={`h-b-${code}`}>{code}</h2>
            <div class="board-columns">
              {LIVE.map((state) => {
                const here = permits.filter((p) => p.projectCode === code && p.status === state);
                return (
                  <section key={state} class={`board-column tone-${STATES[state]?.tone ?? "grey"}`} aria-label={`${code}: ${STATES[state]?.words}`}>
                    <h3>{STATES[state]?.words} <span class="count" data-testid={`count-${code}-${state}`}>{here.length}</span></h3>
                    <ul class="plain">{here.map((p) => (
                      <li key={p.id} data-permit={p.id}><Link to={`/permits/${p.id}`}>{p.number ?? p.title}</Link>
                        <span class="help"> {typeName(p.type)} · {p.title}</span></li>))}</ul>
                  </section>
                );
              })}
            </div>
          </section>
        ))
      )}
    </main>
  );
}

// -- operations ---------------------------------------------------------------------------------------
type FailedEmail = Schemas["FailedEmail"];

export function Operations() {
  const { me } = useSession();
  const admin = me.role === "SUPER_ADMIN";  // failed emails carry addresses: administrators only
  const [failed, setFailed] = useState<FailedEmail[] | null>(null);
  const [done, setDone] = useState("");
  const [chain, setChain] = useState("");
  const { fields, error, busy, send } = useSend();
  const load = async () => setFailed(await unwrap(api.GET("/api/v1/notifications/admin/failed-emails")).catch(() => []));
  useEffect(() => { if (admin) void load(); }, []);

  async function check(form: HTMLFormElement) {
    setChain("");
    const number = value(form, "number");
    const found = await send(async () => {
      const page = await unwrapPage(api.GET("/api/v1/permits", { params: { query: { q: number, limit: 1 } as never } }));
      const permit = page.data.find((p) => p.number === number);
      if (!permit) throw new Error(`No permit numbered ${number}.`);
      const result = await unwrap(api.GET("/api/v1/permits/{permit_id}/audit/verify", { params: { path: { permit_id: permit.id } } }));
      const timeline = await unwrap(api.GET("/api/v1/permits/{permit_id}/timeline", { params: { path: { permit_id: permit.id } } }));
      return { permit, result, timeline };
    });
    if (!found) return;
    const { permit, result, timeline } = found;
    setChain(result.valid ? `${permit.number}: chain intact, ${result.entries} entries.`
      : `${permit.number}: the chain BREAKS at entry ${result.brokenAt} of ${result.entries}.`);
    const rows = [["seq", "at", "action", "by", "from", "to", "comment"], ...timeline.map((t) => [String(t.seq), t.at, t.action,
      t.actor?.name ?? "system", t.fromStatus ?? "", t.toStatus ?? "", t.comment ?? ""])];
    const link = document.getElementById("timeline-export") as HTMLAnchorElement;
    link.href = URL.createObjectURL(new Blob([csv(rows)], { type: "text/csv" }));
    link.download = `timeline-${permit.number}.csv`;
    link.hidden = false;
  }

  return (
    <main id="main" class="console">
      <h1>Operations</h1>
      <Alert kind="ok">{done}</Alert>
      {admin ? <section class="card" aria-labelledby="h-failed">
        <h2 id="h-failed">Emails that failed every retry</h2>
        {failed === null ? <Spinner label="Loading" /> : failed.length === 0 ? <Empty>None: every email went out.</Empty> : (
          <ul class="plain">{failed.map((f) => (
            <li key={f.id}><p><strong>{f.subject}</strong> → {f.to}</p><p class="help">{f.attempts} attempts · {f.lastError ?? ""}</p>
              <button type="button" class="secondary small" onClick={() => void send(() => unwrap(api.POST(
                "/api/v1/notifications/admin/failed-emails/{delivery_id}/retry", { params: { path: { delivery_id: f.id } } })))
                .then((r) => { if (r) { setDone(`Sent again to ${f.to}.`); void load(); } })}>Send again</button></li>))}</ul>)}
      </section> : null}
      <section class="card" aria-labelledby="h-chain">
        <h2 id="h-chain">A permit's audit chain and timeline</h2>
        <form noValidate aria-label="Check a permit's audit chain" onSubmit={(e) => { e.preventDefault(); void check(e.currentTarget); }}>
          <Alert>{error}</Alert>
          <TextInput name="number" label="Permit number" required placeholder="DOWNTOWN-HW-2026-001" error={fields.q} />
          <div class="buttons"><button type="submit" class="primary" disabled={busy}>Check the chain</button></div>
        </form>
        {chain ? <Alert kind={chain.includes("BREAKS") ? "error" : "ok"}>{chain}</Alert> : null}
        <a id="timeline-export" class="button secondary" hidden href="#">Download the timeline (CSV)</a>
      </section>
    </main>
  );
}
