import { useMutation } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { createExecution } from "../api/client";
import type { Flow } from "../api/types";
import { fieldsFor, initialValues, toFormData, validate, type FormValues } from "../lib/inputs";
import { InputsForm } from "./InputsForm";
import { ErrorMessage } from "./Messages";

/** The modal "Execute" form of a flow; on success it opens the new execution's page. */
export function ExecuteDialog({ flow, onClose }: { flow: Flow; onClose: () => void }) {
  const fields = useMemo(() => fieldsFor(flow.inputs), [flow.inputs]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const dialog = useRef<HTMLDialogElement>(null);
  const navigate = useNavigate();
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
        {run.isError && <ErrorMessage error={run.error} />}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={run.isPending}>{run.isPending ? "Starting…" : "Execute"}</button>
        </div>
      </form>
    </dialog>
  );
}
