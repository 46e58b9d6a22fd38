import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useState } from "react";
import { Link, NavLink, useNavigate, useParams } from "react-router";
import { flowGraph, getExecution, killExecution, restartExecution } from "../api/client";
import { useAiEnabled } from "../api/ai";
import { pauseExecution, replayExecution, setExecutionLabels } from "../api/operations";
import { TERMINAL_STATES, type Execution, type TaskRun } from "../api/models";
import { ErrorMessage, Loading, NotFound } from "../components/Messages";
import { Labels } from "../components/ExecutionTable";
import { pagePath } from "../lib/apps";
import { CURRENT } from "../lib/tenant";
import { GanttChart } from "../components/execution/GanttChart";
import { LiveDuration } from "../components/execution/LiveDuration";
import { MetricsPanel } from "../components/execution/MetricsPanel";
import { PausedBanner } from "../components/execution/PausedBanner";
import { FINAL_STATES, TaskRunActions } from "../components/execution/TaskRunActions";
import { LogsPanel } from "../components/execution/LogsPanel";
import { OutputsPanel } from "../components/execution/OutputsPanel";
import { AssetsPanel } from "../components/execution/AssetsPanel";
import { StateBadge } from "../components/StateBadge";
import { Topology } from "../components/Topology";
import { When } from "../components/When";
import { useFollowExecution } from "../lib/follow";
import "../pages.css";
import { canIn, useMe } from "../lib/permissions";

const TABS = [
  { path: "", label: "Overview" },
  { path: "gantt", label: "Gantt" },
  { path: "logs", label: "Logs" },
  { path: "topology", label: "Topology" },
  { path: "outputs", label: "Outputs" },
  { path: "metrics", label: "Metrics" },
  { path: "assets", label: "Assets" },
];
const SETTLE_MS = 10_000;
/** Tells the page that an action was taken and the execution will change soon. */
const Settle = createContext<() => void>(() => undefined);

export default function ExecutionPage() {
  const { executionId = "", tab = "" } = useParams();
  // After an action (restart, change state...) the executor applies it a moment later: read the execution
  // every half second for a while, until the live stream takes over again.
  const [settleUntil, setSettleUntil] = useState(0);
  const settle = useCallback(() => setSettleUntil(Date.now() + SETTLE_MS), []);
  const execution = useQuery({
    queryKey: ["execution", executionId], queryFn: () => getExecution(executionId),
    refetchInterval: () => (Date.now() < settleUntil ? 500 : false),
  });
  const state = execution.data?.state.current;
  useFollowExecution(executionId, state !== undefined && !TERMINAL_STATES.has(state));
  if (!TABS.some((t) => t.path === tab)) return <NotFound />;
  if (execution.isError) return <ErrorMessage error={execution.error} />;
  if (!execution.data) return <Loading what="the execution" />;
  const x = execution.data;
  const base = `/executions/${x.id}`;

  return (
    <Settle.Provider value={settle}>
    <section>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to={`/flows/${x.namespace}/${x.flowId}`}>{x.namespace}.{x.flowId}</Link> /{" "}
        <Link to={`/flows/${x.namespace}/${x.flowId}/executions`}>executions</Link> /
      </nav>
      <div className="page-head">
        <h1>Execution <code>{x.id}</code></h1>
        <span aria-label="Execution state" aria-live="polite"><StateBadge state={x.state.current} /></span>
      </div>
      <Actions execution={x} />
      {x.state.current === "PAUSED" && <Paused execution={x} />}
      <nav className="tabs" aria-label="Execution views">
        {TABS.map((t) => <NavLink key={t.path} to={t.path ? `${base}/${t.path}` : base} end>{t.label}</NavLink>)}
      </nav>
      {tab === "" && <Overview execution={x} />}
      {tab === "gantt" && <GanttChart execution={x} />}
      {tab === "logs" && <LogsPanel execution={x} />}
      {tab === "topology" && <LiveTopology execution={x} />}
      {tab === "outputs" && <OutputsPanel execution={x} />}
      {tab === "metrics" && <MetricsPanel execution={x} />}
      {tab === "assets" && <AssetsPanel execution={x} />}
    </section>
    </Settle.Provider>
  );
}

