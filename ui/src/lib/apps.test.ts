import { describe, expect, it } from "vitest";
import {
  appRoute, chartPoints, fileName, following, formInputs, isAppPage, pagePath, redirectTarget, shown,
} from "./apps";

describe("app pages", () => {
  it("finds the form a stage's button submits", () => {
    const blocks = [{ type: "Markdown", content: "x" },
      { type: "CreateExecutionForm", inputs: [{ id: "who", type: "STRING" }] }, { type: "CreateExecutionButton" }];
    expect(formInputs(blocks, "CreateExecutionForm")).toEqual([{ id: "who", type: "STRING" }]);
    expect(formInputs(blocks, "ResumeExecutionForm")).toBeNull();
    expect(formInputs([{ type: "ResumeExecutionForm" }], "ResumeExecutionForm")).toEqual([]);
  });

  it("follows an execution until it has ended", () => {
    expect(following(undefined)).toBe(false);
    expect(following({ execution: null, ended: false })).toBe(false);
    expect(following({ execution: { id: "e" }, ended: false })).toBe(true);
    expect(following({ execution: { id: "e" }, ended: true })).toBe(false);
  });

  it("shows values and file names", () => {
    expect(fileName("kestra:///ns/f/executions/e/inputs/doc/my%20file.txt")).toBe("my file.txt");
    expect(fileName("kestra:///ns/f/executions/e/bad%E0")).toBe("bad%E0");
    expect(shown(null)).toBe("—");
    expect(shown("")).toBe("—");
    expect(shown(3)).toBe("3");
    expect(shown(false)).toBe("false");
    expect(shown({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  it("redirects only to web addresses and paths of this site", () => {
    expect(redirectTarget("https://kestra.io/docs")).toBe("https://kestra.io/docs");
    expect(redirectTarget("/ui/main/apps/x")).toBe("/ui/main/apps/x");
    expect(redirectTarget("//evil.example")).toBeNull();
    expect(redirectTarget("javascript:alert(1)")).toBeNull();
    expect(redirectTarget(undefined)).toBeNull();
  });

  it("reads a chart's rows", () => {
    expect(chartPoints([{ d: "mon", n: 2 }, { d: "tue", n: "x" }, 7], "d", "n"))
      .toEqual([{ label: "mon", value: 2 }, { label: "tue", value: 0 }]);
    expect(chartPoints("nope", "d", "n")).toEqual([]);
  });

  it("knows an app page's address", () => {
    expect(pagePath("main", "my app", null)).toBe("/ui/main/apps/my%20app");
    expect(pagePath("acme", "a", "e1")).toBe("/ui/acme/apps/a?execution=e1");
    expect(appRoute("a", "e1")).toBe("/apps/a?execution=e1");
    expect(isAppPage("/apps/vacation")).toBe(true);
    expect(isAppPage("/apps")).toBe(false);
    expect(isAppPage("/apps/new")).toBe(false);
    expect(isAppPage("/apps/vacation/edit")).toBe(false);
  });
});
