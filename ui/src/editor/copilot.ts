// What the copilot panel shows of a proposal: the lines of its unified diff, each with its kind.

export type DiffLineKind = "file" | "hunk" | "add" | "del" | "same";

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/** The lines of a unified diff (as the API sends it), each classified for display; the last newline ends it. */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.endsWith("\n") ? diff.slice(0, -1).split("\n") : diff.split("\n");
  if (diff === "") return [];
  return lines.map((text) => ({ kind: kindOf(text), text }));
}

function kindOf(line: string): DiffLineKind {
  if (line.startsWith("+++ ") || line.startsWith("--- ")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "same";
}

/** Lines added and removed: what the panel says the change amounts to. */
export function diffStats(lines: DiffLine[]): { added: number; removed: number } {
  return {
    added: lines.filter((l) => l.kind === "add").length,
    removed: lines.filter((l) => l.kind === "del").length,
  };
}
