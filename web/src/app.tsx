// The app shell: who is signed in, the header (project switcher, bell), the banners (offline, not yet
// sent, update available) and which screen a path shows.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, onSessionEnded, type Me } from "./api/client";
import { BellIcon, Link, Spinner } from "./components/ui";
import { onOutboxChange, startSync } from "./lib/drafts";
import { useLive } from "./lib/live";
import { pending } from "./lib/outbox";
import { match, navigate, useLocation } from "./lib/router";
import { loadMe, PROJECT_KEY, ROLE_WORDS, SessionContext, useSession, type Session } from "./lib/session";
import { ChangePassword, ForgotPassword, SetPassword, SignIn } from "./screens/Auth";
import { Home } from "./screens/Home";
import { PermitWizard } from "./screens/NewPermit";
import { Notifications, Settings } from "./screens/Notifications";
import { PermitDetail } from "./screens/PermitDetail";
import { Board, Operations, Projects, Users } from "./screens/Console";
import { Competencies } from "./screens/People";
import { PermitList } from "./screens/PermitList";
import { IsolationLibrary } from "./screens/Safety";
import { Site } from "./screens/Site";

/** A screen loaded when first opened (the desktop console's builder and charts stay off phones' first
 * load); the service worker keeps its file too, so it opens offline like the rest. */
function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function Lazy(props: P) {
    const [Screen, setScreen] = useState<ComponentType<P> | null>(() => loaded);
    useEffect(() => { if (!Screen) void load().then((c) => { loaded = c; setScreen(() => c); }); }, []);
    return Screen ? <Screen {...props} /> : <main id="main"><Spinner label="Opening" /></main>;
  };
}
const Analytics = lazyScreen(() => import("./screens/Analytics").then((m) => m.Analytics));
const TemplateList = lazyScreen(() => import("./screens/Templates").then((m) => m.TemplateList));
const TemplateBuilder = lazyScreen<{ id?: string }>(() => import("./screens/Templates").then((m) => m.TemplateBuilder));

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => { window.removeEventListener("online", on); window.removeEventListener("offline", off); };
  }, []);
  return online;
}

function useUnsent(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    const update = () => void pending().then((p) => setCount(p.length));
    update();
    return onOutboxChange(update);
  }, []);
  return count;
}

function Screen({ path, query, onEnded }: { path: string; query: URLSearchParams; onEnded(m: string): void }) {
  let params: Record<string, string> | null;
  const { project } = useSession();  // the header's project switcher: screens of one project follow it
  if (path === "/" || path === "/home") return <Home />;
  if (path === "/permits") return <PermitList />;
  if (path === "/permits/new") {
    const localId = query.get("draft");
    return localId ? <PermitWizard localId={localId} key={localId} /> : <PermitWizard key="new" />;
  }
  if ((params = match("/permits/:id/edit", path))) return <PermitWizard permitId={params.id} key={params.id} />;
  if ((params = match("/permits/:id", path))) return <PermitDetail id={params.id!} />;
  if (path === "/notifications") return <Notifications />;
  if (path === "/isolation-points") return <IsolationLibrary key={project?.id ?? "all"} />;
  if (path === "/site") return <Site key={project?.id ?? "all"} />;
  if (path === "/competencies") return <Competencies />;
  if (path === "/users") return <Users />;
  if (path === "/projects") return <Projects />;
  if (path === "/board") return <Board />;
  if (path === "/operations") return <Operations />;
  if (path === "/analytics") return <Analytics />;
  if (path === "/templates") return <TemplateList />;
  if (path === "/templates/new") return <TemplateBuilder key="new" />;
  if ((params = match("/templates/:id", path))) return <TemplateBuilder id={params.id} key={params.id} />;
  if (path === "/settings") return <Settings />;
  if (path === "/change-password") return <ChangePassword onEnded={onEnded} />;
  if (path === "/set-password") {
    return <SetPassword token={query.get("token") ?? ""} invitation={query.get("kind") === "invitation"} />;
  }
  return <main id="main"><h1>Not found</h1><p>There is no such page. <Link to="/">Go home</Link></p></main>;
}

