// The Outputs tab's tree: every value of every task run, flattened for display, with internal-storage files
// recognised so they can be previewed and downloaded.
import type { Execution } from "../api/models";

export interface OutputNode {
  /** Path for display and keys, e.g. `extract.rows[2].name`. */
  path: string;
  name: string;
  depth: number;
  /** Leaf value as text; null for objects and arrays, which have children. */
  text: string | null;
  file: boolean;
  taskRunId: string;
}

export const isFileUri = (value: unknown): value is string => typeof value === "string" && value.startsWith("kestra:///");

const MAX_NODES = 2000;

function walk(value: unknown, name: string, path: string, depth: number, taskRunId: string, out: OutputNode[]): void {
  if (out.length >= MAX_NODES) return;
  if (value !== null && typeof value === "object") {
    out.push({ path, name, depth, text: null, file: false, taskRunId });
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value);
    for (const [key, child] of entries) {
      walk(child, key, Array.isArray(value) ? `${path}${key}` : `${path}.${key}`, depth + 1, taskRunId, out);
    }
    return;
  }
  out.push({ path, name, depth, text: typeof value === "string" ? value : JSON.stringify(value), file: isFileUri(value), taskRunId });
}

/** One root per task run that has outputs (labelled by task id and loop value). */
export function outputTree(execution: Execution): OutputNode[] {
  const out: OutputNode[] = [];
  for (const run of execution.taskRunList) {
    if (!run.outputs || Object.keys(run.outputs).length === 0) continue;
    const label = run.value != null ? `${run.taskId} [${run.value}]` : run.taskId;
    walk(run.outputs, label, label, 0, run.id, out);
  }
  return out;
}

/** The file name at the end of a kestra:/// URI. */
export const fileName = (uri: string): string => decodeURIComponent(uri.split("/").pop() ?? uri);
