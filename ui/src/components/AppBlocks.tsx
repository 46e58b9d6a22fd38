// The blocks of an app's stage, as its page draws them. The page owns what the forms hold and what the buttons do;
// a preview (the editor) draws the same blocks with every action off.
import { useEffect } from "react";
import { appFileUrl, type Block } from "../api/apps";
import { chartPoints, fileName, redirectTarget, shown } from "../lib/apps";
import type { Field, FieldValue, FormValues } from "../lib/inputs";
import { InputsForm } from "./InputsForm";
import { Markdown } from "./Markdown";

export interface FormState {
  fields: Field[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (id: string, value: FieldValue) => void;
}

export interface BlockActions {
  appId: string;
  executionId: string | null;
  /** The form of the stage (create on OPEN, resume on PAUSE), when it has one. */
  form: FormState | null;
  busy: boolean;
  preview: boolean;
  onCreate: () => void;
  onResume: () => void;
  onCancel: () => void;
}

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);

export function AppBlocks({ blocks, actions }: { blocks: Block[]; actions: BlockActions }) {
  return (
    <div className="app-blocks">
      {blocks.map((block, i) => <AppBlock key={`${block.type}-${i}`} block={block} actions={actions} />)}
    </div>
  );
}

/** Kestra's Grid: its blocks left to right in `columns` columns, each spanning `span` of them; one column on
 * narrow screens (pages.css). */
function Grid({ block, actions }: { block: Block; actions: BlockActions }) {
  const columns = Number(block.columns ?? 2);
  return (
    <div className={`app-grid app-gap-${text(block.gap, "MEDIUM").toLowerCase()}`}
      style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {((block.blocks as Block[]) ?? []).map((inner, i) => (
        <div key={`${inner.type}-${i}`} style={{ gridColumn: `span ${Math.min(columns, Number(inner.span ?? 1))}` }}>
          <AppBlock block={inner} actions={actions} />
        </div>
      ))}
    </div>
  );
}

function ActionButton({ block, label, onClick, actions }:
  { block: Block; label: string; onClick: () => void; actions: BlockActions }) {
  const style = text(block.style, "DEFAULT").toLowerCase();
  const size = text(block.size, "DEFAULT").toLowerCase();
  return (
    <button type="button" className={`app-button app-${style} app-size-${size}`}
      disabled={actions.preview || actions.busy} onClick={onClick}>
      {text(block.text, label)}
    </button>
  );
}

function FileLink({ uri, actions }: { uri: string; actions: BlockActions }) {
  if (!actions.executionId || actions.preview) return <span>{fileName(uri)}</span>;
  return <a href={appFileUrl(actions.appId, actions.executionId, uri)} download={fileName(uri)}>Download {fileName(uri)}</a>;
}

function Values({ values, label, actions }:
  { values: { id: string; value: unknown; file: boolean }[]; label: string; actions: BlockActions }) {
  if (values.length === 0) return <p className="muted">No {label.toLowerCase()}.</p>;
  return (
    <dl className="app-values" aria-label={label}>
      {values.map((v) => (
        <div key={v.id}>
          <dt>{v.id}</dt>
          <dd>{v.file && typeof v.value === "string" ? <FileLink uri={v.value} actions={actions} /> : <pre>{shown(v.value)}</pre>}</dd>
        </div>
      ))}
    </dl>
  );
}

function Redirect({ block, preview }: { block: Block; preview: boolean }) {
  const target = redirectTarget(block.url);
  const delay = Number(block.delaySeconds ?? 0);
  useEffect(() => {
    if (preview || !target) return;
    const timer = window.setTimeout(() => window.location.assign(target), delay * 1000);
    return () => window.clearTimeout(timer);
  }, [target, delay, preview]);
  if (!target) return <p className="problems">This app redirects to an address it may not open.</p>;
  return <p className="muted">Redirecting to <a href={target}>{target}</a>{delay > 0 ? ` in ${delay} s` : ""}…</p>;
}

