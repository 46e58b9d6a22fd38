// The form editor of one task: its type's properties from the plugin's JSON Schema (required first, the generic
// ones folded), each with the input its type calls for, its description as help and its own validation message.
// A valid change rewrites that property alone in the YAML (taskYaml.ts), as an edit of the code editor's model:
// comments and the rest of the document stay as written, and Ctrl+Z undoes it. The form re-reads the YAML a
// moment after the code changes, so typing on either side keeps both in step.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { ErrorMessage, Loading } from "../components/Messages";
import { pluginDoc } from "./api";
import { applyToEditor } from "./modelEdits";
import type { monaco } from "./monaco";
import { editableKinds, fieldsOf, KIND_LABELS, kindFor, parseField, textOf, type Field, type FieldKind } from "./taskFields";
import type { Problem } from "./markers";
import { findTask, listTasks, propertyOf, setPropertyEdit, TaskEditError, yamlProblem } from "./taskYaml";

type Editor = monaco.editor.IStandaloneCodeEditor;

const REREAD_DELAY = 150;

/** The model's text, re-read a moment after each change (one render per burst of typing). */
function useSource(editor: Editor): string {
  const [source, setSource] = useState(() => editor.getValue());
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener = editor.onDidChangeModelContent(() => {
      clearTimeout(timer);
      timer = setTimeout(() => setSource(editor.getValue()), REREAD_DELAY);
    });
    return () => { clearTimeout(timer); listener.dispose(); };
  }, [editor]);
  return source;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface RowProps {
  field: Field;
  value: unknown;
  /** What the server's last check found wrong with this property. */
  problem: string | null;
  /** Writes a valid value to the YAML; returns why it could not, or null. */
  commit: (name: string, value: unknown) => string | null;
  /** Called when an input takes the focus: the edits typed there undo as one step. */
  onFocus: () => void;
}

