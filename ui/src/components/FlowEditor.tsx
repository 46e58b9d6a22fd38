// The flow editor (loaded on demand: see FlowPage.tsx and NewFlowPage.tsx). Monaco with monaco-yaml and the
// API's flow schema for completion and hover; live validation by the server shown as markers; a side panel
// with the docs of the task under the cursor, a form editing that task, the live topology (a click on a task
// edits it or adds a task next to it) and the namespace files; save creates a revision. The source lives in the
// Monaco model: typing re-renders nothing until the debounced checks.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useAiEnabled } from "../api/ai";
import { ApiError, createFlow, updateFlow, validateFlow } from "../api/client";
import type { ErrorDetail, Flow, FlowGraph } from "../api/models";
import { sourceGraph } from "../editor/api";
import { CodeEditor } from "../editor/CodeEditor";
import { CopilotPanel } from "../editor/CopilotPanel";
import { taskAtLine, type CursorTask } from "../editor/cursorTask";
import { DocsPanel } from "../editor/DocsPanel";
import { FilesPanel } from "../editor/FilesPanel";
import { markersOf, problemsOf, warningsOf, type Problem } from "../editor/markers";
import { SplitHandle, useSideWidth } from "../editor/SplitHandle";
import { revealTask } from "../editor/modelEdits";
import { TaskForm } from "../editor/TaskForm";
import { TopologyPanel } from "../editor/TopologyPanel";
import { brokenYaml, ensureFlowSchema, FLOW_FOLDER, monaco } from "../editor/monaco";
import { canIn, canSomewhere, READ_FILES, useMe } from "../lib/permissions";
import { ErrorMessage } from "./Messages";
import { Topology } from "./Topology";
import "../editor/editor.css";

export { problemsOf, type Problem };

interface Props {
  initialSource: string;
  /** The flow being edited; absent for a new flow. */
  flow?: { namespace: string; id: string };
  onSaved: (flow: Flow) => void;
}

const VALIDATE_DELAY = 350;
const CURSOR_DELAY = 200;
const PANELS = [
  { key: "docs", label: "Documentation" },
  { key: "form", label: "Form" },
  { key: "topology", label: "Topology" },
  { key: "files", label: "Files" },
] as const;
type Panel = (typeof PANELS)[number]["key"];

const namespaceOf = (source: string) => source.match(/^namespace:\s*["']?([a-z0-9][a-z0-9._-]*)/m)?.[1] ?? null;

/** Debounced server checks of the model's text: problems (as markers too) and, when valid, the graph. */
function useLiveChecks(editor: monaco.editor.IStandaloneCodeEditor | null) {
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(true);
  const [graph, setGraph] = useState<FlowGraph | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const inFlight = useRef<AbortController | null>(null);

  const check = useCallback(async () => {
    const model = editor?.getModel();
    if (!model) return;
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const source = model.getValue();
    const version = model.getVersionId();
    try {
      const results = await validateFlow(source, controller.signal);
      const found = problemsOf(results);
      if (controller.signal.aborted || model.isDisposed() || model.getVersionId() !== version) return;
      const lines = model.getLinesContent();
      monaco.editor.setModelMarkers(model, "legato",
        [...markersOf(found, lines), ...markersOf(warningsOf(results), lines, 4)]);
      setProblems(found);
      // A YAML syntax error is the one problem at the root with a line: completion then falls back (monaco.ts).
      if (found.some((p) => p.path === "" && p.line !== null)) brokenYaml.add(model.uri.toString());
      else brokenYaml.delete(model.uri.toString());
      if (found.length === 0) setGraph(await sourceGraph(source, controller.signal));
    } catch (error) {
      if (controller.signal.aborted) return;
      setProblems([{ path: "", message: `could not validate: ${(error as Error).message}`, line: null, column: null }]);
    } finally {
      if (!controller.signal.aborted) setChecking(false);
    }
  }, [editor]);

  const schedule = useCallback(() => {
    clearTimeout(timer.current);
    setChecking(true); // a no-op while already true: one re-render per burst of typing
    timer.current = setTimeout(check, VALIDATE_DELAY);
  }, [check]);

  useEffect(() => {
    if (editor) check();
    return () => { clearTimeout(timer.current); inFlight.current?.abort(); };
  }, [editor, check]);

  return { problems, checking, graph, schedule };
}

/** The task under the cursor, recomputed a moment after the cursor stops. */
function useCursorTask(editor: monaco.editor.IStandaloneCodeEditor | null) {
  const [task, setTask] = useState<CursorTask | null>(null);
  const position = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!editor) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      const model = editor.getModel();
      const at = editor.getPosition();
      if (!model || !at) return;
      const found = taskAtLine(model.getLinesContent(), at.lineNumber);
      setTask((old) => (old?.type === found?.type && old?.id === found?.id && old?.line === found?.line ? old : found));
    };
    // The position readout is written to the DOM directly: no React render per cursor move.
    const show = (at: monaco.IPosition | null) => {
      if (position.current && at) position.current.textContent = `Ln ${at.lineNumber}, Col ${at.column}`;
    };
    const listener = editor.onDidChangeCursorPosition((e) => {
      show(e.position);
      clearTimeout(timer);
      timer = setTimeout(update, CURSOR_DELAY);
    });
    show(editor.getPosition());
    update();
    return () => { clearTimeout(timer); listener.dispose(); };
  }, [editor]);
  return { task, position };
}