/** Only the actions that apply to the execution's state: kill while it runs (or waits), restart once failed or
 * killed, pause while running, replay once ended. Resuming is the paused banner's. */
function Actions({ execution }: { execution: Execution }) {
  const client = useQueryClient();
  const state = execution.state.current;
  const settle = useContext(Settle);
  const done = (result: Execution | void) => {
    settle();
    if (result) client.setQueryData(["execution", execution.id], result);
    else client.invalidateQueries({ queryKey: ["execution", execution.id] });
  };
  const kill = useMutation({ mutationFn: () => killExecution(execution.id), onSuccess: done });
  const restart = useMutation({ mutationFn: () => restartExecution(execution.id), onSuccess: done });
  const navigate = useNavigate();
  const pause = useMutation({ mutationFn: () => pauseExecution(execution.id), onSuccess: done });
  const replay = useMutation({ mutationFn: () => replayExecution(execution.id), onSuccess: (x) => navigate(`/executions/${x.id}`) });
  const failure = kill.error ?? restart.error ?? replay.error ?? pause.error;
  const me = useMe();
  const may = (action: string) => canIn(me, `EXECUTION:${action}`, execution.namespace);
  const ended = TERMINAL_STATES.has(state);
  return (
    <div className="actions">
      {may("KILL") && !ended && state !== "KILLING" && <button type="button" onClick={() => kill.mutate()} disabled={kill.isPending}>Kill</button>}
      {may("RESTART") && ["FAILED", "KILLED", "WARNING"].includes(state) && <button type="button" onClick={() => restart.mutate()} disabled={restart.isPending}>Restart</button>}
      {may("PAUSE") && state === "RUNNING" && <button type="button" onClick={() => pause.mutate()} disabled={pause.isPending}>Pause</button>}
      {may("REPLAY") && ended && <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}
        title="Run this flow again with the same inputs, as a new execution">Replay</button>}
      {failure && <ErrorMessage error={failure} />}
    </div>
  );
}

function Paused({ execution }: { execution: Execution }) {
  const client = useQueryClient();
  const settle = useContext(Settle);
  const canResume = canIn(useMe(), "EXECUTION:RESUME", execution.namespace);
  return <PausedBanner execution={execution} canResume={canResume} onResumed={() => {
    settle();
    client.invalidateQueries({ queryKey: ["execution", execution.id] });
  }} />;
}

