// Task and trigger types offered on a `type:` line from the flow schema's lists, without parsing the YAML:
// monaco-yaml needs a document it can parse, this works while the text is broken (an unclosed quote below...).
// Pure: Monaco itself is not imported, so this tests without a browser.
import type { JsonSchema } from "./api";

export interface TypeNames {
  tasks: string[];
  triggers: string[];
}

const enumOf = (schema: JsonSchema | undefined): string[] => {
  const values = (schema?.properties?.type as JsonSchema | undefined)?.enum;
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === "string") : [];
};

/** Every task type and trigger type the flow schema accepts (its AnyTask and AnyTrigger definitions). */
export function typeNames(schema: JsonSchema): TypeNames {
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;
  return { tasks: enumOf(defs.AnyTask), triggers: enumOf(defs.AnyTrigger) };
}

export interface TypeSlot {
  /** Which list applies: a line under the top-level `triggers:` takes trigger types. */
  kind: keyof TypeNames;
  /** 1-based column where the typed type name starts (what completion replaces). */
  startColumn: number;
}

/** Top-level keys whose `type:` is not a task's (an input's STRING, an output's...). */
const NOT_TYPED = new Set(["inputs", "outputs", "variables", "labels", "checks", "concurrency"]);
const TYPE_LINE = /^(\s*(?:- +)?)type:[ \t]*(["']?)([\w.$-]*)$/;

/** The `type:` value the cursor is in, given the text of the lines up to the cursor (the last one cut at it). */
export function typeSlot(linesToCursor: readonly string[]): TypeSlot | null {
  const current = linesToCursor.at(-1) ?? "";
  const found = TYPE_LINE.exec(current);
  if (!found) return null;
  const startColumn = current.length - (found[3] ?? "").length + 1;
  for (let i = linesToCursor.length - 2; i >= 0; i--) {
    const section = /^([A-Za-z]\w*):/.exec(linesToCursor[i] ?? "")?.[1];
    if (section && NOT_TYPED.has(section)) return null;
    if (section) return { kind: section === "triggers" ? "triggers" : "tasks", startColumn };
  }
  return { kind: "tasks", startColumn };
}
