// An app's editor: its YAML beside a preview of the blocks of a chosen stage (the server resolves them as the
// app's page would, without an execution), saved with located problems; `/apps/new` starts from an example.
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { createApp, deleteApp, getApp, previewApp, updateApp, type AppView, type Block } from "../api/apps";
import { ConfirmButton } from "../components/admin/common";
import { AppBlocks } from "../components/AppBlocks";
import { ErrorMessage, Loading } from "../components/Messages";
import { STAGES, formInputs } from "../lib/apps";
import { fieldsFor, initialValues } from "../lib/inputs";
import { Problems, YamlEditor, detailsOf } from "../components/YamlEditor";
import { useDebounced } from "../lib/useDebounced";
import "../pages.css";

const PREVIEW_DELAY = 400; // ms after the last key

export const EXAMPLE = `id: hello_app
type: io.kestra.plugin.ee.apps.Execution
displayName: Say hello
namespace: tutorial
flowId: hello
access:
  type: PRIVATE
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Markdown
        content: "## Say hello"
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Submit
  - on: RUNNING
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Loading
  - on: SUCCESS
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Alert
        style: SUCCESS
        content: Done!
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
`;

/** The blocks of one stage of the app being written, resolved by the server as the app's page would, without an
 * execution; a YAML the server refuses shows its located problems instead (they are marked in the editor too). */
function Preview({ preview, stage }: { preview: UseQueryResult<AppView>; stage: string }) {
  if (preview.isError) return <Problems error={preview.error} />;
  if (!preview.data) return <Loading what="the preview" />;
  const blocks = preview.data.blocks as Block[];
  const inputs = formInputs(blocks, "CreateExecutionForm") ?? formInputs(blocks, "ResumeExecutionForm");
  const fields = fieldsFor(inputs ?? []);
  return (
    <div className="app-page app-preview" aria-label="Preview" data-stage={stage}>
      <h2>{preview.data.app.displayName}</h2>
      {blocks.length === 0 && <p className="muted">No blocks on {stage}.</p>}
      <AppBlocks blocks={blocks} actions={{
        appId: preview.data.app.id, executionId: null, busy: false, preview: true,
        form: inputs ? { fields, values: initialValues(fields), errors: {}, onChange: () => undefined } : null,
        onCreate: () => undefined, onResume: () => undefined, onCancel: () => undefined,
      }} />
    </div>
  );
}

export default function AppEditorPage() {
  const { appId } = useParams();
  const creating = appId === undefined;
  const navigate = useNavigate();
  const client = useQueryClient();
  const app = useQuery({ queryKey: ["app", appId], queryFn: () => getApp(appId!), enabled: !creating });
  const [source, setSource] = useState<string | null>(creating ? EXAMPLE : null);
  const [stage, setStage] = useState<string>("OPEN");
  const shown = { source: useDebounced(source ?? "", PREVIEW_DELAY), stage: useDebounced(stage, PREVIEW_DELAY) };
  const preview = useQuery({
    queryKey: ["app-preview", shown.source, shown.stage], queryFn: () => previewApp(shown.source, shown.stage),
    enabled: source !== null, retry: false,
  });
  const [sent, setSent] = useState<string | null>(null);
  useEffect(() => {
    if (app.data && source === null) setSource(app.data.sourceCode ?? "");
  }, [app.data, source]);
  const save = useMutation({
    mutationFn: (yaml: string) => (creating ? createApp(yaml) : updateApp(appId!, yaml)),
    onSuccess: (saved) => {
      client.setQueryData(["app", saved.id], saved);
      void client.invalidateQueries({ queryKey: ["apps"] });
      void client.invalidateQueries({ queryKey: ["app-catalog"] });
      if (creating) navigate(`/apps/${encodeURIComponent(saved.id)}/edit`);
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteApp(appId!),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["apps"] });
      navigate("/apps");
    },
  });
  if (app.isError) return <ErrorMessage error={app.error} />;
  if (source === null) return <Loading what="the app" />;
  return (
    <section>
      <div className="page-head">
        <h1>{creating ? "New app" : app.data?.displayName ?? appId}</h1>
        {!creating && app.data && <a className="button" href={app.data.url}>Open app</a>}
        {!creating && <Link to={`/executions?label=${encodeURIComponent(`system.app:${appId}`)}`}>Executions of this app</Link>}
        {!creating && <ConfirmButton label="Delete" what={`app ${appId}`} onConfirm={() => remove.mutate()} />}
        <Link to="/apps">All apps</Link>
      </div>
      <div className="app-editor">
        <div>
          <YamlEditor label="App YAML" uri={`file:///legato-apps/${encodeURIComponent(appId ?? "new")}.yaml`}
            value={source} onChange={setSource}
            problems={detailsOf(save.error && sent === source ? save.error : preview.error)} />
          <Problems error={(sent === source ? save.error : null) ?? remove.error} />
          {save.isSuccess && !save.isPending && <p role="status" className="muted">Saved.</p>}
          <div className="actions">
            <button type="button" onClick={() => { setSent(source); save.mutate(source); }} disabled={save.isPending}>Save</button>
          </div>
        </div>
        <div>
          <label className="inline">
            Stage{" "}
            <select value={stage} onChange={(e) => setStage(e.target.value)}>
              {STAGES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <Preview preview={preview} stage={shown.stage} />
        </div>
      </div>
    </section>
  );
}
