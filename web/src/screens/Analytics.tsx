// Analytics for coordinators and administrators: approval times per stage and type, what was open each
// day, suspensions and their causes, daily-confirmation compliance per project and overdue close-outs,
// for a range of days and a project. Each is a chart (Chart.js, loaded only on this screen) with its
// numbers in a table beside it, and each table downloads as CSV.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Chart as ChartType, ChartConfiguration } from "chart.js";
import { api, unwrap, type Schemas } from "../api/client";
import { messageOf } from "../api/errors";
import { Alert, Empty, Spinner } from "../components/ui";
import { csv, STATES, typeName, when } from "../lib/format";

type Figures = Schemas["AnalyticsOut"];
type Row = Array<string | number | null>;

const STAGES: Record<string, string> = { issuer: "Issuer's review", coordinator: "Coordinator's review", total: "Whole review" };
const CAUSES: Record<string, string> = {
  DEADLINE: "Daily confirmations missed", GAS: "Gas test failed", RETEST: "Gas re-test overdue", MANUAL: "Stopped by an issuer or coordinator",
};
const OPEN = ["SUBMITTED", "ISSUER_APPROVED", "APPROVED", "PENDING_DAILY", "ACTIVE", "SUSPENDED", "PENDING_CLOSEOUT"];
// A colour per open state, each told apart from its neighbours and at 3:1 or more against white.
const STATE_COLOURS: Record<string, string> = {
  SUBMITTED: "#a05a00", ISSUER_APPROVED: "#c2410c", APPROVED: "#0b57d0", PENDING_DAILY: "#00796b", ACTIVE: "#1b7a3a",
  SUSPENDED: "#b3261e", PENDING_CLOSEOUT: "#6d28d9",
};
const PALETTE = ["#0b57d0", "#a05a00", "#1b7a3a", "#8e24aa", "#b3261e", "#00796b"];

export function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

let loading: Promise<typeof import("chart.js")> | null = null;
function chartJs() {
  loading ??= import("chart.js").then((m) => { m.Chart.register(...m.registerables); return m; });
  return loading;
}

/** A chart with its figures as a table and a CSV download. */
function Figure({ id, title, config, head, rows, summary }: {
  id: string; title: string; config: ChartConfiguration | null; head: string[]; rows: Row[]; summary: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartType | null>(null);
  const [href, setHref] = useState("");
  useEffect(() => {
    let gone = false;
    if (config && canvas.current) {
      void chartJs().then(({ Chart }) => {
        if (gone || !canvas.current) return;
        chart.current?.destroy();
        chart.current = new Chart(canvas.current, { ...config, options: { animation: false, maintainAspectRatio: false, responsive: true, ...config.options } });
        canvas.current.dataset.points = String(config.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0));
      });
    }
    const url = URL.createObjectURL(new Blob([csv([head, ...rows])], { type: "text/csv" }));
    setHref(url);
    return () => { gone = true; chart.current?.destroy(); chart.current = null; URL.revokeObjectURL(url); };
  }, [config, rows]);
  return (
    <section class="card figure" aria-labelledby={`h-${id}`} data-figure={id}>
      <h2 id={`h-${id}`}>{title}</h2>
      {config ? <div class="chart-box"><canvas ref={canvas} role="img" aria-label={`${title}: ${summary}`} /></div> : null}
      {rows.length === 0 ? <Empty>Nothing in this range.</Empty> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={`${title}, as a table`}>
          <table>
            <thead><tr>{head.map((h) => <th scope="col" key={h}>{h}</th>)}</tr></thead>
            <tbody>{rows.map((r, n) => <tr key={n}>{r.map((c, m) => m === 0 ? <th scope="row" key={m}>{c}</th> : <td key={m}>{c ?? "—"}</td>)}</tr>)}</tbody>
          </table>
        </div>)}
      <a class="button secondary small" href={href} download={`permitto-${id}.csv`}>Download CSV</a>
    </section>
  );
}

function isoDay(date: Date): string { return date.toISOString().slice(0, 10); }

