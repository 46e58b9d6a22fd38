// The code editor of the short YAML documents beside flows (apps, dashboards): Monaco, as for flows, with the
// server's checks shown at their lines while typing; they never block Save (the save's own answer is the verdict).
import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { CodeEditor } from "../editor/CodeEditor";
import { markersOf, type Problem } from "../editor/markers";
import { monaco } from "../editor/monaco";
import { ErrorMessage } from "./Messages";
import "../editor/editor.css";

const LINE_EM = 1.5; // Monaco's line height at the default font size, in em of the page

/** `uri` names the document (its own model; no flow schema applies); `problems` are marked at their lines. */
export function YamlEditor({ label, uri, value, onChange, problems = [] }: {
  label: string; uri: string; value: string; onChange: (v: string) => void; problems?: readonly Problem[];
}) {
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const ready = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  useEffect(() => {
    const model = editor?.getModel();
    if (model) monaco.editor.setModelMarkers(model, "legato", markersOf(problems, model.getLinesContent()));
  }, [editor, problems]);
  const lines = Math.min(40, Math.max(12, value.split("\n").length + 1));
  return (
    <div className="stack">
      <span aria-hidden="true">{label}</span>
      <div className="yaml-document" style={{ height: `${lines * LINE_EM}em` }}>
        <CodeEditor uri={uri} initialValue={value} ariaLabel={label} className="code-editor fill"
          onReady={(e) => { ready.current = e; setEditor(e); }} onChange={() => onChange(ready.current!.getValue())} />
      </div>
    </div>
  );
}

/** The located problems of a refused check or save (none for an error of another kind). */
export function detailsOf(error: unknown): Problem[] {
  return error instanceof ApiError ? error.details : [];
}

/** A save's error: each problem at its YAML line and path. */
export function Problems({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError && error.details.length > 0) {
    return (
      <ul role="alert" className="problems">
        {error.details.map((d, i) => <li key={i}>{d.line ? `line ${d.line}: ` : ""}{d.path}: {d.message}</li>)}
      </ul>
    );
  }
  return <ErrorMessage error={error} />;
}
