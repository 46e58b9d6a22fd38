import { describe, expect, it } from "vitest";
import { blockScalarLines, scalar, taskAtLine } from "./cursorTask";

const FLOW = `id: nested
namespace: e2e.ui
inputs:
  - id: who
    type: STRING
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hi {{ inputs.who }}"

  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - type: "io.kestra.plugin.core.debug.Return"   # type first
        id: inner
        format: |
          - type: not.a.Task
      - id: untyped
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
`;
const lines = FLOW.split("\n");
const at = (line: number) => taskAtLine(lines, line);

describe("taskAtLine", () => {
  it("finds the task whose item holds the cursor, on any of its lines", () => {
    for (const line of [7, 8, 9]) expect(at(line)).toEqual({ type: "io.kestra.plugin.core.log.Log", id: "hello", line: 7 });
  });

  it("keeps the task above on a blank line", () => {
    expect(at(10)?.id).toBe("hello");
  });

  it("prefers the innermost task and reads quoted types with comments", () => {
    expect(at(14)).toEqual({ type: "io.kestra.plugin.core.debug.Return", id: "inner", line: 14 });
    expect(at(15)?.id).toBe("inner");
  });

  it("is not fooled by list-looking text inside a block scalar", () => {
    expect(at(17)?.id).toBe("inner");
  });

  it("falls back to the enclosing task from an item without a type", () => {
    expect(at(18)).toEqual({ type: "io.kestra.plugin.core.flow.Parallel", id: "fan", line: 11 });
    expect(at(13)?.id).toBe("fan");
  });

  it("finds triggers too", () => {
    expect(at(22)?.type).toBe("io.kestra.plugin.core.trigger.Schedule");
  });

  it("ignores inputs (their types are not plugins) and top-level keys", () => {
    expect(at(5)).toBeNull();
    expect(at(1)).toBeNull();
    expect(at(6)).toBeNull();
    expect(at(19)).toBeNull();
  });

  it("copes with positions out of the text and an empty text", () => {
    expect(at(1000)?.id).toBe("daily");
    expect(taskAtLine([""], 1)).toBeNull();
    expect(taskAtLine([], 1)).toBeNull();
  });

  it("answers fast on a 2,000-line flow", () => {
    const big = ["id: big", "namespace: perf", "tasks:"];
    for (let i = 0; i < 500; i++) big.push(`  - id: t${i}`, "    type: io.kestra.plugin.core.log.Log", `    message: line ${i}`, "");
    const started = performance.now();
    for (let line = 1; line <= big.length; line += 7) taskAtLine(big, line);
    expect(taskAtLine(big, big.length - 2)?.id).toBe("t499");
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("blockScalarLines", () => {
  it("marks the text of literal and folded scalars, not the lines after them", () => {
    expect(blockScalarLines(["a: |", "  - x", "", "  y", "b: >-", "  z", "c: 1"]))
      .toEqual([false, true, true, true, false, true, false]);
  });
});

describe("scalar", () => {
  it("strips quotes and trailing comments", () => {
    expect(scalar(` "a.B" # c`)).toBe("a.B");
    expect(scalar(`'a.B'`)).toBe("a.B");
    expect(scalar(`a.B # c`)).toBe("a.B");
    expect(scalar(`a#b`)).toBe("a#b");
  });
});
