// What "Add task" writes and offers: a new task's YAML value (id, type, required properties with placeholders),
// the name its type is written with, a free id, and the search over the installed task types. Pure.
import type { PluginSummary } from "../api/operations";
import type { JsonSchema } from "./api";
import { fieldsOf, placeholderOf } from "./taskFields";

/** The name a new task is written with: Kestra's current one when the type has it (the flow stays portable). */
export const writtenType = (plugin: PluginSummary) =>
  plugin.aliases.find((a) => a.startsWith("io.kestra.plugin.")) ?? plugin.aliases[0] ?? plugin.cls;

const LOG = "io.kestra.plugin.core.log.Log";

/** The new task: id, type and each required property with a placeholder (a required task list gets one Log). */
export function newTask(id: string, type: string, schema: JsonSchema, taken: ReadonlySet<string>): Record<string, unknown> {
  const task: Record<string, unknown> = { id, type };
  for (const field of fieldsOf(schema)) {
    if (!field.required || field.name === "id" || field.name === "type") continue;
    if (field.kinds[0] === "tasks") {
      let n = 1;
      while (taken.has(`${id}_${n}`)) n++;
      task[field.name] = [{ id: `${id}_${n}`, type: LOG, message: "<message>" }];
    } else {
      task[field.name] = placeholderOf(field);
    }
  }
  return task;
}

/** A free id for a task of `plugin`'s type: its short name and a number. */
export function freeId(plugin: PluginSummary | undefined, taken: ReadonlySet<string>): string {
  const base = (plugin?.cls.split(".").pop() ?? "task").replace(/[^A-Za-z0-9_-]/g, "").toLowerCase() || "task";
  let n = 1;
  while (taken.has(`${base}_${n}`)) n++;
  return `${base}_${n}`;
}

/** The types matching every word: those whose name matches first, then those whose title does. */
export function search(plugins: readonly PluginSummary[], query: string): PluginSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const names = (p: PluginSummary) => `${p.cls} ${p.aliases.join(" ")}`.toLowerCase();
  const byName = plugins.filter((p) => words.every((w) => names(p).includes(w)));
  const byTitle = plugins.filter((p) => !byName.includes(p) && words.every((w) => `${names(p)} ${p.title.toLowerCase()}`.includes(w)));
  return [...byName, ...byTitle];
}
