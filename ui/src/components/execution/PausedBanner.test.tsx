import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Execution } from "../../api/models";
import { PausedBanner } from "./PausedBanner";

afterEach(cleanup);

const PAUSED_AT = "2026-01-01T10:00:00Z";

function execution(): Execution {
  return {
    id: "x1", namespace: "team", flowId: "gate", flowRevision: 1, labels: [], inputs: {}, outputs: {},
    state: { current: "PAUSED", histories: [], startDate: PAUSED_AT, endDate: null },
    taskRunList: [{
      id: "r1", executionId: "x1", taskId: "hold", parentTaskRunId: null, value: null, iteration: null, attempts: [],
      outputs: {}, metrics: [], error: null,
      state: { current: "PAUSED", histories: [{ state: "PAUSED", date: PAUSED_AT }], startDate: PAUSED_AT, endDate: null },
    }],
  } as unknown as Execution;
}

function banner(task: Record<string, unknown>, canResume = false) {
  cleanup();
  const client = new QueryClient();
  client.setQueryData(["flow", "team", "gate", 1], { id: "gate", namespace: "team", tasks: [{ id: "hold", type: "flow.Pause", ...task }] });
  render(<QueryClientProvider client={client}><PausedBanner execution={execution()} canResume={canResume} onResumed={() => undefined} /></QueryClientProvider>);
  return screen.getByRole("region", { name: "Paused" }).textContent ?? "";
}

describe("PausedBanner", () => {
  it("says until when a timed pause waits and what happens then", () => {
    const text = banner({ pauseDuration: "PT1H", behavior: "FAIL" });
    expect(text).toContain("Task hold paused the execution: it waits until");
    expect(text).toContain("then it fails, unless someone resumes it sooner");
  });

  it("says a pause without a duration waits for someone, with its timeout", () => {
    expect(banner({})).toContain("it waits for someone to resume it.");
    expect(banner({ timeout: "PT30M", behavior: "WARN" })).toContain("(at most until");
  });

  it("offers the onResume inputs to those who may resume", () => {
    banner({ onResume: [{ id: "approved", type: "BOOL", defaults: true }] }, true);
    expect(screen.getByRole("form", { name: "Resume" })).toBeTruthy();
    expect(screen.getByLabelText("approved")).toBeTruthy();
  });
});
