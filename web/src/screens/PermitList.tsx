// Every permit this user may see: filtered by state, type, project and text, a page at a time.
import { useEffect, useState } from "preact/hooks";
import { api, unwrapPage, type PermitSummary } from "../api/client";
import type { paths } from "../api/schema";
import { messageOf } from "../api/errors";
import { Alert, Empty, Spinner } from "../components/ui";
import { STATES, TYPES } from "../lib/format";
import { navigate, useLocation } from "../lib/router";
import { useSession } from "../lib/session";
import { PermitRow } from "./Home";

type Status = NonNullable<paths["/api/v1/permits"]["get"]["parameters"]["query"]>["status"];

export function PermitList() {
  const { me, project } = useSession();
  const { query } = useLocation();
  const status = query.get("status") ?? "";
  const type = query.get("type") ?? "";
  const q = query.get("q") ?? "";
  const projectId = query.get("project") ?? project?.id ?? "";
  const [items, setItems] = useState<PermitSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState("");

  async function load(after: string | null) {
    try {
      const page = await unwrapPage(api.GET("/api/v1/permits", {
        params: { query: {
          status: (status || undefined) as Status,
          type: (type || undefined) as "HW" | undefined,
          projectId: projectId || undefined,
          q: q || undefined,
          limit: 20,
          cursor: after ?? undefined,
        } },
      }));
      setItems((before) => (after ? [...(before ?? []), ...page.data] : page.data));
      setCursor((page.meta.nextCursor as string | null | undefined) ?? null);
      setError("");
    } catch (e) {
      setError(messageOf(e));
      setItems((before) => before ?? []);
    }
  }
  useEffect(() => { setItems(null); void load(null); }, [status, type, q, projectId]);

  function filter(name: string, value: string) {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value); else next.delete(name);
    navigate(`/permits?${next.toString()}`, { replace: true });
  }

  return (
    <main id="main">
      <h1>Permits</h1>
      <form class="filters" role="search" onSubmit={(e) => {
        e.preventDefault();
        filter("q", ((e.currentTarget.elements.namedItem("q") as HTMLInputElement).value).trim());
      }}>
        <div class="field">
          <label for="filter-q">Search</label>
          <input id="filter-q" name="q" type="search" defaultValue={q} placeholder="Title or permit number" />
        </div>
        <div class="field">
          <label for="filter-status">State</label>
          <select id="filter-status" value={status} onChange={(e) => filter("status", e.currentTarget.value)}>
            <option value="">Any state</option>
            {Object.entries(STATES).map(([key, look]) => <option value={key} key={key}>{look.words}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-type">Type</label>
          <select id="filter-type" value={type} onChange={(e) => filter("type", e.currentTarget.value)}>
            <option value="">Any type</option>
            {Object.entries(TYPES).map(([key, name]) => <option value={key} key={key}>{name}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="filter-project">Project</label>
          <select id="filter-project" value={projectId} onChange={(e) => filter("project", e.currentTarget.value)}>
            <option value="">All my projects</option>
            {me.projects.map((p) => <option value={p.id} key={p.id}>{p.code} · {p.name}</option>)}
          </select>
        </div>
        <button type="submit" class="secondary">Search</button>
      </form>
      <Alert>{error}</Alert>
      {items === null ? <Spinner label="Loading permits" /> : items.length === 0 ? <Empty>No permit matches.</Empty> : (
        <ul class="permit-list" data-testid="permit-list">
          {items.map((p) => <PermitRow permit={p} key={p.id} />)}
        </ul>
      )}
      {cursor ? <button type="button" class="secondary" onClick={() => void load(cursor)}>Show more</button> : null}
    </main>
  );
}
