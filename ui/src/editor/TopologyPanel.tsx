// The editor's live topology, interactive: a click on a task opens its actions — edit it in the form, add a
// task before or after it, and for a flowable task (If, Parallel, ForEach…) add one inside it.
import { useEffect, useState } from "react";
import type { FlowGraph, GraphNode } from "../api/models";
import { Topology } from "../components/Topology";
import { AddTaskDialog, type AddMode } from "./AddTaskDialog";
import type { monaco } from "./monaco";

type Editor = monaco.editor.IStandaloneCodeEditor;

interface Props {
  graph: FlowGraph;
  editor: Editor;
  /** Show task `id` in the form. */
  onEdit: (id: string) => void;
  /** A task was clicked: it becomes the selected one (its YAML shown in the code, the form's task). */
  onPick: (id: string) => void;
}

const MENU_ID = "topology-node-actions";

export function TopologyPanel({ graph, editor, onEdit, onPick }: Props) {
  const [open, setOpen] = useState<GraphNode | null>(null);
  const [adding, setAdding] = useState<{ target: { id: string; type: string }; mode: AddMode } | null>(null);
  // The graph is redrawn after each valid edit: the menu stays on a task that is still there.
  const current = open ? graph.nodes.find((n) => n.uid === open.uid && n.taskId === open.taskId) ?? null : null;

  // A click elsewhere, or Escape anywhere, closes the task's actions.
  const isOpen = current !== null;
  useEffect(() => {
    if (!isOpen) return;
    const onPointer = (e: PointerEvent) => {
      if (!(e.target as Element | null)?.closest?.(".node-menu, .node-hit")) setOpen(null);
    };
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") setOpen(null); };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [isOpen]);

  const startAdding = (node: GraphNode, mode: AddMode) => {
    setAdding({ target: { id: node.taskId!, type: node.taskType ?? "" }, mode });
    setOpen(null);
  };

  const menu = current && (
    <div id={MENU_ID} role="group" aria-label={`Actions of task ${current.taskId}`} className="node-actions">
      <button type="button" onClick={() => { onEdit(current.taskId!); setOpen(null); }}>Edit in form</button>
      <button type="button" onClick={() => startAdding(current, "before")}>Add before</button>
      <button type="button" onClick={() => startAdding(current, "after")}>Add after</button>
      {current.flowable && <button type="button" onClick={() => startAdding(current, "inside")}>Add inside</button>}
    </div>
  );

  return (
    <>
      <p className="muted topology-hint">Click a task to edit it or add a task next to it.</p>
      <Topology graph={graph} selected={current?.uid ?? null} menu={menu} menuId={MENU_ID}
        onSelect={(node) => {
          if (node.taskId) onPick(node.taskId);
          setOpen(current?.uid === node.uid ? null : node);
        }} />
      {adding && (
        <AddTaskDialog editor={editor} target={adding.target} mode={adding.mode} onClose={() => setAdding(null)}
          onAdded={(id) => { setAdding(null); onEdit(id); }} />
      )}
    </>
  );
}
