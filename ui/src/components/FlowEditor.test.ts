import { describe, expect, it } from "vitest";
import { problemsOf } from "./FlowEditor";

describe("problemsOf", () => {
  it("keeps each located problem of POST /flows/validate", () => {
    const details = [{ path: "tasks[0].typo", message: "unknown property 'typo' (did you mean 'type'?)", line: 5, column: 5 }];
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
