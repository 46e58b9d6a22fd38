import { describe, expect, it } from "vitest";
import type { DailyStats } from "../api/operations";
import type { Execution, TaskRun } from "../api/models";
import { stackDays, successRatio } from "./dashboard";
import { chipsOf, filtersFromParams, filtersToParams, parseLabels, toQuery } from "./executionFilters";
import { buildGantt, formatOffset, tickStep } from "./gantt";
import { markdownSummary, renderMarkdown, truncateWords } from "./markdown";
import { fileName, outputTree } from "./outputs";
import { formatInstant } from "./settings";

const run = (id: string, taskId: string, start: string, end: string, state = "SUCCESS", extra: Partial<TaskRun> = {}): TaskRun => ({
  id, executionId: "e", taskId, parentTaskRunId: null, value: null, iteration: null, outputs: {}, metrics: [], error: null, attempts: [],
  state: { current: state, histories: [], startDate: start, endDate: end }, ...extra,
});

describe("execution filters ↔ URL", () => {
  it("round-trips every filter and leaves defaults out", () => {
    const params = new URLSearchParams("namespace=a.b&flowId=f&state=FAILED&state=KILLED&label=team:x&from=2026-01-02&to=2026-01-05&range=P7D&page=3&size=50&sort=state:asc");
    const filters = filtersFromParams(params);
    expect(filters).toEqual({ namespace: "a.b", flowId: "f", states: ["FAILED", "KILLED"], labels: ["team:x"], from: "2026-01-02", to: "2026-01-05", range: "P7D", page: 3, size: 50, sort: "state:asc" });
    expect(filtersToParams(filters).toString()).toBe(params.toString());
    expect(filtersToParams(filtersFromParams(new URLSearchParams())).toString()).toBe("");
  });

  it("makes one removable chip per condition; a range preset counts back from now", () => {
    const filters = filtersFromParams(new URLSearchParams("namespace=a&flowId=f&state=FAILED&state=KILLED&label=t:x&range=PT1H"));
    const chips = chipsOf(filters);
    expect(chips.map((c) => `${c.label} ${c.value}`)).toEqual(["Namespace a", "Flow f", "State FAILED", "State KILLED", "Label t:x", "Started last hour"]);
    expect(chips[0]!.without).toEqual({ namespace: "", flowId: "" });
    expect(chips[2]!.without).toEqual({ states: ["KILLED"] });
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(toQuery(filters, now)).toMatchObject({ startDate: "2026-03-01T11:00:00.000Z", endDate: undefined });
  });

  it("drops what is malformed instead of sending it to the server", () => {
    const filters = filtersFromParams(new URLSearchParams("state=NOPE&label=bad&from=yesterday&page=-2&size=7&sort=toString"));
    expect(filters).toMatchObject({ states: [], labels: [], from: "", page: 1, size: 25, sort: "startDate:desc" });
    expect(parseLabels("a:1, b , c:2:3\n:x")).toEqual(["a:1", "c:2:3"]);
  });

  it("turns local days into an inclusive instant range and ignores a flow without namespace", () => {
    const query = toQuery({ ...filtersFromParams(new URLSearchParams("flowId=f&from=2026-03-01&to=2026-03-01")) });
    expect(query.flowId).toBeUndefined();
    const span = new Date(query.endDate!).getTime() - new Date(query.startDate!).getTime();
    expect(span).toBe(86_400_000 - 1000);
  });
});

describe("Gantt scale", () => {
  it("picks readable tick steps", () => {
    expect(tickStep(900)).toBe(200);
    expect(tickStep(7_000)).toBe(1000);
    expect(tickStep(3_600_000)).toBe(600_000);
    expect(formatOffset(1500)).toBe("1.5 s");
    expect(formatOffset(125_000)).toBe("2 min 5 s");
  });

  it("places runs and attempts relative to the start, children under their parent", () => {
    const t0 = "2026-01-01T00:00:00.000Z";
    const runs = [
      run("p", "parallel", t0, "2026-01-01T00:00:10.000Z"),
      run("b", "second", "2026-01-01T00:00:05.000Z", "2026-01-01T00:00:10.000Z", "FAILED", {
        attempts: [
          { state: { current: "FAILED", startDate: "2026-01-01T00:00:05.000Z", endDate: "2026-01-01T00:00:06.000Z" } },
          { state: { current: "FAILED", startDate: "2026-01-01T00:00:08.000Z", endDate: "2026-01-01T00:00:10.000Z" } },
        ],
      }),
      run("c", "child", t0, "2026-01-01T00:00:02.500Z", "SUCCESS", { parentTaskRunId: "p" }),
    ];
    const g = buildGantt(runs, t0, Date.parse("2026-01-01T00:01:00Z"));
    expect(g.rows.map((r) => [r.label, r.depth])).toEqual([["parallel", 0], ["child", 1], ["second", 0]]);
    expect(g.rows[2]!.run.left).toBeCloseTo(0.5);
    expect(g.rows[2]!.run.width).toBeCloseTo(0.5);
    expect(g.rows[2]!.attempts.map((a) => a.left)).toEqual([0.5, 0.8]);
    expect(g.ticks.map((t) => t.label)).toEqual(["0", "2 s", "4 s", "6 s", "8 s", "10 s"]);
  });

  it("tells which runner each attempt used, the last one for the row", () => {
    const t0 = "2026-01-01T00:00:00.000Z";
    const g = buildGantt([run("s", "script", t0, "2026-01-01T00:00:03.000Z", "SUCCESS", {
      attempts: [
        { state: { current: "FAILED", startDate: t0, endDate: "2026-01-01T00:00:01.000Z" }, runner: "sandbox" },
        { state: { current: "SUCCESS", startDate: "2026-01-01T00:00:02.000Z", endDate: "2026-01-01T00:00:03.000Z" }, runner: "docker" },
      ],
    }), run("l", "log", t0, "2026-01-01T00:00:01.000Z")], t0, Date.parse("2026-01-01T00:01:00Z"));
    expect(g.rows[0]!.attempts.map((a) => a.runner)).toEqual(["sandbox", "docker"]);
    expect(g.rows[0]!.runner).toBe("docker");
    expect(g.rows[1]!.runner).toBeUndefined();
  });

  it("stretches running task runs to now", () => {
    const g = buildGantt([run("a", "slow", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "RUNNING")], null, Date.parse("2026-01-01T00:00:04Z"));
    expect(g.end - g.start).toBe(4000);
    expect(g.rows[0]!.run.width).toBe(1);
  });
});