function Chart({ block }: { block: Block }) {
  const points = chartPoints(block.rows, text(block.x), text(block.y));
  const title = text(block.title, "Chart");
  if (block.error) return <p className="problems">{text(block.error)}</p>;
  const max = Math.max(1, ...points.map((p) => p.value));
  const total = points.reduce((sum, p) => sum + p.value, 0) || 1;
  return (
    <figure className="app-chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      {block.chartType === "PIE" ? (
        <ul className="dash-legend">{points.map((p) => <li key={p.label}>{p.label}: {Math.round((p.value / total) * 100)} %</li>)}</ul>
      ) : (
        <svg role="img" aria-label={`${title}: ${points.map((p) => `${p.label} ${p.value}`).join(", ")}`}
          viewBox={`0 0 ${Math.max(1, points.length) * 40} 120`} className="dash-bars">
          {block.chartType === "LINE"
            ? <polyline fill="none" stroke="currentColor" strokeWidth={2}
              points={points.map((p, i) => `${i * 40 + 20},${110 - (p.value / max) * 100}`).join(" ")} />
            : points.map((p, i) => <rect key={p.label} x={i * 40 + 4} y={110 - (p.value / max) * 100} width={32}
              height={(p.value / max) * 100} className="app-bar"><title>{`${p.label}: ${p.value}`}</title></rect>)}
        </svg>
      )}
    </figure>
  );
}

function AppBlock({ block, actions }: { block: Block; actions: BlockActions }) {
  switch (block.type) {
    case "Markdown":
      return <Markdown text={text(block.content)} className="markdown app-markdown" />;
    case "Alert":
      return (
        <div role={block.style === "ERROR" ? "alert" : "status"} className={`app-alert app-alert-${text(block.style, "INFO").toLowerCase()}`}>
          {block.showIcon !== false && <span aria-hidden="true" className="app-alert-icon">{ICONS[text(block.style, "INFO")] ?? "ℹ"}</span>}
          <Markdown text={text(block.content)} className="markdown" />
        </div>
      );
    case "Button":
      return <a className={`app-button app-${text(block.style, "DEFAULT").toLowerCase()}`} href={redirectTarget(block.url) ?? "#"}>{text(block.text)}</a>;
    case "Loading":
      return <p role="status" className="app-loading"><span className="app-spinner" aria-hidden="true" /> Working on it…</p>;
    case "RedirectTo":
      return <Redirect block={block} preview={actions.preview} />;
    case "Chart":
      return <Chart block={block} />;
    case "CreateExecutionForm":
    case "ResumeExecutionForm":
      return actions.form
        ? <InputsForm fields={actions.form.fields} values={actions.form.values} errors={actions.form.errors} onChange={actions.form.onChange} />
        : null;
    case "CreateExecutionButton":
      return <ActionButton block={block} label="Submit" onClick={actions.onCreate} actions={actions} />;
    case "ResumeExecutionButton":
      return <ActionButton block={block} label="Resume" onClick={actions.onResume} actions={actions} />;
    case "CancelExecutionButton":
      return <ActionButton block={block} label="Cancel" onClick={actions.onCancel} actions={actions} />;
    case "Inputs":
      return <Values values={(block.values as never[]) ?? []} label="Inputs" actions={actions} />;
    case "Outputs":
      return <Values values={(block.values as never[]) ?? []} label="Outputs" actions={actions} />;
    case "Logs":
      return <Logs lines={(block.lines as LogLine[]) ?? []} />;
    case "TaskOutputs":
      return <TaskOutputs outputs={(block.outputs as TaskOutput[]) ?? []} actions={actions} />;
    case "Grid":
      return <Grid block={block} actions={actions} />;
    default:
      return null;
  }
}

const ICONS: Record<string, string> = { SUCCESS: "✓", WARNING: "⚠", ERROR: "✕", INFO: "ℹ" };

interface LogLine { timestamp: string; level: string; taskId: string | null; message: string }

function Logs({ lines }: { lines: LogLine[] }) {
  if (lines.length === 0) return <p className="muted">No log lines yet.</p>;
  return (
    <ol className="app-logs" aria-label="Logs">
      {lines.map((l, i) => (
        <li key={i} className={`log-${l.level.toLowerCase()}`}>
          <span className="muted">{l.timestamp.slice(11, 19)}</span> <strong>{l.level}</strong>
          {l.taskId ? <span className="muted"> {l.taskId}</span> : null} {l.message}
        </li>
      ))}
    </ol>
  );
}

interface TaskOutput { displayName: string; type: string; value: unknown; file: boolean }

function TaskOutputs({ outputs, actions }: { outputs: TaskOutput[]; actions: BlockActions }) {
  return (
    <dl className="app-values" aria-label="Task outputs">
      {outputs.map((o, i) => (
        <div key={i}>
          <dt>{o.displayName}</dt>
          <dd>
            {o.file && typeof o.value === "string" ? <FileLink uri={o.value} actions={actions} />
              : o.type === "HTML" ? <Markdown text={shown(o.value)} /> : <pre>{shown(o.value)}</pre>}
          </dd>
        </div>
      ))}
    </dl>
  );
}
