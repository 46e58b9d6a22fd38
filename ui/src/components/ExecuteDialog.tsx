import { useMutation } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, createExecution, validateInputs } from "../api/client";
import type { CheckMessage, Flow } from "../api/models";
import { fieldsFor, initialValues, toFormData, validate, type FormValues } from "../lib/inputs";
import { InputsForm } from "./InputsForm";
import { ErrorMessage } from "./Messages";

const CHECK_DELAY = 400;

/** The flow's checks that fail for `values`, asked of the server a moment after the last change (only when
 * the flow has checks and the form itself is valid). Blocking ones come back as a 422: shown as errors. */
function useFlowChecks(flow: Flow, fields: ReturnType<typeof fieldsFor>, values: FormValues): CheckMessage[] {
  const [checks, setChecks] = useState<CheckMessage[]>([]);
  const hasChecks = (flow.checks?.length ?? 0) > 0;
  useEffect(() => {
    if (!hasChecks || Object.keys(validate(fields, values)).length > 0) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      validateInputs(flow.namespace, flow.id, toFormData(fields, values), controller.signal)
        .then((result) => setChecks(result.checks))
        .catch((error) => {
          if (controller.signal.aborted) return;
          const blocking = error instanceof ApiError && error.status === 422 && error.message.startsWith("the flow's checks");
          setChecks(blocking ? error.details.map((d) => ({ message: d.message, style: "ERROR" as const })) : []);
        });
    }, CHECK_DELAY);
    return () => { clearTimeout(timer); controller.abort(); };
  }, [hasChecks, flow.namespace, flow.id, fields, values]);
  return checks;
}

/** The modal "Execute" form of a flow; on success it opens the new execution's page. */
export function ExecuteDialog({ flow, onClose }: { flow: Flow; onClose: () => void }) {
  const fields = useMemo(() => fieldsFor(flow.inputs), [flow.inputs]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const dialog = useRef<HTMLDialogElement>(null);
  const navigate = useNavigate();
  const checks = useFlowChecks(flow, fields, values);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal?.();
  }, []);

  const run = useMutation({
    mutationFn: () => createExecution(flow.namespace, flow.id, toFormData(fields, values)),
    onSuccess: (execution) => navigate(`/executions/${execution.id}`),
  });

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="execute-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const found = validate(fields, values);
          setErrors(found);
          if (Object.keys(found).length === 0) run.mutate();
        }}
      >
        <h2 id="execute-title">Execute {flow.namespace}.{flow.id}</h2>
        <InputsForm fields={fields} values={values} errors={errors}
          onChange={(id, value) => setValues((v) => ({ ...v, [id]: value }))} />
        {checks.length > 0 && (
          <ul className="checks" aria-label="Checks">
            {checks.map((c, i) => <li key={i} className={`check-${c.style.toLowerCase()}`}>{c.message}</li>)}
          </ul>
        )}
        {run.isError && <ErrorMessage error={run.error} />}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={run.isPending}>{run.isPending ? "Starting…" : "Execute"}</button>
        </div>
      </form>
    </dialog>
  );
}
