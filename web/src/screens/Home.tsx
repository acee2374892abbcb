// "Waiting for me": what this user must do now, with counts, and today's confirmations in one tap.
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type PermitSummary } from "../api/client";
import { OfflineError, messageOf } from "../api/errors";
import { Alert, Empty, Link, Spinner, StateBadge } from "../components/ui";
import { typeName } from "../lib/format";
import { onOutboxChange, unsentDrafts, type LocalDraft } from "../lib/outbox";
import { useSession } from "../lib/session";
import { ConsoleLinks } from "./Console";

interface Waiting {
  count: number;
  permits: PermitSummary[];
  dailyConfirmations: PermitSummary[];
}

export function PermitRow({ permit, children }: { permit: PermitSummary; children?: preact.ComponentChildren }) {
  return (
    <li class="permit-row">
      {children}
      <Link to={`/permits/${permit.id}`} class="permit-link">
        <span class="permit-title">{permit.title}</span>
        <span class="permit-meta">{permit.number ?? "Draft"} · {typeName(permit.type)} · {permit.projectCode}</span>
        <StateBadge status={permit.status} />
      </Link>
    </li>
  );
}

function why(permit: PermitSummary): string {
  switch (permit.status) {
    case "SUBMITTED":
    case "ISSUER_APPROVED":
      return "to approve";
    case "REJECTED_ISSUER":
    case "REJECTED_COORD":
      return "to revise";
    case "PENDING_CLOSEOUT":
      return "to close out";
    case "DRAFT":
      return "to finish and submit";
    default:
      return "to act on";
  }
}

export function Home() {
  const { me, project } = useSession();
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  const [error, setError] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [result, setResult] = useState("");
  const [busy, setBusy] = useState(false);
  const [offline, setOffline] = useState(false);
  const [local, setLocal] = useState<LocalDraft[]>([]);
  useEffect(() => {
    const update = () => void unsentDrafts().then(setLocal);
    update();
    return onOutboxChange(update);
  }, []);

  async function load() {
    try {
      const answer = await unwrap(api.GET("/api/v1/permits/pending-actions"));
      const inProject = (p: PermitSummary) => !project || p.projectId === project.id;
      setWaiting({ count: answer.count, permits: answer.permits.filter(inProject),
        dailyConfirmations: answer.dailyConfirmations.filter(inProject) });
      setChosen(new Set(answer.dailyConfirmations.filter(inProject).map((p) => p.id)));
      setError("");
      setOffline(false);
    } catch (e) {
      // With no connection, the banner already says so; what waits for you shows when you are back.
      setError(e instanceof OfflineError ? "" : messageOf(e));
      setOffline(e instanceof OfflineError);
    }
  }
  // Again when a live notification changes a permit, and when the connection returns.
  useEffect(() => {
    void load();
    const again = () => void load();
    window.addEventListener("permitto:changed", again);
    window.addEventListener("online", again);
    return () => {
      window.removeEventListener("permitto:changed", again);
      window.removeEventListener("online", again);
    };
  }, [project?.id]);

  async function confirmChosen() {
    setBusy(true);
    setResult("");
    try {
      const results = await unwrap(api.POST("/api/v1/permits/daily-approve", { body: { permitIds: [...chosen] } }));
      const ok = results.filter((r) => r.ok).length;
      const refused = results.filter((r) => !r.ok)
        .map((r) => String((r.error as { message?: string } | undefined)?.message ?? "refused"));
      setResult(`${ok} of ${results.length} confirmed for today.` + (refused.length ? " " + refused.join(" ") : ""));
      await load();
    } catch (e) {
      setResult(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  const daily = waiting?.dailyConfirmations ?? [];
  const others = waiting?.permits ?? [];
  return (
    <main id="main">
      <h1>Hello, {me.name.split(" ")[0]}</h1>
      <Alert>{error}</Alert>
      <ConsoleLinks />
      {local.length ? (
        <section aria-labelledby="local-h">
          <h2 id="local-h">On this phone, not yet sent <span class="count">{local.length}</span></h2>
          <ul class="permit-list">
            {local.map((d) => (
              <li class="permit-row" key={d.localId}>
                <Link to={d.serverId ? `/permits/${d.serverId}/edit` : `/permits/new?draft=${d.localId}`} class="permit-link">
                  <span class="permit-title">{d.title}</span>
                  <span class="badge tone-amber">Not yet sent</span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {offline && !waiting ? <Alert kind="info">What waits for you shows when you are back online.</Alert> : null}
      {!waiting && !error && !offline ? <Spinner /> : null}
      {waiting ? (
        <>
          <p class="summary" data-testid="waiting-count">
            {others.length + daily.length === 0 ? "Nothing is waiting for you." :
              `${others.length + daily.length} waiting for you`}
          </p>
          <section aria-labelledby="daily-h">
            <h2 id="daily-h">Confirm today <span class="count">{daily.length}</span></h2>
            {daily.length === 0 ? <Empty>No permit needs your confirmation today.</Empty> : (
              <>
                <ul class="permit-list">
                  {daily.map((p) => (
                    <PermitRow permit={p} key={p.id}>
                      <input type="checkbox" class="pick" aria-label={`Confirm ${p.title}`} checked={chosen.has(p.id)}
                        onChange={(e) => {
                          const next = new Set(chosen);
                          if ((e.currentTarget as HTMLInputElement).checked) next.add(p.id); else next.delete(p.id);
                          setChosen(next);
                        }} />
                    </PermitRow>
                  ))}
                </ul>
                <button class="primary" type="button" disabled={busy || chosen.size === 0} onClick={confirmChosen}>
                  Confirm today for {chosen.size} {chosen.size === 1 ? "permit" : "permits"}
                </button>
              </>
            )}
            <Alert kind="info">{result}</Alert>
          </section>
          <section aria-labelledby="todo-h">
            <h2 id="todo-h">Waiting for your action <span class="count">{others.length}</span></h2>
            {others.length === 0 ? <Empty>No approvals, revisions or close-outs wait for you.</Empty> : (
              <ul class="permit-list">
                {others.map((p) => (
                  <PermitRow permit={p} key={p.id}><span class="why">{why(p)}</span></PermitRow>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}
      {me.role === "RECEIVER" ? <p><Link to="/permits/new" class="button primary">Start a new permit</Link></p> : null}
    </main>
  );
}
