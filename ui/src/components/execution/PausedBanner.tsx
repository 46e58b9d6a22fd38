import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { getFlow, resumeExecution } from "../../api/client";
import type { Execution, FlowInput, Task } from "../../api/models";
import { fieldsFor, initialValues, toFormData, validate, type FormValues } from "../../lib/inputs";
import { InputsForm } from "../InputsForm";
import { ErrorMessage, Loading } from "../Messages";
import { When } from "../When";

/** The task `id` anywhere in a flow's task tree (inside Parallel, If, Switch branches...). */
export function findTask(tasks: unknown, id: string): Task | undefined {
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

/** An ISO-8601 duration (PT1H30M, P1D) in milliseconds; null for anything else (an expression...). */
export function isoDurationMs(text: unknown): number | null {
  if (typeof text !== "string") return null;
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === "P" || text.trim().endsWith("T")) return null;
  const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}

const BEHAVIOR: Record<string, string> = {
  RESUME: "it resumes by itself", WARN: "it ends in WARNING", FAIL: "it fails", CANCEL: "it is cancelled",
};

/** What a paused execution waits for, said in words, with the Resume form (the Pause's onResume inputs). */
export function PausedBanner({ execution, canResume, onResumed }: { execution: Execution; canResume: boolean; onResumed: () => void }) {
  const flow = useQuery({
    queryKey: ["flow", execution.namespace, execution.flowId, execution.flowRevision],
    queryFn: () => getFlow(execution.namespace, execution.flowId),
  });
  const paused = execution.taskRunList.find((r) => r.state.current === "PAUSED");
  const task = paused ? findTask(flow.data?.tasks, paused.taskId) : undefined;
  const since = [...(paused?.state.histories ?? [])].reverse().find((h) => h.state === "PAUSED")?.date ?? paused?.state.startDate;
  const wait = task ? (task.pauseDuration ?? task.delay ?? task.timeout) : undefined;
  const waitMs = isoDurationMs(wait);
  const until = since && waitMs != null ? new Date(new Date(since).getTime() + waitMs).toISOString() : null;
  const byItself = !!task && (task.pauseDuration ?? task.delay) != null;
  const behavior = BEHAVIOR[String(task?.behavior ?? "RESUME")] ?? "it resumes by itself";
  return (
    <section className="card paused-banner" aria-labelledby="paused-title">
      <h2 id="paused-title">Paused</h2>
      {!paused && <p>An operator paused this execution: it waits for someone to resume it.</p>}
      {paused && (
        <p>
          Task <code>{paused.taskId}</code> paused the execution
          {byItself
            ? <>: it waits {until ? <>until <When iso={until} /></> : <>for <code>{String(wait)}</code></>}, then {behavior}, unless someone resumes it sooner.</>
            : <>: it waits for someone to resume it{task?.timeout != null && <> (at most {until ? <>until <When iso={until} /></> : <code>{String(task.timeout)}</code>}, then {behavior})</>}.</>}
        </p>
      )}
      {canResume && (flow.isPending ? <Loading what="the resume form" />
        : <ResumeForm execution={execution} onResume={task?.onResume as FlowInput[] | undefined} onDone={onResumed} />)}
    </section>
  );
}

function ResumeForm({ execution, onResume, onDone }: { execution: Execution; onResume: FlowInput[] | undefined; onDone: () => void }) {
  const fields = useMemo(() => fieldsFor(onResume), [onResume]);
  const [values, setValues] = useState<FormValues | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const current = values ?? initialValues(fields);
  const resume = useMutation({ mutationFn: () => resumeExecution(execution.id, toFormData(fields, current)), onSuccess: onDone });
  return (
    <form aria-label="Resume" noValidate onSubmit={(e) => {
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