export function Analytics() {
  const [filter, setFilter] = useState(() => {
    const to = new Date();
    return { from: isoDay(new Date(to.getTime() - 29 * 86_400_000)), to: isoDay(to), projectId: "" };
  });
  const [figures, setFigures] = useState<Figures | null>(null);
  const [projects, setProjects] = useState<Schemas["ProjectOut"][]>([]);
  const [error, setError] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  useEffect(() => { void unwrap(api.GET("/api/v1/projects")).then(setProjects).catch(() => undefined); }, []);
  useEffect(() => {
    setError(""); setFields({});
    const query: Record<string, string> = { from: filter.from, to: filter.to };
    if (filter.projectId) query.projectId = filter.projectId;
    unwrap(api.GET("/api/v1/permits/analytics", { params: { query: query as never } })).then(setFigures).catch((e) => {
      setError(messageOf(e));
      const details = (e as { details?: Array<{ field: string; message: string }> }).details ?? [];
      setFields(Object.fromEntries(details.map((d) => [d.field, d.message])));
    });
  }, [filter]);

  const charts = useMemo(() => (figures ? build(figures) : null), [figures]);
  return (
    <main id="main" class="console analytics">
      <h1>Analytics</h1>
      <form class="filters" aria-label="Range and project" onSubmit={(e) => {
        e.preventDefault();
        const f = e.currentTarget.elements;
        const get = (n: string) => (f.namedItem(n) as HTMLInputElement).value;
        setFilter({ from: get("from"), to: get("to"), projectId: get("projectId") });
      }}>
        <div class={`field${fields.from ? " has-error" : ""}`}><label for="f-from">From</label>
          <input id="f-from" name="from" type="date" defaultValue={filter.from} aria-describedby={fields.from ? "f-from-error" : undefined} />
          {fields.from ? <p class="field-error" id="f-from-error" role="alert">{fields.from}</p> : null}</div>
        <div class={`field${fields.to ? " has-error" : ""}`}><label for="f-to">To</label>
          <input id="f-to" name="to" type="date" defaultValue={filter.to} aria-describedby={fields.to ? "f-to-error" : undefined} />
          {fields.to ? <p class="field-error" id="f-to-error" role="alert">{fields.to}</p> : null}</div>
        <div class="field"><label for="f-a-project">Project</label>
          <select id="f-a-project" name="projectId">
            <option value="">All projects</option>{projects.map((p) => <option key={p.id} value={p.id}>{p.code}</option>)}</select></div>
        <button type="submit" class="secondary">Show</button>
      </form>
      <Alert>{error}</Alert>
      {figures === null || !charts ? (error ? null : <Spinner label="Working out the figures" />) : (
        <>
          <p class="help">{figures.range.from} to {figures.range.to} (UTC days) · {figures.approvalTime.approved} permits approved</p>
          <div class="figures">
            <Figure id="approval-times" title="Approval times" {...charts.approval} />
            <Figure id="open-per-day" title="Permits open each day" {...charts.open} />
            <Figure id="suspensions" title="Suspensions and their causes" {...charts.suspensions} />
            <Figure id="compliance" title="Daily confirmations before the deadline" {...charts.compliance} />
            <Figure id="overdue-closeouts" title="Overdue close-outs (waiting over 24 hours)" {...charts.overdue} />
          </div>
        </>)}
    </main>
  );
}

