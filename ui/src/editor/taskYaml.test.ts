import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyEdit, findTask, propertyOf, yamlProblem, insertAfterEdit, insertBeforeEdit, insertInsideEdit, listTasks, setPropertyEdit, TaskEditError, taskItemText } from "./taskYaml";

const FLOW = `id: hello # the flow
namespace: e2e.form
tasks:
  # first task
  - id: hello   # say hi
    type: io.kestra.plugin.core.log.Log
    message: |
      line1
      line2

  - id: cond
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: inner
        type: log.Log
        message: hi # trailing
# end comment
triggers:
  - id: daily
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
`;

const set = (source: string, id: string, key: string, value: unknown) =>
  applyEdit(source, setPropertyEdit(source, findTask(source, id)!, key, value)!);

describe("listTasks", () => {
  it("finds tasks, nested tasks and triggers in document order", () => {
    expect(listTasks(FLOW).map((t) => [t.id, t.type])).toEqual([
      ["hello", "io.kestra.plugin.core.log.Log"], ["cond", "io.kestra.plugin.core.flow.If"], ["inner", "log.Log"],
      ["daily", "io.kestra.plugin.core.trigger.Schedule"],
    ]);
    expect(findTask(FLOW, "hello")!.values.message).toBe("line1\nline2\n");
  });

  it("names each task's path as the server's problems do, and the property a problem is about", () => {
    const tasks = listTasks(FLOW);
    expect(tasks.map((t) => t.path)).toEqual(["tasks[0]", "tasks[1]", "tasks[1].then[0]", "triggers[0]"]);
    const cond = tasks[1]!;
    expect(propertyOf(cond, "tasks[1].condition", tasks)).toBe("condition");
    expect(propertyOf(cond, "tasks[1].retry.type", tasks)).toBe("retry");
    expect(propertyOf(cond, "tasks[1]", tasks)).toBe("");
    expect(propertyOf(cond, "tasks[1].then[0].message", tasks)).toBeNull();
    expect(propertyOf(tasks[2]!, "tasks[1].then[0].message", tasks)).toBe("message");
    expect(propertyOf(cond, "tasks[10].message", tasks)).toBeNull();
  });

  it("finds nothing in a source that does not parse, and says why", () => {
    const broken = "tasks:\n  - id: a\n    type: b.C\n    message: [x\n";
    expect(listTasks(broken)).toEqual([]);
    expect(yamlProblem(broken)).toMatch(/^line \d+: /);
    expect(yamlProblem(FLOW)).toBeNull();
  });
});

describe("setPropertyEdit", () => {
  it("rewrites one scalar in place, keeping its trailing comment and every other line", () => {
    const out = set(FLOW, "inner", "message", "bye");
    expect(out).toBe(FLOW.replace("message: hi # trailing", "message: bye # trailing"));
  });

  it("rewrites a block scalar and keeps the blank line after it", () => {
    const out = set(FLOW, "hello", "message", "one\ntwo");
    expect(out).toBe(FLOW.replace("message: |\n      line1\n      line2\n", "message: |-\n      one\n      two\n"));
    expect(parse(out).tasks[0].message).toBe("one\ntwo");
  });

  it("adds a missing key after the task's last one, at its indentation", () => {
    const out = set(FLOW, "hello", "level", "WARN");
    expect(out).toBe(FLOW.replace("      line2\n", "      line2\n    level: WARN\n"));
    const nested = set(FLOW, "cond", "description", "checks {{ x }}");
    expect(parse(nested).tasks[1].description).toBe("checks {{ x }}");
    expect(nested).toContain("message: hi # trailing\n    description:");
    expect(nested).toContain("# end comment");
  });

  it("writes lists and maps as block YAML under the key", () => {
    const out = set(FLOW, "daily", "inputs", { a: 1, b: ["x", "y"] });
    expect(parse(out).triggers[0].inputs).toEqual({ a: 1, b: ["x", "y"] });
    expect(out).toContain("    inputs:\n      a: 1\n      b:\n        - x\n        - y");
  });

  it("removes a key with its line", () => {
    const out = set(FLOW, "daily", "cron", undefined);
    expect(out).toBe(FLOW.replace('    cron: "0 9 * * *"\n', ""));
  });

  it("removes the key on the dash's line by moving the next key up", () => {
    const source = "tasks:\n  - message: x\n    id: a\n    type: log.Log\n";
    expect(set(source, "a", "message", undefined)).toBe("tasks:\n  - id: a\n    type: log.Log\n");
  });

  it("fills a key written without a value, and follows a list written without indentation", () => {
    const empty = "tasks:\n  - id: a\n    type: log.Log\n    message:\n  - id: b\n    type: log.Log\n";
    expect(set(empty, "a", "message", "hi")).toBe(empty.replace("message:\n", "message: hi\n"));
    const flat = "tasks:\n- id: a\n  type: log.Log\n  message: x\n- id: b\n  type: log.Log\n  message: y";
    expect(set(flat, "b", "level", "WARN")).toBe(`${flat}\n  level: WARN`);
    const after = applyEdit(flat, insertAfterEdit(flat, findTask(flat, "a")!, { id: "c", type: "log.Log", message: "z" }));
    expect(after).toBe(flat.replace("  message: x\n", "  message: x\n- id: c\n  type: log.Log\n  message: z\n"));
  });

  it("refuses a task written in flow style", () => {
    const source = "tasks:\n  - { id: a, type: log.Log, message: x }\n";
    expect(() => setPropertyEdit(source, findTask(source, "a")!, "message", "y")).toThrow(TaskEditError);
  });
});