export function UpdatePrompt({ onUpdate }: { onUpdate: (() => void) | null }) {
  if (!onUpdate) return null;
  return (
    <div class="banner banner-update" role="status">
      <span>A new version of Permitto is available.</span>
      <button type="button" class="primary small" onClick={onUpdate}>Update now</button>
    </div>
  );
}

export function App({ update }: { update: (() => void) | null }) {
  const { path, query } = useLocation();
  const online = useOnline();
  const unsent = useUnsent();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [notice, setNotice] = useState("");
  const [projectId, setProjectId] = useState<string | null>(localStorage.getItem(PROJECT_KEY));
  const live = useLive(!!me);

  async function reload() {
    const { me: who } = await loadMe();
    setMe(who);
  }
  useEffect(() => { void reload(); startSync(); }, []);
  useEffect(() => onSessionEnded(() => {
    setMe(null);
    setNotice("Your session has ended. Sign in again to go on.");
  }), []);

  const session: Session | null = me ? {
    me,
    project: me.projects.find((p) => p.id === projectId) ?? null,
    setProject(id) {
      setProjectId(id);
      if (id) localStorage.setItem(PROJECT_KEY, id); else localStorage.removeItem(PROJECT_KEY);
    },
    reload,
    async signOut(message) {
      await api.POST("/api/v1/auth/logout").catch(() => undefined);
      setMe(null);
      setNotice(message ?? "You are signed out.");
      navigate("/", { replace: true });
    },
  } : null;

  const banners = (
    <>
      {!online ? <div class="banner banner-offline" role="status">You are offline. What you enter is kept on this phone.</div> : null}
      {unsent > 0 ? <div class="banner banner-unsent" role="status" data-testid="unsent-banner">
        {unsent} {unsent === 1 ? "change" : "changes"} not yet sent{online ? "…" : ": they go out when you are back online."}</div> : null}
      <UpdatePrompt onUpdate={update} />
    </>
  );

  const anonymous = ["/forgot-password", "/set-password"];
  if (anonymous.includes(path)) {
    return <>{banners}{path === "/forgot-password" ? <ForgotPassword /> :
      <SetPassword token={query.get("token") ?? ""} invitation={query.get("kind") === "invitation"} />}</>;
  }
  if (me === undefined) return <>{banners}<main id="main"><p class="loading" role="status">Opening Permitto…</p></main></>;
  if (!session) {
    return <>{banners}<SignIn notice={notice} onSignedIn={async () => { setNotice(""); await reload(); }} /></>;
  }

  return (
    <SessionContext.Provider value={session}>
      <a href="#main" class="skip">Skip to content</a>
      <header class="top">
        <Link to="/" class="brand" label="Permitto home">Permitto</Link>
        <div class="project-switch">
          <label for="project-switch" class="visually-hidden">Project</label>
          <select id="project-switch" value={projectId ?? ""} onChange={(e) => session.setProject(e.currentTarget.value || null)}>
            <option value="">All projects</option>
            {me!.projects.map((p) => <option value={p.id} key={p.id}>{p.code}</option>)}
          </select>
        </div>
        <Link to="/notifications" class="bell" label={`Notifications, ${live.unread} unread`}>
          <BellIcon />
          {live.unread > 0 ? <span class="bell-count" data-testid="bell-count">{live.unread}</span> : null}
        </Link>
      </header>
      {banners}
      <Screen path={path} query={query} onEnded={(m) => { setMe(null); setNotice(m); }} />
      <nav class="bottom" aria-label="Main">
        <Link to="/" class={path === "/" ? "active" : ""}>Home</Link>
        <Link to="/permits" class={path.startsWith("/permits") && path !== "/permits/new" ? "active" : ""}>Permits</Link>
        <Link to="/site" class={path === "/site" ? "active" : ""}>Site</Link>
        {me!.role === "RECEIVER" ? <Link to="/permits/new" class={path === "/permits/new" ? "active" : ""}>New</Link> : null}
        {me!.role === "COORDINATOR" || me!.role === "ISSUER" ? (
          <Link to="/isolation-points" class={path === "/isolation-points" ? "active" : ""} label="Isolation points">Points</Link>) : null}
        <Link to="/settings" class={path === "/settings" ? "active" : ""}>Settings</Link>
      </nav>
      <p class="whoami">{me!.name} · {ROLE_WORDS[me!.role] ?? me!.role}</p>
    </SessionContext.Provider>
  );
}