describe("dashboard", () => {
  const stats: DailyStats[] = [
    { startDate: "2026-01-01", executionCounts: { SUCCESS: 3, FAILED: 1, QUEUED: 2 }, duration: { count: 0, sum: 0, avg: null, min: null, max: null } },
    { startDate: "2026-01-02", executionCounts: {}, duration: { count: 0, sum: 0, avg: null, min: null, max: null } },
  ];
  it("stacks states bottom-up and folds the rare ones into OTHER", () => {
    const { bars, max } = stackDays(stats);
    expect(max).toBe(6);
    expect(bars[0]!.segments).toEqual([
      { state: "SUCCESS", count: 3, offset: 0 }, { state: "FAILED", count: 1, offset: 3 }, { state: "OTHER", count: 2, offset: 4 },
    ]);
    expect(bars[1]!.total).toBe(0);
  });
  it("computes the success ratio over ended executions only", () => {
    expect(successRatio(stats)).toEqual({ total: 6, success: 3, failed: 1, ratio: 0.75 });
    expect(successRatio([]).ratio).toBeNull();
  });
});

describe("outputs tree", () => {
  it("flattens nested outputs and spots internal-storage files", () => {
    const execution = { taskRunList: [
      run("r1", "extract", "", "", "SUCCESS", { outputs: { uri: "kestra:///a/b/my%20file.csv", rows: [{ n: 1 }] } }),
      run("r2", "empty", "", ""),
    ] } as unknown as Execution;
    const nodes = outputTree(execution);
    expect(nodes.map((n) => [n.path, n.text, n.file])).toEqual([
      ["extract", null, false], ["extract.uri", "kestra:///a/b/my%20file.csv", true], ["extract.rows", null, false],
      ["extract.rows[0]", null, false], ["extract.rows[0].n", "1", false],
    ]);
    expect(fileName("kestra:///a/b/my%20file.csv")).toBe("my file.csv");
  });
});

describe("Markdown sanitising", () => {
  it("keeps formatting and drops scripts, handlers, SVG and javascript: links", () => {
    const html = renderMarkdown("**bold** [ok](https://x.test) [bad](javascript:alert(1)) <img src=x onerror=alert(1)> <script>alert(1)</script> <svg onload=alert(1)></svg>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain('href="https://x.test"');
    expect(html).toContain('rel="noopener noreferrer"');
    expect(html).not.toMatch(/javascript:|onerror|<script|<svg|onload/i);
  });
});

describe("date formats", () => {
  it("formats as ISO or relative", () => {
    expect(formatInstant("2026-01-01T10:00:00.123Z", "iso")).toBe("2026-01-01 10:00:00Z");
    const now = Date.parse("2026-01-01T10:05:00Z");
    expect(formatInstant("2026-01-01T10:00:00Z", "relative", now)).toMatch(/5 minutes ago/);
    expect(formatInstant("garbage", "iso")).toBe("garbage");
  });
});

describe("description summaries", () => {
  it("cut between words with an ellipsis, never inside a word", () => {
    expect(truncateWords("short enough", 20)).toBe("short enough");
    expect(truncateWords("Loads the daily report, then sends it", 24)).toBe("Loads the daily report…");
    expect(truncateWords("a verylongwordwithoutanyspaceatall", 12)).toBe("a verylongw…");
    expect(truncateWords("spaces\n  and   lines", 40)).toBe("spaces and lines");
  });

  it("read the first paragraph of the rendered Markdown as text", () => {
    const { short, full } = markdownSummary("**Bold** and [a link](https://x.org) here.\n\nSecond <script>x()</script> part.", 100);
    expect(short).toBe("Bold and a link here.");
    expect(full).toBe("Bold and a link here. Second part.");
  });
});
