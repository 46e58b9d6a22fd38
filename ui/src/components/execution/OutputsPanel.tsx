import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { evaluate, fileDownloadUrl, filePreview } from "../../api/operations";
import type { Execution } from "../../api/models";
import { fileName, outputTree, type OutputNode } from "../../lib/outputs";
import { ErrorMessage, Loading } from "../Messages";

/** Every task run's outputs as a tree; files can be previewed (table, text or image) and downloaded; an
 * expression console renders `{{ }}` as a chosen task run would. The open file is in the URL (`?file=`). */
export function OutputsPanel({ execution }: { execution: Execution }) {
  const nodes = useMemo(() => outputTree(execution), [execution]);
  const [params, setParams] = useSearchParams();
  const file = params.get("file");
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const open = (uri: string | null) => {
    const next = new URLSearchParams(params);
    if (uri) next.set("file", uri);
    else next.delete("file");
    setParams(next, { replace: true });
  };
  const hidden = (node: OutputNode) => [...collapsed].some((p) => node.path !== p && (node.path.startsWith(`${p}.`) || node.path.startsWith(`${p}[`)));
  return (
    <div className="outputs-layout">
      <div>
        <h2>Outputs</h2>
        {nodes.length === 0 && <p className="muted">No task run has outputs.</p>}
        <ul className="tree" role="tree" aria-label="Outputs">
          {nodes.filter((n) => !hidden(n)).map((node) => (
            <li key={node.path} role="treeitem" aria-level={node.depth + 1} aria-expanded={node.text === null ? !collapsed.has(node.path) : undefined}
              style={{ paddingLeft: `${node.depth * 1.1}rem` }} data-path={node.path}>
              {node.text === null ? (
                <button type="button" className="link" onClick={() => setCollapsed((c) => {
                  const next = new Set(c);
                  if (next.has(node.path)) next.delete(node.path);
                  else next.add(node.path);
                  return next;
                })}>{collapsed.has(node.path) ? "▸" : "▾"} {node.name}</button>
              ) : (
                <>
                  <span className="key">{node.name}</span>{" "}
                  {node.file ? (
                    <span className="file">
                      <code>{fileName(node.text)}</code>{" "}
                      <button type="button" onClick={() => open(node.text)} aria-label={`Preview ${fileName(node.text)}`}>Preview</button>{" "}
                      <a className="button" href={fileDownloadUrl(execution.id, node.text)} download aria-label={`Download ${fileName(node.text)}`}>Download</a>
                    </span>
                  ) : <code className="value">{node.text}</code>}
                </>
              )}
            </li>
          ))}
        </ul>
        <ExpressionConsole execution={execution} />
      </div>
      {file && <FilePreviewPanel executionId={execution.id} uri={file} onClose={() => open(null)} />}
    </div>
  );
}

function FilePreviewPanel({ executionId, uri, onClose }: { executionId: string; uri: string; onClose: () => void }) {
  const preview = useQuery({ queryKey: ["preview", executionId, uri], queryFn: () => filePreview(executionId, uri) });
  const name = fileName(uri);
  return (
    <section className="card preview" aria-label={`Preview of ${name}`}>
      <div className="page-head">
        <h2>{name}</h2>
        <a className="button" href={fileDownloadUrl(executionId, uri)} download>Download</a>
        <button type="button" onClick={onClose}>Close preview</button>
      </div>
      {preview.isError && <ErrorMessage error={preview.error} />}
      {preview.isPending && <Loading what="the preview" />}
      {preview.data && (
        <>
          <PreviewBody preview={preview.data} name={name} />
          <p className="muted">{preview.data.size} bytes{preview.data.truncated ? " · showing the beginning" : ""}</p>
        </>
      )}
    </section>
  );
}

function PreviewBody({ preview, name }: { preview: { type: string; content: unknown; extension: string }; name: string }) {
  if (preview.type === "IMAGE" && typeof preview.content === "string") {
    const mime = preview.extension === "svg" ? null : `image/${preview.extension === "jpg" ? "jpeg" : preview.extension}`;
    // SVG can carry scripts: never shown inline, only downloadable.
    if (!mime) return <p className="muted">SVG files are not previewed; download it instead.</p>;
    return <img className="preview-image" alt={name} src={`data:${mime};base64,${preview.content}`} />;
  }
  if (preview.type === "LIST" && Array.isArray(preview.content)) {
    const rows = preview.content as unknown[];
    const objects = rows.every((r) => r !== null && typeof r === "object" && !Array.isArray(r));
    const columns = objects ? [...new Set(rows.flatMap((r) => Object.keys(r as object)))] : ["value"];
    const cell = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    return (
      <div className="table-scroll">
        <table className="list">
          <caption className="sr-only">Rows of {name}</caption>
          <thead><tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>{objects ? columns.map((c) => <td key={c}>{cell((r as Record<string, unknown>)[c])}</td>) : <td>{cell(r)}</td>}</tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  if (preview.type === "TEXT") return <pre className="preview-text">{String(preview.content ?? "")}</pre>;
  return <p className="muted">This file type has no preview; download it instead.</p>;
}

function ExpressionConsole({ execution }: { execution: Execution }) {
  const runs = execution.taskRunList;
  const [taskRunId, setTaskRunId] = useState("");
  const [expression, setExpression] = useState("{{ outputs }}");
  const chosen = taskRunId || runs[runs.length - 1]?.id || "";
  const run = useMutation({ mutationFn: () => evaluate(execution.id, chosen, expression) });
  if (runs.length === 0) return null;
  return (
    <form className="card console" aria-label="Expression console" onSubmit={(e) => { e.preventDefault(); run.mutate(); }}>
      <h2>Expression console</h2>
      <label className="field">
        Evaluate as task run
        <select value={chosen} onChange={(e) => setTaskRunId(e.target.value)}>
          {runs.map((r) => <option key={r.id} value={r.id}>{r.taskId}{r.value != null ? ` [${r.value}]` : ""}</option>)}
        </select>
      </label>
      <label className="field">
        Expression
        <textarea rows={3} value={expression} onChange={(e) => setExpression(e.target.value)} spellCheck={false}
          onKeyDown={(e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run.mutate(); } }} />
      </label>
      <button type="submit" className="primary" disabled={run.isPending || !chosen}>Evaluate</button>
      {run.isError && <ErrorMessage error={run.error} />}
      {run.data && (run.data.error !== null
        ? <p role="alert" className="error">{run.data.error}</p>
        : <pre className="result" aria-label="Result">{run.data.result}</pre>)}
    </form>
  );
}
