import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, NavLink, useParams } from "react-router";
import {
  executionLogs, flowGraph, getExecution, getFlow, killExecution, restartExecution, resumeExecution,
} from "../api/client";
import { TERMINAL_STATES, type Execution, type FlowInput, type Task } from "../api/types";
import { InputsForm } from "../components/InputsForm";
import { ErrorMessage, Loading, NotFound } from "../components/Messages";
import { duration, formatDate, StateBadge } from "../components/StateBadge";
import { Topology } from "../components/Topology";
import { useFollowExecution } from "../lib/follow";
import { fieldsFor, initialValues, toFormData, validate, type FormValues } from "../lib/inputs";

const TABS = [
  { path: "", label: "Overview" },
  { path: "logs", label: "Logs" },
];

export function ExecutionPage() {
  const { executionId = "", tab = "" } = useParams();
  const execution = useQuery({ queryKey: ["execution", executionId], queryFn: () => getExecution(executionId) });
  const state = execution.data?.state.current;
  useFollowExecution(executionId, state !== undefined && !TERMINAL_STATES.has(state));
  if (!TABS.some((t) => t.path === tab)) return <NotFound />;
  if (execution.isError) return <ErrorMessage error={execution.error} />;
  if (!execution.data) return <Loading what="the execution" />;
  const x = execution.data;
  const base = `/executions/${x.id}`;

  return (
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
      <nav className="tabs" aria-label="Execution views">
        {TABS.map((t) => <NavLink key={t.path} to={t.path ? `${base}/${t.path}` : base} end>{t.label}</NavLink>)}
      </nav>
      {tab === "" && <Overview execution={x} />}
      {tab === "logs" && <Logs executionId={x.id} />}
    </section>
  );
}

/** Kill while running, restart once failed or killed, resume while paused (with the Pause's onResume inputs). */
function Actions({ execution }: { execution: Execution }) {
  const client = useQueryClient();
  const [resuming, setResuming] = useState(false);
  const state = execution.state.current;
  const done = (result: Execution | void) => {
    if (result) client.setQueryData(["execution", execution.id], result);
    else client.invalidateQueries({ queryKey: ["execution", execution.id] });
  };
  const kill = useMutation({ mutationFn: () => killExecution(execution.id), onSuccess: done });
  const restart = useMutation({ mutationFn: () => restartExecution(execution.id), onSuccess: done });
  const failure = kill.error ?? restart.error;
  return (
    <div className="actions">
      <button type="button" onClick={() => kill.mutate()} disabled={TERMINAL_STATES.has(state) || kill.isPending}>Kill</button>
      <button type="button" onClick={() => restart.mutate()} disabled={!["FAILED", "KILLED", "WARNING"].includes(state) || restart.isPending}>Restart</button>
      <button type="button" onClick={() => setResuming(true)} disabled={state !== "PAUSED"}>Resume</button>
      {failure && <ErrorMessage error={failure} />}
      {resuming && state === "PAUSED" && <ResumeForm execution={execution} onDone={() => { setResuming(false); done(); }} />}
    </div>
  );
}

function findTask(tasks: unknown, id: string): Task | undefined {
  if (!Array.isArray(tasks)) return undefined;
  for (const task of tasks as Task[]) {
    if (task?.id === id) return task;
    for (const value of Object.values(task ?? {})) {
      const nested = Array.isArray(value) ? findTask(value, id)
        : value && typeof value === "object" ? findTask(Object.values(value).flat(), id) : undefined;
      if (nested) return nested;
    }
  }
  return undefined;
}

