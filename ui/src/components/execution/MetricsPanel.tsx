import { useQuery } from "@tanstack/react-query";
import { executionMetrics, type MetricEntry } from "../../api/operations";
import type { Execution } from "../../api/models";
import { ErrorMessage, Loading } from "../Messages";

/** A timer's milliseconds as a person reads a duration. */
export function timerText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const valueText = (m: MetricEntry) => (m.type === "timer" ? timerText(m.value) : m.value.toLocaleString());

/** The counters and timers each task run reported, one row each, grouped by task run in the order they ran. */
export function MetricsPanel({ execution }: { execution: Execution }) {
  // Task runs report their metrics when they end: read again whenever one more has ended.
  const ended = execution.taskRunList.filter((r) => r.state.endDate).length;
  const metrics = useQuery({
    queryKey: ["metrics", execution.id, ended, execution.state.current],
    queryFn: () => executionMetrics(execution.id),
  });
  if (metrics.isError) return <ErrorMessage error={metrics.error} />;
  if (!metrics.data) return <Loading what="the metrics" />;
  const rows = metrics.data.results;
  if (rows.length === 0) return <p className="muted">No task run of this execution reported a metric.</p>;
  const names = new Map(execution.taskRunList.map((r) => [r.id, `${r.taskId}${r.value != null ? ` [${r.value}]` : ""}`]));
  return (
    <table className="list metrics">
      <caption className="sr-only">Metrics</caption>
      <thead>
        <tr><th scope="col">Task</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Value</th><th scope="col">Tags</th></tr>
      </thead>
      <tbody>
        {rows.map((m, i) => {
          const first = i === 0 || rows[i - 1]!.taskRunId !== m.taskRunId;
          return (
            <tr key={`${m.taskRunId}-${i}`} data-metric={m.name}>
              <td>{first ? names.get(m.taskRunId) ?? m.taskId : <span className="sr-only">{names.get(m.taskRunId) ?? m.taskId}</span>}</td>
              <td><code>{m.name}</code></td>
              <td>{m.type}</td>
              <td className="number" title={m.type === "timer" ? `${m.value} ms` : undefined}>{valueText(m)}</td>
              <td>
                {Object.entries(m.tags).length === 0 ? <span className="muted">—</span> : (
                  <ul className="labels tags">
                    {Object.entries(m.tags).map(([k, v]) => <li key={k} className="label"><code>{k}:{v}</code></li>)}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