describe("inserting a task", () => {
  const log = { id: "said", type: "io.kestra.plugin.core.log.Log", message: "<message>" };

  it("renders a list item at an indentation", () => {
    expect(taskItemText(log, 2)).toBe('  - id: said\n    type: io.kestra.plugin.core.log.Log\n    message: <message>');
  });

  it("adds after a task, before the blank line and comments that follow it", () => {
    const out = applyEdit(FLOW, insertAfterEdit(FLOW, findTask(FLOW, "hello")!, log));
    expect(parse(out).tasks.map((t: { id: string }) => t.id)).toEqual(["hello", "said", "cond"]);
    expect(out).toContain("      line2\n  - id: said\n");
    expect(out).toContain("# first task");
  });

  it("adds before a task, below the comment above it", () => {
    const out = applyEdit(FLOW, insertBeforeEdit(FLOW, findTask(FLOW, "hello")!, log));
    expect(parse(out).tasks.map((t: { id: string }) => t.id)).toEqual(["said", "hello", "cond"]);
    expect(out).toContain("  # first task\n  - id: said\n    type: io.kestra.plugin.core.log.Log\n    message: <message>\n  - id: hello");
  });

  it("adds after a nested task, inside its list", () => {
    const out = applyEdit(FLOW, insertAfterEdit(FLOW, findTask(FLOW, "inner")!, log));
    expect(parse(out).tasks[1].then.map((t: { id: string }) => t.id)).toEqual(["inner", "said"]);
    expect(out).toContain("message: hi # trailing\n      - id: said\n");
  });

  it("adds inside a flowable task: at the end of its list, or a new list", () => {
    const inside = applyEdit(FLOW, insertInsideEdit(FLOW, findTask(FLOW, "cond")!, "then", log));
    expect(parse(inside).tasks[1].then.map((t: { id: string }) => t.id)).toEqual(["inner", "said"]);
    const other = applyEdit(FLOW, insertInsideEdit(FLOW, findTask(FLOW, "cond")!, "else", log));
    expect(parse(other).tasks[1].else).toEqual([log]);
    expect(other).toContain("    else:\n      - id: said\n");
  });

  it("adds inside one case of a Switch", () => {
    const source = "tasks:\n  - id: s\n    type: flow.Switch\n    value: x\n    cases:\n      A:\n        - id: a1\n          type: log.Log\n          message: a # first\n      \"1\":\n    defaults:\n      - id: d\n        type: log.Log\n        message: d\n";
    const s = findTask(source, "s")!;
    const inA = applyEdit(source, insertInsideEdit(source, s, "cases.A", log));
    expect(parse(inA).tasks[0].cases.A.map((t: { id: string }) => t.id)).toEqual(["a1", "said"]);
    expect(inA).toContain("message: a # first\n        - id: said\n");
    const inOne = applyEdit(source, insertInsideEdit(source, s, "cases.1", log));
    expect(parse(inOne).tasks[0].cases["1"]).toEqual([log]);
    expect(parse(inOne).tasks[0].defaults).toHaveLength(1);
  });

  it("fills an empty list key", () => {
    const source = "tasks:\n  - id: p\n    type: flow.Parallel\n    tasks:\n";
    const out = applyEdit(source, insertInsideEdit(source, findTask(source, "p")!, "tasks", log));
    expect(parse(out).tasks[0].tasks).toEqual([log]);
  });
});
