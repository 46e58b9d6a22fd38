import { describe, expect, it } from "vitest";
import { typeNames, typeSlot } from "./typeCompletion";

describe("typeSlot", () => {
  it("finds a task type being typed after `type:` in a list item", () => {
    expect(typeSlot(["tasks:", "  - id: a", "    type: io.kestra.plugin.core.lo"])).toEqual({ kind: "tasks", startColumn: 11 });
    expect(typeSlot(["tasks:", "  - type: "])).toEqual({ kind: "tasks", startColumn: 11 });
  });

  it("takes trigger types under the top-level triggers key", () => {
    expect(typeSlot(["tasks:", "  - id: a", "triggers:", "  - id: t", '    type: "Sch'])).toEqual({ kind: "triggers", startColumn: 12 });
  });

  it("ignores other keys and values already followed by text", () => {
    expect(typeSlot(["tasks:", "  - id: a", "    message: hi"])).toBeNull();
    expect(typeSlot(["inputs:", "  - type: STRING extra"])).toBeNull();
    expect(typeSlot(["inputs:", "  - id: x", "    type: STR"])).toBeNull();
  });
});

describe("typeNames", () => {
  it("reads the AnyTask and AnyTrigger type lists", () => {
    const schema = { $defs: {
      AnyTask: { properties: { type: { enum: ["log.Log", "io.kestra.plugin.core.log.Log"] } } },
      AnyTrigger: { properties: { type: { enum: ["Schedule"] } } },
    } };
    expect(typeNames(schema)).toEqual({ tasks: ["log.Log", "io.kestra.plugin.core.log.Log"], triggers: ["Schedule"] });
    expect(typeNames({})).toEqual({ tasks: [], triggers: [] });
  });
});
