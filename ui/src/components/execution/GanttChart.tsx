import { useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { filteredLogs } from "../../api/operations";
import { TERMINAL_STATES, type Execution } from "../../api/models";
import { attemptLabel } from "../../lib/attempt";
import { buildGantt, formatOffset } from "../../lib/gantt";
import { ErrorMessage, Loading } from "../Messages";
import { StateBadge } from "../StateBadge";
import { formatTime } from "../../lib/settings";

/** One task run's log lines, under its Gantt row. */
function RowLogs({ executionId, taskRunId, label, live }: { executionId: string; taskRunId: string; label: string; live: boolean }) {
  const logs = useQuery({
    queryKey: ["logs", executionId, { taskRunId }],
    queryFn: () => filteredLogs(executionId, { taskRunId }),
    refetchInterval: live ? 2000 : false,
  });
  if (logs.isError) return <ErrorMessage error={logs.error} />;
  if (!logs.data) return <Loading what={`the logs of ${label}`} />;
  return (
    <div className="logs gantt-logs" role="log" aria-label={`Logs of ${label}`}>
      {logs.data.length === 0 && <p className="muted">No log line.</p>}
      {logs.data.map((line, i) => (
        <div key={i} className={`log log-${line.level.toLowerCase()}`}>
          <time dateTime={line.timestamp}>{formatTime(line.timestamp)}</time>
          <span className="level">{line.level}</span>
          <span className="attempt">{attemptLabel(line.attemptNumber)}</span>
          <span className="message">{line.message}</span>
        </div>
      ))}
    </div>
  );
}

/** Task runs and their attempts on one time axis; while the execution runs, bars grow every second. */
export function GanttChart({ execution }: { execution: Execution }) {
  const live = !TERMINAL_STATES.has(execution.state.current);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  // Rows toggled by the user; a failed row starts unfolded, since its logs say why it failed.
  const [toggled, setToggled] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = (id: string) => setToggled((old) => {
    const next = new Set(old);
    if (!next.delete(id)) next.add(id);
    return next;
  });
  const gantt = useMemo(() => buildGantt(execution.taskRunList, execution.state.startDate, now),
    [execution.taskRunList, execution.state.startDate, now]);
  if (gantt.rows.length === 0) return <p className="muted">No task has started yet.</p>;
  const pct = (f: number) => `${(f * 100).toFixed(3)}%`;
  return (
    <div className="gantt" role="table" aria-label="Gantt chart">
      <div className="gantt-row gantt-axis" role="row">
        <span role="columnheader">Task</span>
        <div className="gantt-track" role="columnheader" aria-label={`Time axis, ${formatOffset(gantt.end - gantt.start)} in all`}>
          {gantt.ticks.map((t) => <span key={t.at} className="tick" style={{ left: pct(t.at) }}>{t.label}</span>)}
        </div>
      </div>
      {gantt.rows.map((row) => {
        const open = (row.run.state === "FAILED") !== toggled.has(row.id);
        return (
        <Fragment key={row.id}>
        <div className="gantt-row" role="row" data-task-run={row.id}>
          <span role="rowheader" style={{ paddingLeft: `${row.depth}rem` }}>
            <button type="button" className="gantt-toggle" aria-expanded={open} onClick={() => toggle(row.id)}
              aria-label={`${open ? "Hide" : "Show"} the logs of ${row.label}`}>{open ? "▾" : "▸"}</button>{" "}
            <Link to={`/executions/${execution.id}/logs?taskRunId=${row.id}`} title="Logs of this task run">{row.label}</Link>{" "}
            <StateBadge state={row.run.state} />
            {row.runner && <span className="runner-tag" title={`Ran with the ${row.runner} runner`} data-runner={row.runner}>{row.runner}</span>}
          </span>
          <div className="gantt-track" role="cell">
            <div className={`gantt-bar state-${row.run.state.toLowerCase()}`} style={{ left: pct(row.run.left), width: pct(row.run.width) }}
              title={`${row.label}: ${formatOffset(row.run.end - row.run.start)} (${row.run.state})`} />
            {row.attempts.length > 1 && row.attempts.map((a, i) => (
              <div key={i} className={`gantt-attempt state-${a.state.toLowerCase()}`} style={{ left: pct(a.left), width: pct(a.width) }}
                title={`attempt ${i + 1}: ${formatOffset(a.end - a.start)} (${a.state}${a.runner ? `, ${a.runner} runner` : ""})`} data-attempt={i + 1} />
            ))}
            <span className="gantt-duration" style={{ left: pct(Math.min(row.run.left + row.run.width, 0.9)) }}>
              {formatOffset(row.run.end - row.run.start)}{row.attempts.length > 1 ? ` · ${row.attempts.length} attempts` : ""}
            </span>
          </div>
        </div>
        {open && (
          <div className="gantt-row gantt-logs-row" role="row">
            <div role="cell">
              <RowLogs executionId={execution.id} taskRunId={row.id} label={row.label} live={live} />
            </div>
          </div>
        )}
        </Fragment>
        );
      })}
    </div>
  );
}