function FieldInput({ field, kind, draft, id, describedBy, invalid, change, onFocus, input }: {
  field: Field; kind: FieldKind; draft: string; id: string; describedBy: string; invalid: boolean;
  change: (text: string) => void; onFocus: () => void; input: React.RefObject<HTMLElement | null>;
}) {
  const common = {
    id, "aria-describedby": describedBy, "aria-invalid": invalid || undefined, "aria-required": field.required || undefined,
    onFocus,
  };
  const fallback = field.default !== undefined && field.default !== null ? `default: ${textOf("yaml", field.default)}` : "not set";
  if (kind === "enum" || kind === "boolean") {
    const options = kind === "boolean" ? ["true", "false"] : field.options;
    return (
      <select {...common} ref={input as React.RefObject<HTMLSelectElement>} value={draft} onChange={(e) => change(e.target.value)}>
        {(!field.required || draft === "") && <option value="">({fallback})</option>}
        {options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    );
  }
  if (kind === "text" || kind === "list" || kind === "yaml") {
    const rows = Math.min(Math.max(draft.split("\n").length, kind === "text" ? 2 : 3), 12);
    return (
      <textarea {...common} ref={input as React.RefObject<HTMLTextAreaElement>} value={draft} rows={rows} spellCheck={false}
        className={kind === "yaml" || kind === "list" ? "code-input" : undefined}
        placeholder={kind === "list" ? "one item per line" : kind === "yaml" ? "YAML" : fallback}
        onChange={(e) => change(e.target.value)} />
    );
  }
  return (
    <input {...common} ref={input as React.RefObject<HTMLInputElement>} type="text" value={draft} spellCheck={false}
      inputMode={kind === "integer" || kind === "number" ? "decimal" : undefined}
      placeholder={kind === "duration" ? `ISO 8601, e.g. PT30S (${fallback})` : fallback}
      onChange={(e) => change(e.target.value)} />
  );
}

function FieldRow({ field, value, problem, commit, onFocus }: RowProps) {
  const [kind, setKind] = useState(() => kindFor(field, value));
  const [draft, setDraft] = useState(() => textOf(kind, value));
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLElement>(null);
  const shown = useRef(value);
  const id = useId();
  // The YAML changed elsewhere (typed in the code, undone): show it, unless this input is being typed in.
  useEffect(() => {
    if (same(value, shown.current) || document.activeElement === input.current) return;
    shown.current = value;
    const next = kindFor(field, value);
    setKind(next);
    setDraft(textOf(next, value));
    setError(null);
  }, [field, value]);

  const change = (text: string) => {
    setDraft(text);
    const parsed = parseField(field, kind, text);
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    shown.current = parsed.value;
    setError(commit(field.name, parsed.value));
  };
  // Another way of writing the value (a list instead of one text, an expression instead of a choice): the input
  // changes, the YAML only once something valid is typed there.
  const choices = editableKinds(field);
  const switchKind = (next: FieldKind) => {
    setKind(next);
    setDraft(kindFor(field, shown.current) === next ? textOf(next, shown.current) : "");
    setError(null);
  };
  const help = field.description ? `${id}-help` : "";
  // A problem found here first; else the server's (the same checks as a save), until the next check.
  const shownError = error ?? problem;
  const describedBy = [help, shownError ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className="form-field">
      {/* The label is the property's name alone; the input says it is required (aria-required). */}
      <div className="field-head">
        <label htmlFor={id}><code>{field.name}</code></label>
        {field.required && <span className="required-tag" aria-hidden="true">required</span>}
        {kind === "list" && <span className="muted">one per line</span>}
        {kind === "yaml" && choices.length === 1 && <span className="muted">YAML</span>}
        {choices.length > 1 && (
          <select className="kind-choice" aria-label={`Write ${field.name} as`} value={choices.includes(kind) ? kind : choices[0]}
            onChange={(e) => switchKind(e.target.value as FieldKind)}>
            {choices.map((k) => <option key={k} value={k}>{k === "string" && field.kinds[0] !== "string" && field.kinds[0] !== "text" ? "expression" : KIND_LABELS[k]}</option>)}
          </select>
        )}
      </div>
      <FieldInput field={field} kind={kind} draft={draft} id={id} describedBy={describedBy} invalid={shownError !== null}
        change={change} onFocus={onFocus} input={input} />
      {shownError && <p id={`${id}-error`} className="field-error">{shownError}</p>}
      {field.description && <p id={help} className="field-help">{field.description}</p>}
    </div>
  );
}

interface Props {
  editor: Editor;
  /** Id of the task to edit (the one under the cursor or picked in the topology). */
  taskId: string | null;
  /** The form changed the task's id. */
  onRenamed: (id: string) => void;
  /** Bumped to move the focus into the form (its first required property), e.g. once a task was added. */
  focusRequest?: number;
  /** The flow's problems from the last live check: the task's are shown at their fields. */
  problems?: readonly Problem[];
}

const NO_PROBLEMS: readonly Problem[] = [];

export function TaskForm({ editor, taskId, onRenamed, focusRequest = 0, problems = NO_PROBLEMS }: Props) {
  const source = useSource(editor);
  const tasks = useMemo(() => listTasks(source), [source]);
  const task = taskId ? tasks.find((t) => t.id === taskId) ?? null : null;
  const doc = useQuery({
    queryKey: ["plugin", task?.type],
    queryFn: () => pluginDoc(task!.type),
    enabled: Boolean(task),
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
  const fields = useMemo(() => (doc.data ? fieldsOf(doc.data.schema) : []), [doc.data]);
  // The server's problems of this task, by property ("" for the task as a whole or a property with no input).
  const reported = useMemo(() => {
    const byProperty = new Map<string, string[]>();
    if (!task) return byProperty;
    const rows = new Set(fields.filter((f) => f.name !== "type" && !f.kinds.includes("tasks")).map((f) => f.name));
    for (const p of problems) {
      const property = propertyOf(task, p.path, tasks);
      if (property === null) continue;
      const key = rows.has(property) ? property : "";
      const text = key === "" && property ? `${property}: ${p.message}` : p.message;
      byProperty.set(key, [...(byProperty.get(key) ?? []), text]);
    }
    return byProperty;
  }, [task, tasks, fields, problems]);
  const current = useRef(taskId);
  // The inputs start afresh for another task, and keep their state when the form renamed this one.
  const [shown, setShown] = useState({ id: taskId, serial: 0 });
  if (shown.id !== taskId) setShown({ id: taskId, serial: current.current === taskId ? shown.serial : shown.serial + 1 });
  current.current = taskId;
  const form = useRef<HTMLFormElement>(null);
  const focused = useRef(0);
  useEffect(() => {
    if (focusRequest === focused.current || fields.length === 0 || !form.current) return;
    focused.current = focusRequest;
    const inputs = [...form.current.querySelectorAll<HTMLElement>("input, textarea, select")];
    (inputs.find((i, n) => n > 0 && i.getAttribute("aria-required") === "true") ?? inputs[0])?.focus();
  });

  if (!taskId) return <p className="muted">Put the cursor in a task, or click a task in the topology, to edit it here.</p>;
  if (!task) {
    const problem = yamlProblem(source);
    return problem
      ? <p className="muted">The YAML does not parse ({problem}): fix it in the code, and the form of <code>{taskId}</code> comes back.</p>
      : <p className="muted">Task <code>{taskId}</code> is not in the YAML any more (removed or renamed in the code).</p>;
  }

  const commit = (name: string, value: unknown): string | null => {
    const text = editor.getValue();
    const found = findTask(text, current.current ?? "");
    if (!found) return yamlProblem(text) ? "Not written: the YAML has an error; fix it in the code first." : "The task is not in the YAML any more.";
    if (name === "id" && listTasks(text).some((t) => t.id === value && t.map !== found.map)) return `Another task already has the id ${String(value)}.`;
    try {
      const edit = setPropertyEdit(text, found, name, value);
      if (edit) applyToEditor(editor, edit);
    } catch (error) {
      if (error instanceof TaskEditError) return error.message;
      throw error;
    }
    if (name === "id") {
      current.current = value as string;
      onRenamed(value as string);
    }
    return null;
  };
  const undoStop = () => editor.pushUndoStop();
  const row = (f: Field) => (
    <FieldRow key={`${shown.serial}:${f.name}`} field={f} value={task.values[f.name]} problem={reported.get(f.name)?.join(" ") ?? null}
      commit={commit} onFocus={undoStop} />
  );
  const general = reported.get("") ?? [];
  const own = fields.filter((f) => !f.generic && f.name !== "type" && !f.kinds.includes("tasks"));
  const generic = fields.filter((f) => f.generic && f.name !== "id" && f.name !== "type");
  const lists = fields.filter((f) => f.kinds.includes("tasks"));
  const idField = fields.find((f) => f.name === "id");

  return (
    <form ref={form} className="task-form" aria-label={`Properties of task ${task.id}`} noValidate onSubmit={(e) => e.preventDefault()}>
      <h3><code>{task.id}</code> <span className="muted">{task.type}</span></h3>
      {doc.isPending && <Loading what="the task's properties" />}
      {doc.isError && <ErrorMessage error={doc.error} />}
      {general.length > 0 && (
        <ul className="form-problems" aria-label={`Problems of task ${task.id}`}>
          {general.map((text, i) => <li key={i}>{text}</li>)}
        </ul>
      )}
      {idField && row(idField)}
      {own.map(row)}
      {lists.length > 0 && (
        <p className="muted">
          {lists.map((f) => {
            const value = task.values[f.name];
            const count = Array.isArray(value) ? value.length
              : value && typeof value === "object" ? Object.values(value).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0) : 0;
            return `${f.name}: ${count} task${count === 1 ? "" : "s"}`;
          }).join(" · ")} — add tasks inside from the topology.
        </p>
      )}
      {generic.length > 0 && (
        <details className="generic-props">
          <summary>Common properties ({generic.length})</summary>
          {generic.map(row)}
        </details>
      )}
    </form>
  );
}