/** Task runs in tree order (each flowable's children right after it, in the order they started), with depths. */
export function taskRunTree(runs: TaskRun[]): { run: TaskRun; depth: number }[] {
  const ids = new Set(runs.map((r) => r.id));
  const children = new Map<string | null, TaskRun[]>();
  for (const r of runs) {
    const parent = r.parentTaskRunId && ids.has(r.parentTaskRunId) ? r.parentTaskRunId : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const out: { run: TaskRun; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      out.push({ run: r, depth });
      walk(r.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function Values({ title, values }: { title: string; values: Record<string, unknown> }) {
  const entries = Object.entries(values ?? {});
  return (
    <div className="card">
      <h2>{title}</h2>
      {entries.length === 0 ? <p className="muted">None.</p> : (
        <dl className="values">
          {entries.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd><code>{typeof value === "string" ? value : JSON.stringify(value)}</code></dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

/** The app that started the execution (its `system.app` label), if one did. */
const appOf = (x: Execution): string | null => x.labels?.find((l) => l.key === "system.app")?.value ?? null;

function Overview({ execution: x }: { execution: Execution }) {
  const children = x.taskRunList.flatMap((r) => {
    const id = (r.outputs as { executionId?: unknown } | undefined)?.executionId;
    return typeof id === "string" ? [{ taskId: r.taskId, id }] : [];
  });
  const trigger = (x as Execution & { trigger?: Record<string, unknown> | null }).trigger;
  const me = useMe();
  const client = useQueryClient();
  const settle = useContext(Settle);
  return (
    <>
      <FailureReason execution={x} />
      <FixWithAi execution={x} />
      <dl className="summary">
        <div><dt>Flow</dt><dd><Link to={`/flows/${x.namespace}/${x.flowId}`}>{x.namespace}.{x.flowId}</Link> (revision {x.flowRevision})</dd></div>
        <div><dt>Started</dt><dd><When iso={x.state.startDate} /></dd></div>
        <div><dt>Duration</dt><dd><LiveDuration start={x.state.startDate} end={x.state.endDate}
          running={!TERMINAL_STATES.has(x.state.current) && x.state.current !== "PAUSED"} /></dd></div>
        <div><dt>Labels</dt><dd><Labels labels={x.labels} /> <AddLabel execution={x} /></dd></div>
        {appOf(x) && (
          <div><dt>Started from</dt><dd>app <a href={pagePath(CURRENT.tenant, appOf(x)!, x.id)}>{appOf(x)}</a></dd></div>
        )}
        {x.parentId && <div><dt>Parent</dt><dd><Link to={`/executions/${x.parentId}`}><code>{x.parentId}</code></Link></dd></div>}
        {x.originalId && x.originalId !== x.id && <div><dt>Replay of</dt><dd><Link to={`/executions/${x.originalId}`}><code>{x.originalId}</code></Link></dd></div>}
        {children.length > 0 && (
          <div><dt>Subflow executions</dt><dd>{children.map((c) => (
            <span key={c.id}>{c.taskId}: <Link to={`/executions/${c.id}`}><code>{c.id}</code></Link> </span>
          ))}</dd></div>
        )}
        {trigger && <div><dt>Trigger</dt><dd><code>{JSON.stringify(trigger)}</code></dd></div>}
      </dl>
      <div className="columns">
        <Values title="Inputs" values={x.inputs} />
        <Values title="Outputs" values={x.outputs} />
      </div>
      <h2>Task runs</h2>
      <table className="list">
        <caption className="sr-only">Task runs</caption>
        <thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Attempts</th><th scope="col"><span className="sr-only">Task actions</span></th></tr></thead>
        <tbody>
          {taskRunTree(x.taskRunList).map(({ run: r, depth }) => {
            const name = `${r.taskId}${r.value != null ? ` [${r.value}]` : ""}`;
            return (
              <tr key={r.id} data-task={r.taskId} data-depth={depth}>
                <td id={`task-${r.id}`} style={depth ? { paddingLeft: `${0.6 + depth * 1.4}rem` } : undefined}>
                  {depth > 0 && <span aria-hidden="true" className="muted">↳ </span>}{name}
                </td>
                <td><StateBadge state={r.state.current} /></td>
                <td><When iso={r.state.startDate} /></td>
                <td><LiveDuration start={r.state.startDate} end={r.state.endDate}
                  running={!r.state.endDate && !TERMINAL_STATES.has(r.state.current) && r.state.current !== "PAUSED"} /></td>
                <td>{r.attempts.length}</td>
                <td>
                  {TERMINAL_STATES.has(x.state.current) && FINAL_STATES.includes(r.state.current) && (
                    <TaskRunActions execution={x} taskRunId={r.id} name={name} current={r.state.current}
                      mayChange={canIn(me, "EXECUTION:UPDATE", x.namespace)} mayReplay={canIn(me, "EXECUTION:REPLAY", x.namespace)}
                      onChanged={(result) => { settle(); client.setQueryData(["execution", x.id], result); }} />
                  )}
                </td>
              </tr>
            );
          })}
          {x.taskRunList.length === 0 && <tr><td colSpan={6} className="muted">No task has started yet.</td></tr>}
        </tbody>
      </table>
      <h2>State history</h2>
      <ol className="history" aria-label="State history">
        {x.state.histories.map((h, i) => <li key={i}><StateBadge state={h.state} /> <When iso={h.date} /></li>)}
      </ol>
    </>
  );
}

/** The task runs that failed on their own: failed, with no failed child to blame instead. */
export function failedLeaves(x: Execution): TaskRun[] {
  const failed = x.taskRunList.filter((r) => r.state.current === "FAILED");
  const parents = new Set(failed.map((r) => r.parentTaskRunId));
  return failed.filter((r) => !parents.has(r.id));
}

/** What a newcomer looks for first on a failed execution: which task failed, why, and where its log lines are. */
/** On a FAILED execution, when the server has a copilot: the flow's editor, with the copilot's proposed fix. */
function FixWithAi({ execution: x }: { execution: Execution }) {
  const aiEnabled = useAiEnabled();
  const me = useMe();
  const navigate = useNavigate();
  if (!aiEnabled || x.state.current !== "FAILED" || !canIn(me, "FLOW:UPDATE", x.namespace)) return null;
  return (
    <p>
      <button type="button" className="primary"
        title="Open the flow's editor with a change the AI copilot proposes from this failure (not saved until you save)"
        onClick={() => navigate(`/flows/${x.namespace}/${x.flowId}/editor?fix=${encodeURIComponent(x.id)}`)}>
        Fix with AI
      </button>
    </p>
  );
}

function FailureReason({ execution: x }: { execution: Execution }) {
  const leaves = failedLeaves(x);
  if (leaves.length === 0 && !x.error) return null;
  return (
    <section className="card failure" aria-labelledby="why-failed">
      <h2 id="why-failed">Why it failed</h2>
      {x.error && <p className="failure-message">{x.error}</p>}
      <ul>
        {leaves.map((r) => {
          const name = `${r.taskId}${r.value != null ? ` [${r.value}]` : ""}`;
          return (
            <li key={r.id}>
              Task <code>{name}</code> failed{r.error ? ":" : "."}
              {r.error && <p className="failure-message">{r.error}</p>}
              <Link to={`/executions/${x.id}/logs?taskRunId=${r.id}&show=error`} aria-label={`Log lines of ${name}`}>Its log lines</Link>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Add a label or change one (the executor applies it, in any state). */
function AddLabel({ execution }: { execution: Execution }) {
  const client = useQueryClient();
  const settle = useContext(Settle);
  const [open, setOpen] = useState(false);
  const me = useMe();
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const add = useMutation({
    mutationFn: () => setExecutionLabels(execution.id, [{ key: key.trim(), value }]),
    onSuccess: (result) => {
      settle();
      client.setQueryData(["execution", execution.id], result);
      setOpen(false);
      setKey("");
      setValue("");
    },
  });
  if (!canIn(me, "EXECUTION:UPDATE", execution.namespace)) return null;
  if (!open) return <button type="button" className="link" onClick={() => setOpen(true)}>Add a label</button>;
  return (
    <form className="inline-form" aria-label="Add a label" onSubmit={(e) => { e.preventDefault(); if (key.trim()) add.mutate(); }}>
      <input aria-label="Label key" value={key} onChange={(e) => setKey(e.target.value)} required placeholder="key" />
      <input aria-label="Label value" value={value} onChange={(e) => setValue(e.target.value)} placeholder="value" />
      <button type="submit" disabled={add.isPending}>Save label</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      {add.isError && <ErrorMessage error={add.error} />}
    </form>
  );
}

function LiveTopology({ execution: x }: { execution: Execution }) {
  const graph = useQuery({
    queryKey: ["graph", x.namespace, x.flowId, x.flowRevision],
    queryFn: () => flowGraph(x.namespace, x.flowId),
  });
  const states = Object.fromEntries(x.taskRunList.map((r) => [r.taskId, r.state.current]));
  if (graph.isError) return <ErrorMessage error={graph.error} />;
  if (!graph.data) return <Loading what="the topology" />;
  return <Topology graph={graph.data} states={states} />;
}
