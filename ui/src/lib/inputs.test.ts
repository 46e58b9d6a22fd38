import { describe, expect, it } from "vitest";
import type { FlowInput } from "../api/models";
import { fieldsFor, initialValues, toFormData, validate } from "./inputs";

const INPUTS: FlowInput[] = [
  { id: "name", type: "STRING", defaults: "World" },
  { id: "count", type: "INT", min: 1, max: 10 },
  { id: "ratio", type: "FLOAT", required: false },
  { id: "loud", type: "BOOL", defaults: true },
  { id: "color", type: "SELECT", values: ["red", "green"], defaults: "green" },
  { id: "day", type: "DATE", required: false },
  { id: "at", type: "DATETIME", required: false },
  { id: "data", type: "FILE" },
  { id: "tags", type: "MULTISELECT", values: ["a", "b", "c"], required: false },
  { id: "payload", type: "JSON", required: false, displayName: "Payload" },
  { id: "token", type: "SECRET", defaults: "{{ kv('token') }}" },
];

describe("fieldsFor", () => {
  const fields = Object.fromEntries(fieldsFor(INPUTS).map((f) => [f.id, f]));

  it("maps each input type to a form control", () => {
    expect(Object.fromEntries(Object.entries(fields).map(([id, f]) => [id, f.kind]))).toEqual({
      name: "text", count: "number", ratio: "number", loud: "checkbox", color: "select", day: "date",
      at: "datetime-local", data: "file", tags: "multiselect", payload: "textarea", token: "password",
    });
  });

  it("is required unless optional or defaulted", () => {
    expect(fields.name!.required).toBe(false);
    expect(fields.count!.required).toBe(true);
    expect(fields.ratio!.required).toBe(false);
    expect(fields.data!.required).toBe(true);
    expect(fields.loud!.required).toBe(false);
  });

  it("starts from literal defaults and leaves expressions to the server", () => {
    const values = initialValues(fieldsFor(INPUTS));
    expect(values.name).toBe("World");
    expect(values.loud).toBe(true);
    expect(values.color).toBe("green");
    expect(values.token).toBe("");
    expect(values.tags).toEqual([]);
  });

  it("carries numeric steps, bounds, options and labels", () => {
    expect(fields.count).toMatchObject({ step: "1", min: "1", max: "10" });
    expect(fields.ratio!.step).toBe("any");
    expect(fields.color!.options).toEqual(["red", "green"]);
    expect(fields.payload!.label).toBe("Payload");
    expect(fields.name!.label).toBe("name");
  });

  it("treats an unknown type as text", () => {
    expect(fieldsFor([{ id: "x", type: "SOMETHING_NEW" }])[0]!.kind).toBe("text");
  });
});

describe("validate", () => {
  const fields = fieldsFor(INPUTS);
  const base = { ...initialValues(fields), count: "3", data: new File(["x"], "x.csv") };

  it("accepts a complete form", () => {
    expect(validate(fields, base)).toEqual({});
  });

  it("names missing required inputs", () => {
    expect(validate(fields, { ...base, count: "", data: null })).toEqual({
      count: "count is required", data: "data is required",
    });
  });

  it("rejects malformed numbers and JSON", () => {
    expect(validate(fields, { ...base, count: "2.5", ratio: "abc", payload: "{oops" })).toEqual({
      count: "count must be a whole number", ratio: "ratio must be a number", payload: "Payload must be valid JSON",
    });
  });

  it("checks min and max, the validator and the select's values as the flow does", () => {
    const checked = fieldsFor([...INPUTS, { id: "code", type: "STRING", required: false, validator: "[A-Z]{3}" }]);
    expect(validate(checked, { ...base, count: "11", color: "blue", tags: ["a", "z"], code: "ABCD" })).toEqual({
      count: "count must be at most 10", color: "color must be one of red, green",
      tags: "tags: z is not one of a, b, c", code: "code must match [A-Z]{3}",
    });
    expect(validate(checked, { ...base, count: "0", code: "ABC" })).toEqual({ count: "count must be at least 1" });
    const short = fieldsFor([{ id: "s", type: "STRING", minLength: 2, maxLength: 3 }]);
    expect(validate(short, { s: "a" })).toEqual({ s: "s must be at least 2 characters" });
    expect(validate(short, { s: "abcd" })).toEqual({ s: "s must be at most 3 characters" });
    // a pattern the browser cannot read is left to the server
    expect(validate(fieldsFor([{ id: "p", type: "STRING", validator: "(?<x" }]), { p: "anything" })).toEqual({});
  });
});

describe("toFormData", () => {
  const fields = fieldsFor(INPUTS);

  it("sends typed values as the API expects and leaves empty optional ones out", () => {
    const file = new File(["a,b\n1,2\n"], "data.csv", { type: "text/csv" });
    const data = toFormData(fields, {
      ...initialValues(fields), count: "4", loud: false, tags: ["a", "c"], at: "2024-05-01T10:30", data: file,
    });
    expect(data.get("name")).toBe("World");
    expect(data.get("count")).toBe("4");
    expect(data.get("loud")).toBe("false");
    expect(data.get("tags")).toBe('["a","c"]');
    expect(data.get("at")).toBe(new Date("2024-05-01T10:30").toISOString());
    expect((data.get("data") as File).name).toBe("data.csv");
    expect(data.has("ratio")).toBe(false);
    expect(data.has("day")).toBe(false);
    expect(data.has("token")).toBe(false);
  });
});