/** The problems of a refused save, each shown at its line inside the editor (after the line's text). */
function useSaveErrorMarks(editor: monaco.editor.IStandaloneCodeEditor | null, details: readonly ErrorDetail[]) {
  useEffect(() => {
    if (!editor || details.length === 0) return;
    const lines = editor.getModel()?.getLineCount() ?? 1;
    const byLine = new Map<number, string[]>();
    for (const d of details) {
      const line = Math.min(Math.max(d.line ?? 1, 1), lines);
      byLine.set(line, [...(byLine.get(line) ?? []), d.path ? `${d.path}: ${d.message}` : d.message]);
    }
    const model = editor.getModel();
    const marks = editor.createDecorationsCollection([...byLine].flatMap(([line, messages]) => {
      const end = model?.getLineMaxColumn(line) ?? 1;
      return [
        { range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: "save-error-line" } },
        {
          range: new monaco.Range(line, end, line, end),
          options: { showIfCollapsed: true, after: { content: `   ✖ ${messages.join("; ")}`, inlineClassName: "save-error-inline" } },
        },
      ];
    }));
    return () => marks.clear();
  }, [editor, details]);
}

/** Why the server refused the save: next to the Save button, each problem once with a link to its line. */
function SaveError({ error, details, goTo }: { error: Error; details: readonly ErrorDetail[]; goTo: (line: number, column: number | null) => void }) {
  return (
    <div role="alert" className="save-error">
      <strong>Not saved</strong>
      {details.length === 0 ? `: ${error.message}` : `: ${details.length} problem${details.length > 1 ? "s" : ""}, also shown at ${details.length > 1 ? "their lines" : "its line"}.`}
      {details.length > 0 && (
        <ul>
          {details.map((d, i) => (
            <li key={i}>
              {d.line ? <button type="button" className="link" onClick={() => goTo(d.line!, d.column)}>Line {d.line}</button> : null}
              {d.line ? ": " : ""}{d.path && <code>{d.path}</code>}{d.path ? " " : ""}{d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const NO_DETAILS: ErrorDetail[] = [];

const LEAVE_PROMPT = "The flow has unsaved changes. Leave the editor without saving them?";

/** While `dirty`: the browser's own prompt on reload or close, and a confirmation on in-app links (a capture
 * listener that runs before the router's and cancels the click when the answer is no). */
function useUnsavedGuard(dirty: boolean) {
  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    const onClick = (e: MouseEvent) => {
      const link = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || link.target === "_blank") return;
      if (!window.confirm(LEAVE_PROMPT)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", beforeUnload);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      document.removeEventListener("click", onClick, true);
    };
  }, [dirty]);
}

export default function FlowEditor({ initialSource, flow, onSaved }: Props) {
  const [editor, setEditor] = useState<monaco.editor.IStandaloneCodeEditor | null>(null);
  const [schemaError, setSchemaError] = useState<Error | null>(null);
  const [saved, setSaved] = useState<Flow | null>(null);
  const me = useMe();
  // A new flow's namespace is only known from its source: the server checks it; the button needs FLOW:CREATE somewhere.
  const maySave = flow ? canIn(me, "FLOW:UPDATE", flow.namespace) : canSomewhere(me, "FLOW:CREATE");
  const [params, setParams] = useSearchParams();
  // The files panel shows to those who may read the flow's namespace files (a new flow's: some namespace's).
  const panels = PANELS.filter((p) => p.key !== "files"
    || (flow ? canIn(me, READ_FILES, flow.namespace) : canSomewhere(me, READ_FILES)));
  const panel = (panels.find((p) => p.key === params.get("panel"))?.key ?? "docs") as Panel;
  const { problems, checking, graph, schedule } = useLiveChecks(editor);
  const { task, position } = useCursorTask(editor);
  // The task the form edits: the one under the cursor, or the one picked in the topology (which moves the cursor).
  const [selected, setSelected] = useState<string | null>(null);
  const [focusForm, setFocusForm] = useState(0);
  useEffect(() => {
    if (task?.id) setSelected(task.id);
  }, [task]);
  const client = useQueryClient();
  const [filesNamespace, setFilesNamespace] = useState<string | null>(flow?.namespace ?? null);
  // Monaco's alternative version id of the text as last saved (or loaded): it comes back to it on undo.
  const baseline = useRef<number | null>(null);
  const [dirty, setDirty] = useState(false);
  useUnsavedGuard(dirty);
  const [sideWidth, setSideWidth] = useSideWidth();
  // The copilot replaces the side panel while open (?copilot=1, or ?fix=<execution id> from "Fix with AI").
  const aiEnabled = useAiEnabled();
  const fixing = flow ? params.get("fix") : null;
  const copilotOpen = aiEnabled && maySave && (params.get("copilot") === "1" || Boolean(fixing));
  const setCopilot = (open: boolean) => {
    const next = new URLSearchParams(params);
    next.delete("fix");
    if (open) next.set("copilot", "1");
    else next.delete("copilot");
    setParams(next, { replace: true });
  };
  /** The proposal into the editor as one undoable edit: the change handler marks the flow unsaved. */
  const accept = (proposed: string) => {
    const model = editor?.getModel();
    if (!editor || !model) return;
    editor.pushUndoStop();
    editor.executeEdits("copilot", [{ range: model.getFullModelRange(), text: proposed }]);
    editor.pushUndoStop();
    editor.focus();
    setCopilot(false);
  };

  useEffect(() => {
    ensureFlowSchema().catch((error: Error) => setSchemaError(error));
  }, []);

  const save = useMutation({
    mutationFn: () => {
      const source = editor?.getValue() ?? initialSource;
      const version = editor?.getModel()?.getAlternativeVersionId() ?? null;
      return (flow ? updateFlow(flow.namespace, flow.id, source) : createFlow(source)).then((result) => ({ result, version }));
    },
    onSuccess: ({ result, version }) => {
      baseline.current = version;
      setDirty(editor?.getModel()?.getAlternativeVersionId() !== version); // typed on while it saved: still unsaved
      setSaved(result);
      client.invalidateQueries({ queryKey: ["flow", result.namespace, result.id] });
      client.invalidateQueries({ queryKey: ["graph", result.namespace, result.id] });
      client.invalidateQueries({ queryKey: ["revisions", result.namespace, result.id] });
      client.invalidateQueries({ queryKey: ["flows"] });
      onSaved(result);
    },
  });
  const saveRef = useRef(save.mutate);
  saveRef.current = save.mutate;
  const saveDetails = save.error instanceof ApiError && save.error.details.length > 0 ? save.error.details : NO_DETAILS;
  useSaveErrorMarks(editor, saveDetails);
  // The next edit makes a refusal stale: it goes (the live checks take over).
  const clearRefusal = useRef(() => undefined as void);
  clearRefusal.current = save.isError ? save.reset : () => undefined;

  const onReady = useCallback((instance: monaco.editor.IStandaloneCodeEditor) => {
    baseline.current = instance.getModel()?.getAlternativeVersionId() ?? null;
    instance.addAction({
      id: "legato.saveFlow", label: "Save flow",
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS],
      run: () => saveRef.current(),
    });
    setEditor(instance);
  }, []);

  const onChange = useCallback(() => {
    schedule();
    clearRefusal.current();
    setSaved(null);
    setDirty(editor?.getModel()?.getAlternativeVersionId() !== baseline.current); // no render while it stays the same
  }, [schedule, editor]);

  const choosePanel = (key: Panel) => {
    const next = new URLSearchParams(params);
    next.set("panel", key);
    setParams(next, { replace: true });
    if (key === "files") setFilesNamespace(flow?.namespace ?? namespaceOf(editor?.getValue() ?? initialSource));
  };

  const pickTask = (id: string) => {
    setSelected(id);
    if (editor) revealTask(editor, id);
  };
  const editTask = (id: string) => {
    pickTask(id);
    choosePanel("form");
    setFocusForm((n) => n + 1);
  };

  const goTo = (line: number, column: number | null) => {
    if (!editor) return;
    editor.revealLineInCenter(line);
    editor.setPosition({ lineNumber: line, column: column ?? 1 });
    editor.focus();
  };

  const status = checking ? "Validating…" : problems.length === 0 ? "✓ Valid flow" : `${problems.length} problem${problems.length > 1 ? "s" : ""}`;
  // A new flow's files are those of the namespace its source names (read when the panel opens).
  const shownNamespace = filesNamespace ?? (panel === "files" && editor ? namespaceOf(editor.getValue()) : null);
  const uri = `${FLOW_FOLDER}${flow ? `${flow.namespace}.${flow.id}` : "new"}.yaml`;

  return (
    <div
      className="flow-editor"
      onKeyDown={(e) => {
        // Ctrl/Cmd+S anywhere in the editor's area (Monaco handles it itself when focused).
        if ((e.ctrlKey || e.metaKey) && e.key === "s" && !e.defaultPrevented) {
          e.preventDefault();
          if (!(e.target as HTMLElement).closest(".open-file")) save.mutate();
        }
      }}
    >
      <div className="editor-toolbar">
        <span role="status" aria-live="polite" className={problems.length && !checking ? "bad" : "muted"}>{status}</span>
        <span ref={position} className="muted cursor-position" aria-hidden="true" />
        {saved && !save.isPending && <span role="status" className="ok">Saved revision {saved.revision}</span>}
        {dirty && !save.isPending && <span className="muted" aria-label="Unsaved changes">● Unsaved</span>}
        <button type="button" className="primary" onClick={() => save.mutate()} disabled={save.isPending || !editor || !maySave}
          aria-keyshortcuts="Control+S Meta+S"
          title={maySave ? "Save (Ctrl+S)" : `You may not save: ${flow ? `FLOW:UPDATE on ${flow.namespace}` : "FLOW:CREATE"} is missing`}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {aiEnabled && maySave && (
          <button type="button" onClick={() => setCopilot(!copilotOpen)} aria-expanded={copilotOpen}
            aria-controls={copilotOpen ? "copilot-panel" : undefined} title="Write or change this flow from a request in plain words">
            AI Copilot
          </button>
        )}
        {save.isError && <SaveError error={save.error} details={saveDetails} goTo={goTo} />}
      </div>
      {schemaError && <ErrorMessage error={new Error(`completion is off: the flow schema did not load (${schemaError.message})`)} />}
      <div className="editor-split" style={{ "--side-width": `${sideWidth}px` } as React.CSSProperties}>
        <CodeEditor uri={uri} initialValue={initialSource} ariaLabel="Flow YAML source" onReady={onReady} onChange={onChange}
          className="code-editor flow-source" />
        <SplitHandle width={sideWidth} onResize={setSideWidth} />
        {copilotOpen ? (
          <aside id="copilot-panel" className="side-panel" aria-label="AI Copilot panel">
            <div className="side-body">
              <CopilotPanel key={fixing ?? "ask"} source={() => editor?.getValue() ?? initialSource} flow={flow} fixing={fixing}
                onAccept={accept} onClose={() => setCopilot(false)} />
            </div>
          </aside>
        ) : (
          <aside className="side-panel" aria-label="Editor side panel">
            <div role="tablist" aria-label="Side panel" className="side-tabs">
              {panels.map((p) => (
                <button key={p.key} type="button" role="tab" id={`side-tab-${p.key}`} aria-selected={panel === p.key}
                  aria-controls="side-panel-body" onClick={() => choosePanel(p.key)}>{p.label}</button>
              ))}
            </div>
            <div id="side-panel-body" role="tabpanel" aria-labelledby={`side-tab-${panel}`} className="side-body">
              {panel === "docs" && <DocsPanel task={task} />}
              {panel === "form" && (editor
                ? <TaskForm editor={editor} taskId={selected} onRenamed={setSelected} focusRequest={focusForm} problems={problems} />
                : <p className="muted">Loading the editor…</p>)}
              {panel === "topology" && (graph
                ? (editor ? <TopologyPanel graph={graph} editor={editor} onEdit={editTask} onPick={pickTask} /> : <Topology graph={graph} />)
                : <p className="muted">{checking ? "Drawing…" : "The topology shows once the flow is valid."}</p>)}
              {panel === "files" && (shownNamespace
                ? <FilesPanel namespace={shownNamespace} />
                : <p className="muted">Give the flow a namespace first: its files live there.</p>)}
            </div>
          </aside>
        )}
      </div>
      <ul id="editor-problems" className="problems" aria-label="Validation problems" hidden={saveDetails.length > 0}>
        {problems.map((p, i) => (
          <li key={i}>
            {p.line ? <button type="button" className="link" onClick={() => goTo(p.line!, p.column)}>Line {p.line}</button> : null}
            {p.line ? ": " : ""}
            {p.path && <code>{p.path}</code>}{p.path ? " " : ""}{p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
