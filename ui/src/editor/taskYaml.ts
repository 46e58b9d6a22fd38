// A task's node in a flow's YAML, read and changed as text edits: the form editor and "add task" change one
// key (or insert one list item) and leave every other byte of the document as written, comments included.
// The `yaml` package's CST-backed Document gives each node's source range; the edits are computed from those
// ranges, so the editor can apply them as ordinary undoable edits. Pure: no Monaco, testable without a browser.
import { isMap, isScalar, isSeq, parseDocument, stringify, type Node, type Pair, type YAMLMap } from "yaml";

/** A change of the source: replace [start, end) (character offsets) by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** One task (or trigger) found in the document: its map node and where it sits. */
export interface TaskNode {
  id: string;
  type: string;
  map: YAMLMap;
  /** Where it is, written as the server's problems name it: `tasks[1].then[0]`. */
  path: string;
  /** The task's properties as plain values (what the form shows). */
  values: Record<string, unknown>;
}

const STRINGIFY = { lineWidth: 0, minContentWidth: 0, indent: 2, indentSeq: true } as const;

/** Plugin types have a dot (`log.Log`, `io.kestra.plugin.core.log.Log`); input types (STRING) have none. */
const isPluginType = (value: unknown): value is string => typeof value === "string" && /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)+$/.test(value);

function scalarOf(map: YAMLMap, key: string): unknown {
  const node = map.get(key, true);
  return isScalar(node) ? node.value : undefined;
}

/** Every map with a scalar `id` and a plugin `type`, with its path, in document order (nested tasks after their
 * parent). */
function collectTasks(node: unknown, path: string, found: [YAMLMap, string][]): void {
  if (isMap(node)) {
    if (typeof scalarOf(node, "id") === "string" && isPluginType(scalarOf(node, "type"))) found.push([node, path]);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      collectTasks(pair.value, path ? `${path}.${key}` : key, found);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectTasks(item, `${path}[${i}]`, found));
  }
}

/** The document of `source`, or null when it is not YAML the editor can change safely. */
function documentOf(source: string) {
  const doc = parseDocument(source, { keepSourceTokens: false, prettyErrors: false });
  return doc.errors.length > 0 ? null : doc;
}

/** Why `source` is not YAML the editor can change (the first error, with its line), or null. */
export function yamlProblem(source: string): string | null {
  const doc = parseDocument(source, { keepSourceTokens: false, prettyErrors: true });
  const [first] = doc.errors;
  if (!first) return null;
  const line = first.linePos?.[0]?.line;
  return `${line ? `line ${line}: ` : ""}${first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`;
}

/** Every task and trigger of the flow (document order). Empty when the source does not parse. */
export function listTasks(source: string): TaskNode[] {
  const doc = documentOf(source);
  if (!doc) return [];
  const maps: [YAMLMap, string][] = [];
  collectTasks(doc.contents, "", maps);
  return maps.map(([map, path]) => {
    let values: Record<string, unknown> | undefined; // read on demand: a form shows one task of hundreds
    return {
      id: scalarOf(map, "id") as string,
      type: scalarOf(map, "type") as string,
      map,
      path,
      get values() {
        values ??= (map.toJSON() ?? {}) as Record<string, unknown>;
        return values;
      },
    };
  });
}

/** The property of `task` a problem path (`tasks[1].level`, `tasks[1].retry.type`) is about; null when the path is
 * not inside the task, "" when it is about the task itself. A nested task's problem is not its parent's. */
