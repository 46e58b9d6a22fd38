// Small pure helpers of the editor's components (kept apart from Monaco so they test without a browser).

/** Languages by file extension (those whose highlighting is bundled). */
export function languageOf(path: string): string {
  const ext = path.split(".").pop()?.toLowerCase() ?? "";
  const known: Record<string, string> = {
    yaml: "yaml", yml: "yaml", py: "python", sh: "shell", bash: "shell", sql: "sql", md: "markdown",
    js: "javascript", mjs: "javascript", ts: "typescript", ini: "ini", toml: "ini", r: "r", rb: "ruby",
  };
  return known[ext] ?? "plaintext";
}

/** A normalised absolute path from what the user typed (`a/b.py`, `/a/b.py`); null when it is not one. */
export function normalisePath(typed: string): string | null {
  const parts = typed.trim().split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.some((p) => p === "..")) return null;
  return "/" + parts.join("/");
}

/** The revisions to compare: from the URL when they exist, else the previous and the latest. */
export function comparedPair(revisions: number[], left: string | null, right: string | null): [number, number] {
  const latest = revisions[revisions.length - 1] ?? 1;
  const previous = revisions[revisions.length - 2] ?? latest;
  const pick = (value: string | null, fallback: number) => {
    const n = Number(value);
    return value !== null && revisions.includes(n) ? n : fallback;
  };
  return [pick(left, previous), pick(right, latest)];
}
