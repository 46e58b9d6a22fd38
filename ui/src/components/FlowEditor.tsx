// The YAML editor: a plain textarea with line numbers, live validation against the server (markers at the
// line the server names), and save. Loaded on demand (see App.tsx and FlowPage.tsx).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { createFlow, updateFlow, validateFlow } from "../api/client";
import type { ErrorDetail, Flow } from "../api/types";
import { ErrorMessage } from "./Messages";

interface Props {
  initialSource: string;
  /** The flow being edited; absent for a new flow. */
  flow?: { namespace: string; id: string };
  onSaved: (flow: Flow) => void;
}

export type Problem = ErrorDetail;

/** Problems from POST /flows/validate, each with its line (null when the server gave none). */
export function problemsOf(results: { details: ErrorDetail[]; constraints: string | null }[]): Problem[] {
  return results.flatMap((r) =>
    r.details.length > 0 ? r.details
      : r.constraints ? [{ path: "", message: r.constraints, line: null, column: null }] : []);
}

function useValidation(source: string) {
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      setChecking(true);
      try {
        setProblems(problemsOf(await validateFlow(source, controller.signal)));
      } catch (error) {
        if (!controller.signal.aborted) {
          setProblems([{ path: "", message: `could not validate: ${(error as Error).message}`, line: null, column: null }]);
        }
      } finally {
        if (!controller.signal.aborted) setChecking(false);
      }
    }, 300);
    return () => { clearTimeout(timer); controller.abort(); };
  }, [source]);
  return { problems, checking };
}

export default function FlowEditor({ initialSource, flow, onSaved }: Props) {
  const [source, setSource] = useState(initialSource);
  const [saved, setSaved] = useState<Flow | null>(null);
  const { problems, checking } = useValidation(source);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLPreElement>(null);
  const client = useQueryClient();
  const lineCount = useMemo(() => source.split("\n").length, [source]);
  const badLines = useMemo(() => {
    const lines = new Map<number, string>();
    for (const p of problems) if (p.line) lines.set(p.line, [lines.get(p.line), p.message].filter(Boolean).join("; "));
    return lines;
  }, [problems]);

  const save = useMutation({
    mutationFn: () => (flow ? updateFlow(flow.namespace, flow.id, source) : createFlow(source)),
    onSuccess: (result) => {
      setSaved(result);
      client.invalidateQueries({ queryKey: ["flow", result.namespace, result.id] });
      client.invalidateQueries({ queryKey: ["graph", result.namespace, result.id] });
      client.invalidateQueries({ queryKey: ["flows"] });
      onSaved(result);
    },
  });

  const goToLine = (line: number) => {
    const area = textarea.current;
    if (!area) return;
    const lines = source.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };

  return (
    <div className="editor">
      <div className="editor-toolbar">
        <span role="status" aria-live="polite" className="muted">
          {checking ? "Validating…" : problems.length === 0 ? "✓ Valid flow" : `${problems.length} problem${problems.length > 1 ? "s" : ""}`}
        </span>
        {saved && !save.isPending && <span role="status" className="ok">Saved revision {saved.revision}</span>}
        <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
      <div className="editor-body">
        <pre className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => {
            const message = badLines.get(i + 1);
            return (
              <span key={i} className={message ? "bad" : undefined} title={message} data-line={i + 1}>
                {i + 1}{"\n"}
              </span>
            );
          })}
        </pre>
        <textarea
          ref={textarea}
          aria-label="Flow YAML source"
          aria-invalid={problems.length > 0}
          aria-describedby="editor-problems"
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          wrap="off"
          value={source}
          onChange={(e) => { setSource(e.target.value); setSaved(null); }}
          onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; }}
          onKeyDown={(e) => {
            if (e.key === "Tab" && !e.shiftKey) {
              // Two spaces, as YAML wants; Shift+Tab still leaves the editor for keyboard users.
              e.preventDefault();
              const area = e.currentTarget;
              const { selectionStart, selectionEnd } = area;
              const next = source.slice(0, selectionStart) + "  " + source.slice(selectionEnd);
              setSource(next);
              requestAnimationFrame(() => area.setSelectionRange(selectionStart + 2, selectionStart + 2));
            } else if ((e.ctrlKey || e.metaKey) && e.key === "s") {
              e.preventDefault();
              save.mutate();
            }
          }}
        />
      </div>
      <ul id="editor-problems" className="problems" aria-label="Validation problems">
        {problems.map((p, i) => (
          <li key={i}>
            {p.line ? (
              <button type="button" className="link" onClick={() => goToLine(p.line!)}>Line {p.line}</button>
            ) : null}
            {p.line ? ": " : ""}
            {p.path && <code>{p.path}</code>}{p.path ? " " : ""}{p.message}
          </li>
        ))}
      </ul>
      {save.isError && <ErrorMessage error={save.error} />}
    </div>
  );
}
