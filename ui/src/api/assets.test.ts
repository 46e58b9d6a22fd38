import { describe, expect, it } from "vitest";
import { executionsOf, typeLabel, type AssetUsage } from "./assets";

const use = (executionId: string, taskId: string, direction: "IN" | "OUT"): AssetUsage => ({
  direction, executionId, namespace: "n", flowId: "f", taskId, taskRunId: `${executionId}-${taskId}`, created: "2026-01-01T00:00:00Z",
});

describe("assets", () => {
  it("shortens Kestra's asset types and keeps others", () => {
    expect(typeLabel("io.kestra.plugin.ee.assets.Table")).toBe("Table");
    expect(typeLabel("custom.Thing")).toBe("custom.Thing");
    expect(typeLabel(null)).toBe("");
  });

  it("groups uses by execution, in the order they came (newest first)", () => {
    const grouped = executionsOf([use("b", "mart", "IN"), use("a", "staging", "OUT"), use("b", "stage", "OUT")]);
    expect(grouped.map((e) => [e.executionId, e.uses.map((u) => u.taskId)])).toEqual([["b", ["mart", "stage"]], ["a", ["staging"]]]);
  });
});
