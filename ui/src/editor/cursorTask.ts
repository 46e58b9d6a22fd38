// Which task is under the cursor: read from the YAML text by indentation alone, so it costs one pass over
// the lines near the cursor and works on a source that does not parse yet (the usual case while typing).

export interface CursorTask {
  /** The task's `type:` value. */
  type: string;
  /** The task's `id:` value, when it has one. */
  id: string | null;
  /** 1-based line of the list item (`- ...`) the task starts on. */
  line: number;
}

const ITEM = /^(\s*)-(\s+|$)/;
const KEY = /^([A-Za-z_][\w.-]*)\s*:\s*(.*)$/;

const indentOf = (line: string) => line.length - line.trimStart().length;
const blank = (line: string) => {
  const t = line.trim();
  return t === "" || t.startsWith("#");
};

/** A scalar written after `key:`, without quotes or a trailing comment. */
export function scalar(text: string): string {
  let value = text.trim();
  if (value.startsWith('"') || value.startsWith("'")) {
    const quote = value[0]!;
    const end = value.indexOf(quote, 1);
    return end > 0 ? value.slice(1, end) : value.slice(1);
  }
  const comment = value.search(/\s#/);
  if (comment >= 0) value = value.slice(0, comment);
  return value.trim();
}

/** The keys written at column `column` of the list item starting at `start` (0-based), as key → value. */
function itemKeys(lines: readonly string[], text: readonly boolean[], start: number, dash: number, column: number):
  Map<string, string> {
  const keys = new Map<string, string>();
  const first = lines[start]!.slice(column).match(KEY);
  if (first) keys.set(first[1]!, scalar(first[2]!));
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (text[i] || blank(line)) continue;
    const indent = indentOf(line);
    if (indent <= dash) break;
    if (indent !== column) continue;
    const key = line.slice(column).match(KEY);
    if (key) keys.set(key[1]!, scalar(key[2]!));
  }
  return keys;
}

/** Plugin types have a dot (`io.kestra.plugin.core.log.Log`, `log.Log`); input types (STRING, FILE) have none. */
const isPluginType = (type: string) => /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)+$/.test(type);

const BLOCK = /(^|[:\-?]\s+|^\s*)[|>][-+0-9]*\s*(#.*)?$/;

/** Which lines are the content of a block scalar (`key: |` …): text, not structure. */
export function blockScalarLines(lines: readonly string[]): boolean[] {
  const inside = new Array<boolean>(lines.length).fill(false);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (blank(line) || !BLOCK.test(line.trimEnd())) continue;
    const parent = indentOf(line);
    let j = i + 1;
    for (; j < lines.length; j++) {
      const next = lines[j]!;
      if (next.trim() !== "" && indentOf(next) <= parent) break;
      inside[j] = true;
    }
    i = j - 1;
  }
  return inside;
}

/**
 * The innermost task (or trigger) whose list item contains the 1-based `lineNumber`: the nearest enclosing
 * `- ` item that has a plugin `type:`. Null outside any task.
 */
export function taskAtLine(lines: readonly string[], lineNumber: number): CursorTask | null {
  let index = Math.min(Math.max(lineNumber - 1, 0), lines.length - 1);
  if (index < 0) return null;
  const text = blockScalarLines(lines);
  const skip = (i: number) => text[i] || blank(lines[i]!);
  // From a blank line or block text, the task is the one the structure above belongs to.
  while (index > 0 && skip(index)) index--;
  let smallest = Infinity; // smallest indentation between a candidate item and the cursor
  for (let i = index; i >= 0; i--) {
    const line = lines[i]!;
    if (skip(i)) continue;
    const indent = indentOf(line);
    const item = line.match(ITEM);
    if (item && (i === index || indent < smallest)) {
      const dash = item[1]!.length;
      const column = item[0].length;
      const keys = itemKeys(lines, text, i, dash, column);
      const type = keys.get("type");
      if (type && isPluginType(type)) return { type, id: keys.get("id") || null, line: i + 1 };
    }
    smallest = Math.min(smallest, indent);
    if (smallest === 0) break;
  }
  return null;
}