function build(f: Figures) {
  const types = [...new Set(f.approvalStages.filter((s) => s.type).map((s) => s.type!))].sort();
  const stage = (name: string, type: string | null) => f.approvalStages.find((s) => s.stage === name && s.type === type);
  const longest = Math.max(0, ...f.approvalStages.map((s) => s.medianSeconds));
  const [unit, per] = longest >= 5400 ? ["hours", 3600] : longest >= 90 ? ["minutes", 60] : ["seconds", 1];
  const scaled = (seconds: number | undefined) => (seconds === undefined ? null : Math.round((seconds / per) * 100) / 100);
  const stageOrder = Object.keys(STAGES);
  const approval = {
    config: f.approvalStages.length ? {
      type: "bar", data: {
        labels: Object.values(STAGES),
        datasets: [{ label: `All types, median (${unit})`, data: stageOrder.map((k) => scaled(stage(k, null)?.medianSeconds)), backgroundColor: "#5f6368" },
          ...types.map((t, n) => ({ label: `${typeName(t)}, median (${unit})`, data: stageOrder.map((k) => scaled(stage(k, t)?.medianSeconds)), backgroundColor: PALETTE[n % PALETTE.length] }))],
      }, options: { scales: { y: { title: { display: true, text: unit }, beginAtZero: true } } },
    } as ChartConfiguration : null,
    head: ["Stage", "Type", "Approvals", "Median", "90th percentile"],
    rows: [...f.approvalStages].sort((a, b) => stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage)).map((s) => [STAGES[s.stage] ?? s.stage, s.type ? typeName(s.type) : "All types", s.count, duration(s.medianSeconds), duration(s.p90Seconds)] as Row),
    summary: f.approvalStages.filter((s) => !s.type).map((s) => `${STAGES[s.stage]} median ${duration(s.medianSeconds)}`).join(", ") || "no approvals",
  };
  const days = f.statesOverTime;
  const open = {
    config: {
      type: "bar", data: {
        labels: days.map((d) => d.day.slice(5)),
        datasets: OPEN.map((s) => ({ label: STATES[s]?.words ?? s, data: days.map((d) => d.counts[s] ?? 0),
          backgroundColor: STATE_COLOURS[s] })),
      }, options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    } as ChartConfiguration,
    head: ["Day", ...OPEN.map((s) => STATES[s]?.words ?? s)],
    rows: days.map((d) => [d.day, ...OPEN.map((s) => d.counts[s] ?? 0)] as Row),
    summary: `${days.length} days; at the end of the last, ${OPEN.reduce((n, s) => n + (days.at(-1)?.counts[s] ?? 0), 0)} open`,
  };
  const suspensions = {
    config: f.suspensionCauses.length ? {
      type: "bar", data: {
        labels: f.suspensionCauses.map((c) => CAUSES[c.cause] ?? c.cause),
        datasets: [{ label: "Suspensions", data: f.suspensionCauses.map((c) => c.count), backgroundColor: "#b3261e" }],
      }, options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    } as ChartConfiguration : null,
    head: ["Cause", "Suspensions"],
    rows: f.suspensionCauses.map((c) => [CAUSES[c.cause] ?? c.cause, c.count] as Row),
    summary: f.suspensionCauses.map((c) => `${CAUSES[c.cause]}: ${c.count}`).join(", ") || "none",
  };
  const compliance = {
    config: f.complianceByProject.length ? {
      type: "bar", data: {
        labels: f.complianceByProject.map((c) => c.projectCode),
        datasets: [{ label: "Confirmed before the deadline (%)", data: f.complianceByProject.map((c) => c.rate === null ? 0 : Math.round(c.rate * 1000) / 10), backgroundColor: "#1b7a3a" }],
      }, options: { plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } },
    } as ChartConfiguration : null,
    head: ["Project", "Work days due", "Confirmed in time", "Rate"],
    rows: f.complianceByProject.map((c) => [c.projectCode, c.daysDue, c.confirmedBeforeDeadline, c.rate === null ? null : `${(c.rate * 100).toFixed(1)} %`] as Row),
    summary: f.complianceByProject.map((c) => `${c.projectCode} ${c.rate === null ? "no days due" : `${(c.rate * 100).toFixed(0)} %`}`).join(", ") || "no work days due",
  };
  const overdue = {
    config: null,
    head: ["Permit", "Title", "Project", "Waiting since", "Hours waiting"],
    rows: f.overdueCloseouts.map((o) => [o.number ?? o.id, o.title, o.projectCode, when(o.waitingSince), o.hoursWaiting] as Row),
    summary: `${f.overdueCloseouts.length} overdue`,
  };
  return { approval, open, suspensions, compliance, overdue };
}

