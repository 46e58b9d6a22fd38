import { describe, expect, it } from "vitest";
import type { JsonSchema } from "./api";
import { editableKinds, fieldsOf, kindFor, parseField, placeholderOf, taskLists, textOf, type Field } from "./taskFields";

const EXPR = { type: "string", pattern: "\\{\\{|\\{%" };
// The shapes the API serves for log.Log and flow.If (trimmed).
const LOG: JsonSchema = {
  required: ["id", "type", "message"],
  properties: {
    id: { type: "string", pattern: "^[a-zA-Z0-9][a-zA-Z0-9_-]*$", description: "Unique id of the task within the flow." },
    type: { type: "string" },
    timeout: { anyOf: [{ type: "string", format: "duration" }, { type: "number" }, EXPR, { type: "null" }], default: null },
    disabled: { type: "boolean", default: false },
    message: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }], description: "What to log." },
    level: { anyOf: [{ type: "string", enum: ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] }, EXPR], default: "INFO" },
    retry: { anyOf: [{ $ref: "#/$defs/Retry" }, { type: "null" }], default: null },
  },
  $defs: { Retry: { type: "object", properties: {} } },
};
const IF: JsonSchema = {
  required: ["id", "type", "condition", "then"],
  properties: {
    id: { type: "string" }, type: { type: "string" },
    errors: { type: "array", items: { $ref: "#/$defs/Task" } },
    condition: { anyOf: [{ type: "string" }, { type: "boolean" }] },
    then: { type: "array", items: { $ref: "#/$defs/Task" }, minItems: 1 },
    else: { type: "array", items: { $ref: "#/$defs/Task" } },
    concurrent: { type: "integer", minimum: 0, default: 0 },
  },
};

const field = (schema: JsonSchema, name: string) => fieldsOf(schema).find((f) => f.name === name)!;

describe("fieldsOf", () => {
  it("orders id and type, then the required properties, the optional ones, the generic ones", () => {
    expect(fieldsOf(LOG).map((f) => f.name)).toEqual(["id", "type", "message", "level", "timeout", "disabled", "retry"]);
  });

  it("maps schema types to inputs", () => {
    const message = field(LOG, "message");
    expect(message.kinds).toEqual(["text", "list"]);
    expect(message.required).toBe(true);
    expect(field(LOG, "level")).toMatchObject({ kinds: ["enum"], options: ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"], expressions: true });
    expect(field(LOG, "timeout").kinds).toEqual(["duration", "number"]);
    expect(field(LOG, "disabled").kinds).toEqual(["boolean"]);
    expect(field(LOG, "retry").kinds).toEqual(["yaml"]);
    expect(field(IF, "then").kinds).toEqual(["tasks"]);
  });

  it("lists a flowable type's task lists, required first, and a Switch's cases as written", () => {
    expect(taskLists(fieldsOf(IF))).toEqual(["then", "errors", "else"]);
    expect(taskLists(fieldsOf(LOG))).toEqual([]);
    const SWITCH: JsonSchema = {
      required: ["value"],
      properties: {
        value: { type: "string" },
        cases: { type: "object", additionalProperties: { type: "array", items: { $ref: "#/$defs/Task" } } },
        defaults: { type: "array", items: { $ref: "#/$defs/Task" } },
      },
    };
    expect(field(SWITCH, "cases").kinds).toEqual(["tasks"]);
    expect(taskLists(fieldsOf(SWITCH), { value: "x", cases: { A: [], B: [] } })).toEqual(["cases.A", "cases.B", "defaults"]);
    expect(taskLists(fieldsOf(SWITCH))).toEqual(["defaults"]);
  });
});

describe("kindFor and textOf", () => {
  it("edits a value in the shape it is written", () => {
    const message = field(LOG, "message");
    expect(kindFor(message, ["a", "b"])).toBe("list");
    expect(textOf("list", ["a", "b"])).toBe("a\nb");
    expect(kindFor(field(LOG, "level"), "{{ inputs.level }}")).toBe("string");
    expect(kindFor(field(LOG, "level"), "WARN")).toBe("enum");
    expect(kindFor(field(LOG, "timeout"), 30)).toBe("number");
    expect(textOf("yaml", { maxAttempt: 3 })).toBe("maxAttempt: 3");
  });
});

describe("editableKinds", () => {
  it("offers an expression where a choice or a number may be one, and nothing to choose for a plain string", () => {
    expect(editableKinds(field(LOG, "level"))).toEqual(["enum", "string"]);
    expect(editableKinds(field(LOG, "message"))).toEqual(["text", "list"]);
    expect(editableKinds(field(LOG, "timeout"))).toEqual(["duration", "number", "string"]);
    expect(editableKinds(field(LOG, "id"))).toEqual(["string"]);
  });
});

describe("parseField", () => {
  const parsed = (f: Field, text: string) => parseField(f, kindFor(f, undefined), text);

  it("says what is wrong, per field", () => {
    expect(parsed(field(LOG, "message"), "  ")).toEqual({ error: "message is required." });
    expect(parsed(field(LOG, "id"), "bad id")).toEqual({ error: "Letters, digits, _ and - only, starting with a letter or digit." });
    expect(parsed(field(LOG, "timeout"), "5 minutes")).toEqual({ error: "A duration in ISO 8601, such as PT30S, PT5M or PT1H30M." });
    expect(parsed(field(IF, "concurrent"), "-1")).toEqual({ error: "At least 0." });
    expect(parsed(field(IF, "concurrent"), "1.5")).toEqual({ error: "A whole number." });
    expect(parseField(field(LOG, "retry"), "yaml", "a: [1")).toMatchObject({ error: expect.stringMatching(/^Not valid YAML: /) });
    expect(parseField(field(LOG, "level"), "string", "LOUD")).toEqual({ error: "An expression, such as {{ inputs.name }}." });
  });

  it("turns text into YAML values; empty leaves an optional property out", () => {
    expect(parsed(field(LOG, "message"), "Hello {{ inputs.who }}")).toEqual({ value: "Hello {{ inputs.who }}" });
    expect(parsed(field(LOG, "timeout"), "pt5m")).toEqual({ value: "PT5M" });
    expect(parsed(field(LOG, "timeout"), "")).toEqual({ value: undefined });
    expect(parsed(field(LOG, "level"), "{{ inputs.level }}")).toEqual({ value: "{{ inputs.level }}" });
    expect(parsed(field(LOG, "disabled"), "true")).toEqual({ value: true });
    expect(parsed(field(IF, "concurrent"), "4")).toEqual({ value: 4 });
    expect(parseField(field(LOG, "message"), "list", "a\n\nb\n")).toEqual({ value: ["a", "b"] });
    expect(parseField(field(LOG, "retry"), "yaml", "type: constant\nmaxAttempt: 3")).toEqual({ value: { type: "constant", maxAttempt: 3 } });
  });
});

describe("placeholderOf", () => {
  it("starts a required property with a value the schema accepts", () => {
    expect(placeholderOf(field(LOG, "message"))).toBe("<message>");
    expect(placeholderOf(field(LOG, "level"))).toBe("INFO");
    expect(placeholderOf(field(IF, "condition"))).toBe("<condition>");
    expect(placeholderOf(field(LOG, "timeout"))).toBe("PT1M");
  });
});
