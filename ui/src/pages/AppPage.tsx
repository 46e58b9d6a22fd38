// An app's page, `/ui/{tenant}/apps/{appId}`: no editor chrome, only the blocks of the stage the app is at. It
// follows its execution live (Server-Sent Events) until it ends; the execution's id is in the address, so the
// page can be reloaded or shared.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import {
  cancelApp, followAppUrl, resumeApp, submitApp, viewApp, type AppView, type Block,
} from "../api/apps";
import { ApiError } from "../api/client";
import { AppBlocks, type FormState } from "../components/AppBlocks";
import { ErrorMessage } from "../components/Messages";
import { STAGE_TEXT, appRoute, following, formInputs, pagePath } from "../lib/apps";
import { CURRENT } from "../lib/tenant";
import { fieldsFor, initialValues, toFormData, validate, type FieldValue, type FormValues } from "../lib/inputs";
import "../pages.css";

/** Errors of a refused submit, by input id (the server names each bad input in `details`). */
function fieldErrors(error: unknown, ids: string[]): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const found: Record<string, string> = {};
  for (const d of error.details) {
    const id = ids.find((i) => d.path === i || d.path?.endsWith(`.${i}`) || d.path?.endsWith(`[${i}]`));
    if (id) found[id] = d.message;
  }
  return found;
}

function useForm(blocks: Block[], kind: "CreateExecutionForm" | "ResumeExecutionForm", key: string) {
  const inputs = formInputs(blocks, kind);
  const fields = useMemo(() => fieldsFor(inputs ?? []), [JSON.stringify(inputs)]); // eslint-disable-line react-hooks/exhaustive-deps
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  useEffect(() => { setValues(initialValues(fields)); setErrors({}); }, [fields, key]);
  const state: FormState = {
    fields, values, errors,
    onChange: (id: string, value: FieldValue) => setValues((v) => ({ ...v, [id]: value })),
  };
  return { present: inputs !== null, state, setErrors };
}

export default function AppPage() {
  const { appId = "" } = useParams();
  const tenant = CURRENT.tenant;
  const [params] = useSearchParams();
  const executionId = params.get("execution");
  const navigate = useNavigate();
  const client = useQueryClient();
  const key = ["app-view", appId, executionId];
  const view = useQuery({ queryKey: key, queryFn: () => viewApp(appId, executionId) });
  const data = view.data;
  const blocks = (data?.blocks ?? []) as Block[];

  useEffect(() => {
    if (!data || !executionId || !following(data) || typeof EventSource === "undefined") return;
    const source = new EventSource(followAppUrl(appId, executionId));
    const apply = (event: MessageEvent<string>) => client.setQueryData(key, JSON.parse(event.data) as AppView);
    source.addEventListener("progress", apply);
    source.addEventListener("end", (event) => { apply(event); source.close(); });
    source.onerror = () => { void client.invalidateQueries({ queryKey: key }); };
    return () => source.close();
  }, [appId, executionId, data?.ended, data?.execution?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (data) document.title = `${data.app.displayName} · Legato`;
  }, [data?.app.displayName]); // eslint-disable-line react-hooks/exhaustive-deps

  const create = useForm(blocks, "CreateExecutionForm", `${executionId}-${data?.shownStage}`);
  const resume = useForm(blocks, "ResumeExecutionForm", `${executionId}-${data?.shownStage}`);
  const form = data?.shownStage === "PAUSE" || resume.present ? resume : create;

  const act = useMutation({
    mutationFn: async (what: "create" | "resume" | "cancel"): Promise<AppView> => {
      if (what === "create") return submitApp(appId, toFormData(create.state.fields, create.state.values));
      if (!executionId) throw new Error("no execution to act on");
      if (what === "resume") return resumeApp(appId, executionId, toFormData(resume.state.fields, resume.state.values));
      return cancelApp(appId, executionId);
    },
    onSuccess: (next) => {
      const id = next.execution?.id ?? null;
      client.setQueryData(["app-view", appId, id], next);
      if (id !== executionId) navigate(appRoute(appId, id));
    },
    onError: (error, what) => {
      const target = what === "resume" ? resume : create;
      target.setErrors(fieldErrors(error, target.state.fields.map((f) => f.id)));
    },
  });

  const submit = (which: typeof create, what: "create" | "resume") => {
    const errors = validate(which.state.fields, which.state.values);
    which.setErrors(errors);
    if (Object.keys(errors).length === 0) act.mutate(what);
  };

  if (view.isError) return <main className="app-page"><ErrorMessage error={view.error} /></main>;
  if (!data) return <main className="app-page"><p role="status">Loading…</p></main>;
  return (
    <main className="app-page" data-stage={data.stage}>
      <header className="app-head">
        <h1>{data.app.displayName}</h1>
        {data.app.description && <p className="muted">{data.app.description}</p>}
        {data.execution && <p className="app-stage" role="status" aria-live="polite">{STAGE_TEXT[data.stage] ?? data.stage}</p>}
      </header>
      <AppBlocks blocks={blocks} actions={{
        appId, executionId, form: form.present ? form.state : null, busy: act.isPending, preview: false,
        onCreate: () => submit(create, "create"), onResume: () => submit(resume, "resume"),
        onCancel: () => act.mutate("cancel"),
      }} />
      {act.isError && Object.keys(form.state.errors).length === 0 && <ErrorMessage error={act.error} />}
      {data.execution && data.ended && (
        <p><a href={pagePath(tenant, appId, null)}>Start over</a></p>
      )}
    </main>
  );
}
