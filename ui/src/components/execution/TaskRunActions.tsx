import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import type { Execution } from "../../api/models";
import { changeTaskRunState, replayExecution } from "../../api/operations";
import { ErrorMessage } from "../Messages";

export const FINAL_STATES = ["SUCCESS", "WARNING", "FAILED", "KILLED", "SKIPPED"];
type Step = "closed" | "menu" | "state" | "replay";

interface Props {
  execution: Execution;
  taskRunId: string;
  name: string;
  current: string;
  mayChange: boolean;
  mayReplay: boolean;
  /** The execution as the server answered the state change. */
  onChanged: (result: Execution) => void;
}

/** The risky per-task controls of an ended execution (set a task run's state, replay from it), folded behind one
 * "Task actions" button; each asks for a confirmation that says what will happen. */
export function TaskRunActions({ execution, taskRunId, name, current, mayChange, mayReplay, onChanged }: Props) {
  const [step, setStep] = useState<Step>("closed");
  const [state, setState] = useState(current === "FAILED" ? "SUCCESS" : "FAILED");
  const menuId = useId();
  const navigate = useNavigate();
  const change = useMutation({
    mutationFn: () => changeTaskRunState(execution.id, taskRunId, state),
    onSuccess: (result) => { setStep("closed"); onChanged(result); },
  });
  const replay = useMutation({
    mutationFn: () => replayExecution(execution.id, taskRunId),
    onSuccess: (x) => navigate(`/executions/${x.id}`),
  });
  if (!mayChange && !mayReplay) return null;
  return (
    <div className="task-actions">
      {/* Named "Task actions" and described by the task's cell, so that the row's task name stays unique. */}
      <button type="button" className="ghost" aria-expanded={step !== "closed"} aria-controls={menuId}
        aria-label="Task actions" aria-describedby={`task-${taskRunId}`} onClick={() => setStep(step === "closed" ? "menu" : "closed")}>⋯</button>
      {step === "menu" && (
        <ul id={menuId} className="task-menu" aria-label={`Actions for ${name}`}>
          {mayChange && <li><button type="button" className="link" onClick={() => setStep("state")}>Change state…</button></li>}
          {mayReplay && <li><button type="button" className="link" onClick={() => setStep("replay")}>Replay from here…</button></li>}
        </ul>
      )}
      {step === "state" && (
        <form id={menuId} className="card confirm" role="alertdialog" aria-label={`Change the state of ${name}`}
          onSubmit={(e) => { e.preventDefault(); change.mutate(); }}>
          <p>Set <code>{name}</code> (now {current}) to another final state; the execution carries on from there.</p>
          <label>New state{" "}
            <select value={state} onChange={(e) => setState(e.target.value)}>
              {FINAL_STATES.filter((s) => s !== current).map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>{" "}
          <button type="submit" className="primary" disabled={change.isPending}>Set state</button>{" "}
          <button type="button" onClick={() => setStep("closed")}>Cancel</button>
          {change.isError && <ErrorMessage error={change.error} />}
        </form>
      )}
      {step === "replay" && (
        <div id={menuId} className="card confirm" role="alertdialog" aria-label={`Replay from ${name}`}>
          <p>Start a new execution that keeps the outputs of the task runs before <code>{name}</code> and runs again from it?</p>
          <button type="button" className="primary" disabled={replay.isPending} onClick={() => replay.mutate()}>Replay from here</button>{" "}
          <button type="button" onClick={() => setStep("closed")}>Cancel</button>
          {replay.isError && <ErrorMessage error={replay.error} />}
        </div>
      )}
    </div>
  );
}
