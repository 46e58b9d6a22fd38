// Problems reported by POST /flows/validate, as Monaco marker data. Pure: Monaco itself is not imported,
// so this maps and tests without a browser.
import type { ErrorDetail, ValidateResult } from "../api/models";

export type Problem = ErrorDetail;

/** Expression findings of valid flows (unknown function, `outputs.<id>` of no task...): shown, never blocking. */
export function warningsOf(results: Partial<Pick<ValidateResult, "warningDetails">>[]): Problem[] {
  return results.flatMap((r) => r.warningDetails ?? []);
}

/** Problems of POST /flows/validate, each with its line (null when the server gave none). */
export function problemsOf(results: Pick<ValidateResult, "details" | "constraints">[]): Problem[] {
  return results.flatMap((r) =>
    r.details.length > 0 ? r.details
      : r.constraints ? [{ path: "", message: r.constraints, line: null, column: null }] : []);
}

/** The shape of monaco.editor.IMarkerData the editor sets (severity 8 is MarkerSeverity.Error, 4 Warning). */
export interface MarkerData {
  severity: 8 | 4;
  message: string;
  source: string;
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/**
 * One marker per problem on the line the server named (clamped to the text; line 1 when it named none),
 * from the reported column — or the line's first character — to the end of the line.
 */
export function markersOf(problems: readonly Problem[], lines: readonly string[], severity: 8 | 4 = 8): MarkerData[] {
  const count = Math.max(lines.length, 1);
  return problems.map((p) => {
    const line = Math.min(Math.max(p.line ?? 1, 1), count);
    const text = lines[line - 1] ?? "";
    const end = text.length + 1;
    const first = text.length - text.trimStart().length + 1;
    const start = p.column ? Math.min(Math.max(p.column, 1), end) : first;
    return {
      severity,
      message: p.path ? `${p.path}: ${p.message}` : p.message,
      source: "legato",
      startLineNumber: line,
      startColumn: start,
      endLineNumber: line,
      endColumn: Math.max(end, start + 1),
    };
  });
}
