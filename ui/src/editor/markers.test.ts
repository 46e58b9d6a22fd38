import { describe, expect, it } from "vitest";
import { markersOf, problemsOf, warningsOf } from "./markers";

const SOURCE = `id: a
namespace: b.c
tasks:
  - id: x
    type: io.kestra.plugin.core.log.Lgo
    message: hi`.split("\n");

describe("problemsOf", () => {
  it("keeps each located problem of POST /flows/validate", () => {
    const details = [{ path: "tasks[0].typo", message: "unknown property 'typo'", line: 5, column: 5 }];
    expect(problemsOf([{ details, constraints: "<body>:5:5: tasks[0].typo: unknown property" }])).toEqual(details);
  });

  it("falls back to the constraints text when the server gave no location", () => {
    expect(problemsOf([{ details: [], constraints: "not a YAML mapping" }]))
      .toEqual([{ path: "", message: "not a YAML mapping", line: null, column: null }]);
  });

  it("reports nothing for a valid flow", () => {
    expect(problemsOf([{ details: [], constraints: null }])).toEqual([]);
  });
});

describe("markersOf", () => {
  it("puts a typo in a task type on its line, from the reported column to the end of the line", () => {
    const [marker] = markersOf([{ path: "tasks[0].type", message: "unknown task type 'io.kestra.plugin.core.log.Lgo'", line: 5, column: 11 }], SOURCE);
    expect(marker).toEqual({
      severity: 8, source: "legato", message: "tasks[0].type: unknown task type 'io.kestra.plugin.core.log.Lgo'",
      startLineNumber: 5, startColumn: 11, endLineNumber: 5, endColumn: SOURCE[4]!.length + 1,
    });
  });

  it("starts at the first character of the line when no column was given", () => {
    const [marker] = markersOf([{ path: "tasks[0].message", message: "m", line: 6, column: null }], SOURCE);
    expect(marker).toMatchObject({ startLineNumber: 6, startColumn: 5 });
  });

  it("puts unlocated problems on line 1 and clamps lines and columns to the text", () => {
    const markers = markersOf([
      { path: "", message: "not a mapping", line: null, column: null },
      { path: "x", message: "past the end", line: 99, column: 200 },
    ], SOURCE);
    expect(markers[0]).toMatchObject({ startLineNumber: 1, startColumn: 1, endColumn: 6, message: "not a mapping" });
    expect(markers[1]).toMatchObject({ startLineNumber: 6, startColumn: SOURCE[5]!.length + 1, endColumn: SOURCE[5]!.length + 2 });
  });

  it("marks something visible on an empty text", () => {
    expect(markersOf([{ path: "", message: "empty", line: 1, column: 1 }], [""])[0])
      .toMatchObject({ startLineNumber: 1, startColumn: 1, endColumn: 2 });
  });
});

describe("warningsOf", () => {
  it("keeps the expression findings of valid flows, shown as warning markers", () => {
    const warningDetails = [{ path: "tasks[0].message", message: "unknown filter 'uper'", line: 6, column: 20 }];
    const found = warningsOf([{ warningDetails }, {}]);
    expect(found).toEqual(warningDetails);
    expect(markersOf(found, SOURCE, 4)[0]?.severity).toBe(4);
  });
});
