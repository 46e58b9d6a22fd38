import { describe, expect, it } from "vitest";
import { parsePart } from "../components/NamespaceSettings";
import { timerText } from "../components/execution/MetricsPanel";
import { isoDurationMs } from "../components/execution/PausedBanner";
import { taskRunTree } from "../pages/ExecutionPage";
import type { TaskRun } from "../api/models";

const run = (id: string, parent: string | null = null) => ({ id, taskId: id, parentTaskRunId: parent }) as unknown as TaskRun;

describe("execution page details", () => {
  it("nests task runs under their flowable, in the order they started", () => {
    const tree = taskRunTree([run("fan"), run("next"), run("left", "fan"), run("right", "fan"), run("deep", "left")]);
    expect(tree.map((n) => `${n.run.id}:${n.depth}`)).toEqual(["fan:0", "left:1", "deep:2", "right:1", "next:0"]);
  });

  it("keeps a run whose parent is not listed at the top level", () => {
    expect(taskRunTree([run("orphan", "gone")]).map((n) => n.depth)).toEqual([0]);
  });

  it("reads ISO-8601 durations and refuses expressions", () => {
    expect(isoDurationMs("PT1H30M")).toBe(5_400_000);
    expect(isoDurationMs("P1DT2S")).toBe(86_402_000);
    expect(isoDurationMs("{{ inputs.wait }}")).toBeNull();
    expect(isoDurationMs("PT")).toBeNull();
  });

  it("shows timers as durations", () => {
    expect(timerText(250)).toBe("250 ms");
    expect(timerText(1500)).toBe("1.50 s");
    expect(timerText(125_000)).toBe("2 min 5 s");
  });
});

describe("namespace settings YAML", () => {
  it("accepts a mapping of variables and an empty text", () => {
    expect(parsePart("variables", "region: eu\nrows: 3")).toEqual({ value: { region: "eu", rows: 3 } });
    expect(parsePart("variables", "")).toEqual({ value: {} });
  });

  it("says where YAML is broken and what shape is expected", () => {
    expect("problem" in parsePart("variables", "a: [b") && (parsePart("variables", "a: [b") as { problem: string }).problem).toMatch(/^Line 1/);
    expect(parsePart("variables", "- a")).toEqual({ problem: expect.stringContaining("mapping") });
    expect(parsePart("pluginDefaults", "type: x")).toEqual({ problem: expect.stringContaining("list") });
    expect(parsePart("pluginDefaults", "- values: {}")).toEqual({ problem: expect.stringContaining("Item 1 needs a `type`") });
  });
});