function ResumeForm({ execution, onDone }: { execution: Execution; onDone: () => void }) {
  const flow = useQuery({
    queryKey: ["flow", execution.namespace, execution.flowId, execution.flowRevision],
    queryFn: () => getFlow(execution.namespace, execution.flowId),
  });
  const paused = execution.taskRunList.find((r) => r.state.current === "PAUSED");
  const onResume = (paused && findTask(flow.data?.tasks, paused.taskId)?.onResume) as FlowInput[] | undefined;
  const fields = useMemo(() => fieldsFor(onResume), [onResume]);
  const [values, setValues] = useState<FormValues | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const current = values ?? initialValues(fields);
  const resume = useMutation({ mutationFn: () => resumeExecution(execution.id, toFormData(fields, current)), onSuccess: onDone });
  if (flow.isPending) return <Loading what="the resume form" />;
  return (
    <form className="card" aria-label="Resume" noValidate onSubmit={(e) => {
      e.preventDefault();
      const found = validate(fields, current);
      setErrors(found);
      if (Object.keys(found).length === 0) resume.mutate();
    }}>
      <InputsForm fields={fields} values={current} errors={errors} onChange={(id, v) => setValues({ ...current, [id]: v })} />
      {resume.isError && <ErrorMessage error={resume.error} />}
      <button type="submit" className="primary" disabled={resume.isPending}>Resume execution</button>
    </form>
  );
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

function Overview({ execution: x }: { execution: Execution }) {
  const graph = useQuery({ queryKey: ["graph", x.namespace, x.flowId], queryFn: () => flowGraph(x.namespace, x.flowId) });
  const states = Object.fromEntries(x.taskRunList.map((r) => [r.taskId, r.state.current]));
  return (
    <>
      <dl className="summary">
        <div><dt>Flow</dt><dd><Link to={`/flows/${x.namespace}/${x.flowId}`}>{x.namespace}.{x.flowId}</Link> (revision {x.flowRevision})</dd></div>
        <div><dt>Started</dt><dd>{formatDate(x.state.startDate)}</dd></div>
        <div><dt>Duration</dt><dd>{duration(x.state.startDate, TERMINAL_STATES.has(x.state.current) ? x.state.endDate : null)}</dd></div>
        {x.labels.length > 0 && <div><dt>Labels</dt><dd>{x.labels.map((l) => `${l.key}:${l.value}`).join(", ")}</dd></div>}
      </dl>
      <div className="columns">
        <Values title="Inputs" values={x.inputs} />
        <Values title="Outputs" values={x.outputs} />
      </div>
      <h2>Task runs</h2>
      <table className="list">
        <caption className="sr-only">Task runs</caption>
        <thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Attempts</th></tr></thead>
        <tbody>
          {x.taskRunList.map((r) => (
            <tr key={r.id} data-task={r.taskId}>
              <td>{r.taskId}{r.value != null ? ` [${r.value}]` : ""}</td>
              <td><StateBadge state={r.state.current} /></td>
              <td>{formatDate(r.state.startDate)}</td>
              <td>{duration(r.state.startDate, r.state.endDate)}</td>
              <td>{r.attempts.length}</td>
            </tr>
          ))}
          {x.taskRunList.length === 0 && <tr><td colSpan={5} className="muted">No task has started yet.</td></tr>}
        </tbody>
      </table>
      {graph.data && (<><h2>Topology</h2><Topology graph={graph.data} states={states} /></>)}
    </>
  );
}

function Logs({ executionId }: { executionId: string }) {
  const logs = useQuery({ queryKey: ["logs", executionId], queryFn: () => executionLogs(executionId) });
  if (logs.isError) return <ErrorMessage error={logs.error} />;
  if (!logs.data) return <Loading what="logs" />;
  return (
    <div className="logs" role="log" aria-label="Logs">
      {logs.data.length === 0 && <p className="muted">No log line yet.</p>}
      {logs.data.map((line, i) => (
        <div key={i} className={`log log-${line.level.toLowerCase()}`}>
          <time dateTime={line.timestamp}>{new Date(line.timestamp).toLocaleTimeString()}</time>
          <span className="level">{line.level}</span>
          <span className="task">{line.taskId ?? ""}</span>
          <span className="message">{line.message}</span>
        </div>
      ))}
    </div>
  );
}
