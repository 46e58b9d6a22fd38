// "Add task" from the topology: a task type picked from a searchable list of the installed ones, an id, and for
// "inside" the parent's task list to add to. The new task gets its required properties with placeholders (the
// form then edits them) and goes into the YAML as one text edit: before or after its sibling, or at the end of
// the parent's list.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { ErrorMessage } from "../components/Messages";
import { listPlugins } from "../api/operations";
import { pluginDoc } from "./api";
import { applyToEditor, revealTask } from "./modelEdits";
import type { monaco } from "./monaco";
import { freeId, newTask, search, writtenType } from "./newTask";
import { fieldsOf, taskLists } from "./taskFields";
import { findTask, insertAfterEdit, insertBeforeEdit, insertInsideEdit, listTasks, TaskEditError } from "./taskYaml";

type Editor = monaco.editor.IStandaloneCodeEditor;

export type AddMode = "before" | "after" | "inside";

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const SHOWN = 200;

/** A title cut on a word boundary, for one line of the list. */
const short = (title: string, length = 70) =>
  title.length <= length ? title : `${title.slice(0, title.lastIndexOf(" ", length)).replace(/[\s,;:.(`-]+$/, "")}…`;

interface Props {
  editor: Editor;
  /** The task clicked in the topology. */
  target: { id: string; type: string };
  mode: AddMode;
  onClose: () => void;
  /** The task was added (its id). */
  onAdded: (id: string) => void;
}

export function AddTaskDialog({ editor, target, mode, onClose, onAdded }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const client = useQueryClient();
  const plugins = useQuery({ queryKey: ["plugins"], queryFn: listPlugins, staleTime: Infinity });
  const parent = useQuery({
    queryKey: ["plugin", target.type], queryFn: () => pluginDoc(target.type), enabled: mode === "inside",
    staleTime: Infinity, gcTime: Infinity, retry: false,
  });
  const written = useMemo(() => findTask(editor.getValue(), target.id)?.values ?? {}, [editor, target.id]);
  const lists = useMemo(() => (parent.data ? taskLists(fieldsOf(parent.data.schema), written) : []), [parent.data, written]);
  const [into, setInto] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [type, setType] = useState<string>("");
  const [id, setId] = useState("");
  const [idTouched, setIdTouched] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [idError, setIdError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const taken = useMemo(() => new Set(listTasks(editor.getValue()).map((t) => t.id)), [editor]);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal?.();
  }, []);

  const tasks = useMemo(() => (plugins.data ?? []).filter((p) => p.kind === "task"), [plugins.data]);
  const found = useMemo(() => search(tasks, query), [tasks, query]);
  const chosen = tasks.find((p) => p.cls === type);
  const shownId = idTouched ? id : chosen ? freeId(chosen, taken) : id;
  const list = into ?? lists[0] ?? null;

  const checkId = (value: string) => {
    if (!value) return "Give the task an id.";
    if (!ID.test(value)) return "Letters, digits, _ and - only, starting with a letter or digit.";
    if (taken.has(value)) return `Another task already has the id ${value}.`;
    return null;
  };

  const add = async () => {
    setError(null);
    const problem = checkId(shownId);
    setIdError(problem);
    if (!chosen) {
      setError("Pick a task type in the list.");
      return;
    }
    if (problem) return;
    if (mode === "inside" && !list) {
      setError(`${target.type} has no list of tasks to add to.`);
      return;
    }
    setBusy(true);
    try {
      const doc = await client.fetchQuery({ queryKey: ["plugin", chosen.cls], queryFn: () => pluginDoc(chosen.cls), staleTime: Infinity });
      const source = editor.getValue();
      const at = findTask(source, target.id);
      if (!at) throw new TaskEditError(`task ${target.id} is not in the YAML any more`);
      const task = newTask(shownId, writtenType(chosen), doc.schema, taken);
      const edit = mode === "before" ? insertBeforeEdit(source, at, task)
        : mode === "after" ? insertAfterEdit(source, at, task) : insertInsideEdit(source, at, list!, task);
      editor.pushUndoStop();
      applyToEditor(editor, edit, "add-task");
      editor.pushUndoStop();
      revealTask(editor, shownId);
      onAdded(shownId);
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  const title = `Add a task ${mode} ${target.id}`;
  return (
    <dialog ref={dialog} className="dialog add-task" aria-labelledby="add-task-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <form method="dialog" noValidate onSubmit={(e) => { e.preventDefault(); void add(); }}>
        <h2 id="add-task-title">{title}</h2>
        {mode === "inside" && lists.length > 1 && (
          <div className="field">
            <label htmlFor="add-task-into">Into</label>
            <select id="add-task-into" value={list ?? ""} onChange={(e) => setInto(e.target.value)}>
              {lists.map((l) => <option key={l} value={l}>{l}</option>)}
            </select>
          </div>
        )}
        {mode === "inside" && lists.length === 1 && <p className="muted">Into <code>{lists[0]}</code>, at the end.</p>}
        <div className="field">
          <label htmlFor="add-task-search">Search task types</label>
          <input id="add-task-search" type="search" value={query} autoFocus placeholder="log, http request, python…"
            onChange={(e) => setQuery(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="add-task-type">Task type <span className="muted">({found.length} of {tasks.length})</span></label>
          <select id="add-task-type" size={8} value={type} onChange={(e) => setType(e.target.value)} aria-required="true">
            {found.slice(0, SHOWN).map((p) => (
              <option key={p.cls} value={p.cls}>{writtenType(p)}{p.title ? ` — ${short(p.title)}` : ""}</option>
            ))}
          </select>
          {found.length > SHOWN && <p className="field-help">The first {SHOWN}: type more to narrow the list.</p>}
        </div>
        <div className="field">
          <label htmlFor="add-task-id">Task id</label>
          <input id="add-task-id" type="text" value={shownId} spellCheck={false} aria-invalid={idError ? true : undefined}
            aria-describedby={idError ? "add-task-id-error" : undefined}
            onChange={(e) => { setIdTouched(true); setId(e.target.value); setIdError(checkId(e.target.value)); }} />
          {idError && <p id="add-task-id-error" className="field-error">{idError}</p>}
        </div>
        {plugins.isError && <ErrorMessage error={plugins.error} />}
        {parent.isError && <ErrorMessage error={parent.error} />}
        {error && <p role="alert" className="field-error">{error}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>Add</button>
        </div>
      </form>
    </dialog>
  );
}
