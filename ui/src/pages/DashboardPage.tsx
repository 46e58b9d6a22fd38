import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { namespaces } from "../api/client";
import { dailyStats, findExecutions, type DailyStats } from "../api/operations";
import { ExecutionTable } from "../components/ExecutionTable";
import { ErrorMessage, Loading } from "../components/Messages";
import { successRatio, stackDays, STACK_STATES } from "../lib/dashboard";
import "../pages.css";

const RANGES = [7, 30, 90];
const RUNNING = ["CREATED", "QUEUED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "RETRYING"];

/** Executions per day by state, success ratio, recent failures and what runs now; filters in the URL. */
export default function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const days = RANGES.includes(Number(params.get("days"))) ? Number(params.get("days")) : 30;
  const namespace = params.get("namespace") ?? "";
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const stats = useQuery({ queryKey: ["stats", days, namespace], queryFn: () => dailyStats(days, namespace), refetchInterval: 10_000 });
  const failures = useQuery({
    queryKey: ["executions", "failures", namespace],
    queryFn: () => findExecutions({ namespace, states: ["FAILED", "KILLED"], page: 1, size: 5 }),
    refetchInterval: 10_000,
  });
  const running = useQuery({
    queryKey: ["executions", "running", namespace],
    queryFn: () => findExecutions({ namespace, states: RUNNING, page: 1, size: 10 }),
    refetchInterval: 3_000,
  });
  const scope = namespace ? `namespace=${encodeURIComponent(namespace)}&` : "";

  return (
    <section>
      <div className="page-head">
        <h1>Dashboard</h1>
        <label className="inline">
          Namespace{" "}
          <select value={namespace} onChange={(e) => set("namespace", e.target.value)}>
            <option value="">All namespaces</option>
            {(spaces.data ?? []).map((ns) => <option key={ns} value={ns}>{ns}</option>)}
          </select>
        </label>
        <label className="inline">
          Period{" "}
          <select value={days} onChange={(e) => set("days", e.target.value === "30" ? "" : e.target.value)}>
            {RANGES.map((d) => <option key={d} value={d}>Last {d} days</option>)}
          </select>
        </label>
      </div>
      {stats.isError && <ErrorMessage error={stats.error} />}
      {stats.isPending && <Loading what="statistics" />}
      {stats.data && <Summary stats={stats.data} />}
      {stats.data && <DailyChart stats={stats.data} scope={scope} />}
      <div className="columns">
        <div className="card">
          <h2>Running now</h2>
          {running.data && running.data.total === 0 && <p className="muted">Nothing is running.</p>}
          {running.data && running.data.total > 0 && <ExecutionTable executions={running.data.results} caption="Running executions" compact />}
          {running.data && running.data.total > 10 && <Link to={`/executions?${scope}state=RUNNING`}>All {running.data.total} running</Link>}
        </div>
        <div className="card">
          <h2>Recent failures</h2>
          {failures.data && failures.data.total === 0 && <p className="muted">No failure. </p>}
          {failures.data && failures.data.total > 0 && <ExecutionTable executions={failures.data.results} caption="Recent failures" compact />}
          {failures.data && failures.data.total > 0 && <Link to={`/executions?${scope}state=FAILED&state=KILLED`}>All failures</Link>}
        </div>
      </div>
    </section>
  );
}

function Summary({ stats }: { stats: DailyStats[] }) {
  const { total, success, failed, ratio } = successRatio(stats);
  return (
    <dl className="kpis" aria-label="Summary">
      <div><dt>Executions</dt><dd>{total}</dd></div>
      <div><dt>Succeeded</dt><dd className="ok">{success}</dd></div>
      <div><dt>Failed or killed</dt><dd className="bad">{failed}</dd></div>
      <div><dt>Success ratio</dt><dd data-testid="success-ratio">{ratio === null ? "—" : `${Math.round(ratio * 100)} %`}</dd></div>
    </dl>
  );
}

/** Stacked bars per day; a click opens that day's executions (the table below is the keyboard way). */
function DailyChart({ stats, scope }: { stats: DailyStats[]; scope: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const navigate = useNavigate();
  const { bars, max } = stackDays(stats);
  const width = 900, height = 180, gap = 2;
  const barWidth = Math.max(2, width / bars.length - gap);
  const shown = hover !== null ? bars[hover] : undefined;
  return (
    <div className="card chart">
      <h2>Executions per day</h2>
      <svg role="img" aria-label={`Executions per day over ${bars.length} days`} viewBox={`0 0 ${width} ${height + 20}`} className="daily">
        {bars.map((bar, i) => (
          <g key={bar.day} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)} data-day={bar.day}
            onClick={() => navigate(`/executions?${scope}from=${bar.day}&to=${bar.day}`)} className="day">
            <rect x={i * (barWidth + gap)} y={0} width={barWidth} height={height} className="hit" />
            {bar.segments.map((s) => (
              <rect key={s.state} x={i * (barWidth + gap)} y={height - ((s.offset + s.count) / max) * height}
                width={barWidth} height={(s.count / max) * height} className={`bar state-${s.state.toLowerCase()}`} />
            ))}
            <title>{`${bar.day}: ${bar.total} execution${bar.total === 1 ? "" : "s"}`}</title>
          </g>
        ))}
        <text x={0} y={height + 15} className="axis">{bars[0]?.day}</text>
        <text x={width} y={height + 15} className="axis end">{bars[bars.length - 1]?.day}</text>
      </svg>
      <p className="legend">
        {STACK_STATES.map((s) => <span key={s} className={`swatch state-${s.toLowerCase()}`}>{s}</span>)}
      </p>
      <p aria-live="polite" className="muted">
        {shown ? `${shown.day}: ${shown.segments.map((s) => `${s.count} ${s.state}`).join(", ") || "no execution"}` : "Hover a day for its counts."}
      </p>
      <details>
        <summary>As a table</summary>
        <table className="list">
          <thead><tr><th scope="col">Day</th>{STACK_STATES.map((s) => <th key={s} scope="col">{s}</th>)}</tr></thead>
          <tbody>
            {bars.filter((b) => b.total > 0).map((b) => (
              <tr key={b.day}><td><Link to={`/executions?${scope}from=${b.day}&to=${b.day}`}>{b.day}</Link></td>{STACK_STATES.map((s) => <td key={s}>{b.segments.find((x) => x.state === s)?.count ?? 0}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
