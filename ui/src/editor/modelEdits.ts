// taskYaml.ts's text edits applied to the Monaco editor: ordinary edits of the model, so they show in the code
// at once, mark the flow unsaved, trigger the live checks and undo with Ctrl+Z like typed text.
import { monaco } from "./monaco";
import { findTask, lineOf, type TextEdit } from "./taskYaml";

type Editor = monaco.editor.IStandaloneCodeEditor;

/** Apply `edit` (offsets into the model's current text) to the editor's model. */
export function applyToEditor(editor: Editor, edit: TextEdit, source = "form"): void {
  const model = editor.getModel();
  if (!model) return;
  const start = model.getPositionAt(edit.start);
  const end = model.getPositionAt(edit.end);
  editor.executeEdits(source, [{
    range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column), text: edit.text,
  }]);
}

/** Put the cursor on task `id`'s first line and scroll it into view (the editor keeps or leaves the focus). */
export function revealTask(editor: Editor, id: string): boolean {
  const source = editor.getValue();
  const task = findTask(source, id);
  if (!task) return false;
  const line = lineOf(source, task.map.range![0]);
  editor.setPosition({ lineNumber: line, column: editor.getModel()?.getLineFirstNonWhitespaceColumn(line) || 1 });
  editor.revealLineInCenterIfOutsideViewport(line);
  return true;
}