export function propertyOf(task: TaskNode, path: string, tasks: readonly TaskNode[]): string | null {
  if (path === task.path) return "";
  if (!path.startsWith(`${task.path}.`)) return null;
  if (tasks.some((t) => t.path.length > task.path.length && (path === t.path || path.startsWith(`${t.path}.`)))) return null;
  return path.slice(task.path.length + 1).split(/[.[]/)[0] ?? "";
}

/** The task with id `id`, or null (absent, or the source does not parse). */
export function findTask(source: string, id: string): TaskNode | null {
  return listTasks(source).find((t) => t.id === id) ?? null;
}

/** 1-based line of `offset`. */
export const lineOf = (source: string, offset: number) => source.slice(0, offset).split("\n").length;

const lineStart = (source: string, offset: number) => source.lastIndexOf("\n", offset - 1) + 1;
const columnOf = (source: string, offset: number) => offset - lineStart(source, offset);

/** Where text can go after a node that ends at `end`: the end of its last line (after a trailing comment). */
function endOfLastLine(source: string, end: number): number {
  let at = end;
  while (at > 0 && source[at - 1] === "\n") at--;
  const next = source.indexOf("\n", at);
  return next < 0 ? source.length : next;
}

const pairEnd = (pair: Pair) => ((pair.value as Node | null)?.range ?? (pair.key as Node).range)![1];

/** `key: value` as YAML, its continuation lines indented by `indent` spaces. */
function keyText(key: string, value: unknown, indent: number): string {
  const text = stringify({ [key]: value }, STRINGIFY).replace(/\n$/, "");
  return indentLines(text, indent);
}

const indentLines = (text: string, indent: number) => text.split("\n").map((line, i) => (i === 0 || line === "" ? line : " ".repeat(indent) + line)).join("\n");

export class TaskEditError extends Error {}

function blockMap(task: TaskNode): YAMLMap {
  if (task.map.flow) throw new TaskEditError(`task ${task.id} is written in flow style ({ … }): change it in the YAML`);
  return task.map;
}

/**
 * The edit that sets `key` of `task` to `value` (undefined removes the key), within `source` (the text `task`
 * was read from). Only that key's text changes: its line(s) are rewritten, or one line is added after the
 * task's last key.
 */
export function setPropertyEdit(source: string, task: TaskNode, key: string, value: unknown): TextEdit | null {
  const map = blockMap(task);
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  const first = map.items[0];
  if (!first) throw new TaskEditError(`task ${task.id} has no keys`);
  const indent = columnOf(source, (first.key as Node).range![0]);
  if (pair) {
    const keyStart = (pair.key as Node).range![0];
    let end = pairEnd(pair);
    while (end > keyStart && source[end - 1] === "\n") end--;
    if (value !== undefined) return { start: keyStart, end, text: keyText(key, value, indent) };
    return removal(source, map, pair, keyStart);
  }
  if (value === undefined) return null;
  const last = map.items[map.items.length - 1]!;
  const at = endOfLastLine(source, pairEnd(last));
  return { start: at, end: at, text: `\n${" ".repeat(indent)}${keyText(key, value, indent)}` };
}

function removal(source: string, map: YAMLMap, pair: Pair, keyStart: number): TextEdit {
  const before = source.slice(lineStart(source, keyStart), keyStart);
  const lineEnd = endOfLastLine(source, pairEnd(pair));
  if (before.trim() === "") return { start: lineStart(source, keyStart), end: Math.min(lineEnd + 1, source.length), text: "" };
  // The first key after the list item's dash: the next key moves up onto the dash's line.
  const next = map.items[map.items.indexOf(pair) + 1];
  if (!next) throw new TaskEditError("a task keeps at least one key");
  return { start: keyStart, end: (next.key as Node).range![0], text: "" };
}

/** A new list item (`- id: …`) as YAML text, every line indented by `indent` spaces. */
export function taskItemText(task: Record<string, unknown>, indent: number): string {
  return indentLines(stringify([task], STRINGIFY).replace(/\n$/, ""), indent).replace(/^/, " ".repeat(indent));
}

/** The dash column and key column of the list item holding `map`. */
function itemColumns(source: string, map: YAMLMap): [number, number] {
  const start = map.range![0];
  const key = columnOf(source, start);
  const dash = source.slice(lineStart(source, start), start).lastIndexOf("-");
  return [dash < 0 ? Math.max(key - 2, 0) : dash, key];
}

/** The edit that inserts `task` as the list item right after `after`'s. */
export function insertAfterEdit(source: string, after: TaskNode, task: Record<string, unknown>): TextEdit {
  const map = blockMap(after);
  const [dash] = itemColumns(source, map);
  const at = endOfLastLine(source, map.range![1]);
  return { start: at, end: at, text: `\n${taskItemText(task, dash)}` };
}

/** The edit that inserts `task` as the list item right before `before`'s (on the line of its dash, below the
 * comments above it). */
export function insertBeforeEdit(source: string, before: TaskNode, task: Record<string, unknown>): TextEdit {
  const map = blockMap(before);
  const [dash] = itemColumns(source, map);
  const at = lineStart(source, map.range![0]);
  return { start: at, end: at, text: `${taskItemText(task, dash)}\n` };
}

/** The edit that appends `task` to the list `key` of `parent` (a flowable task), creating the list if absent.
 * `key` may name a list inside a map of lists: `cases.A` (a Switch's case A). */
export function insertInsideEdit(source: string, parent: TaskNode, key: string, task: Record<string, unknown>): TextEdit {
  let map = blockMap(parent);
  let name = key;
  const dot = key.indexOf(".");
  if (dot > 0) {
    const inner = map.get(key.slice(0, dot), true);
    if (!isMap(inner) || inner.flow || inner.items.length === 0) throw new TaskEditError(`${key.slice(0, dot)} of task ${parent.id} is not a map of task lists`);
    map = inner;
    name = key.slice(dot + 1);
  }
  return appendEdit(source, map, name, task, `${key} of task ${parent.id}`);
}

function appendEdit(source: string, map: YAMLMap, key: string, task: Record<string, unknown>, what: string): TextEdit {
  const list = map.get(key, true);
  if (isSeq(list) && !list.flow && list.items.length > 0) {
    const lastItem = list.items[list.items.length - 1] as Node;
    const itemStart = lastItem.range![0];
    const dash = source.slice(lineStart(source, itemStart), itemStart).lastIndexOf("-");
    const at = endOfLastLine(source, lastItem.range![1]);
    return { start: at, end: at, text: `\n${taskItemText(task, Math.max(dash, 0))}` };
  }
  if (list !== undefined && list !== null && !(isScalar(list) && list.value === null) && !(isSeq(list) && list.items.length === 0)) {
    throw new TaskEditError(`${what} is not a list of tasks`);
  }
  const column = columnOf(source, (map.items[0]!.key as Node).range![0]);
  const item = taskItemText(task, column + 2);
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  const written = stringify({ [key]: null }, STRINGIFY).replace(/ ?null\n$/, "").replace(/:$/, "");
  if (pair) {
    const keyStart = (pair.key as Node).range![0];
    const end = endOfLastLine(source, pairEnd(pair));
    return { start: keyStart, end, text: `${written}:\n${item}` };
  }
  const at = endOfLastLine(source, pairEnd(map.items[map.items.length - 1]!));
  return { start: at, end: at, text: `\n${" ".repeat(column)}${written}:\n${item}` };
}

/** `source` with `edit` applied. */
export const applyEdit = (source: string, edit: TextEdit) => source.slice(0, edit.start) + edit.text + source.slice(edit.end);
