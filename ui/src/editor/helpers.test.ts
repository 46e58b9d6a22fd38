import { describe, expect, it } from "vitest";
import { orderProperties, typeLabel } from "../components/Properties";
import { comparedPair, languageOf, normalisePath } from "./helpers";

describe("comparedPair", () => {
  it("compares the previous revision with the latest by default", () => {
    expect(comparedPair([1, 2, 3], null, null)).toEqual([2, 3]);
  });
  it("takes the revisions named in the URL when they exist", () => {
    expect(comparedPair([1, 2, 3], "1", "2")).toEqual([1, 2]);
  });
  it("ignores revisions that do not exist and copes with a single revision", () => {
    expect(comparedPair([1, 2, 3], "9", "x")).toEqual([2, 3]);
    expect(comparedPair([1], null, null)).toEqual([1, 1]);
  });
});

describe("typeLabel", () => {
  it("names property types as the docs table shows them", () => {
    expect(typeLabel({ type: "string" })).toBe("string");
    expect(typeLabel({ anyOf: [{ type: "integer" }, { type: "null" }] })).toBe("integer | null");
    expect(typeLabel({ type: "array", items: { type: "string" } })).toBe("array of string");
    expect(typeLabel({ $ref: "#/$defs/Retry" })).toBe("Retry");
    expect(typeLabel({ enum: ["INFO", "WARN"] })).toBe('"INFO" | "WARN"');
    expect(typeLabel({ type: "string", format: "duration" })).toBe("string (duration)");
    expect(typeLabel({})).toBe("any");
  });
});

describe("normalisePath", () => {
  it("makes an absolute path of what the user typed", () => {
    expect(normalisePath("scripts/etl.py")).toBe("/scripts/etl.py");
    expect(normalisePath(" /a//b/./c.sql ")).toBe("/a/b/c.sql");
  });
  it("refuses empty paths and parent references", () => {
    expect(normalisePath("")).toBeNull();
    expect(normalisePath("/")).toBeNull();
    expect(normalisePath("a/../../etc/passwd")).toBeNull();
  });
});

describe("languageOf", () => {
  it("picks the highlighting by extension, plain text otherwise", () => {
    expect(languageOf("/scripts/etl.py")).toBe("python");
    expect(languageOf("/flows/x.YML")).toBe("yaml");
    expect(languageOf("/README")).toBe("plaintext");
  });
});

describe("orderProperties", () => {
  it("puts the type's own properties first, required ones on top, and the generic ones apart", () => {
    const schema = {
      properties: { id: {}, type: {}, retry: {}, inputs: {}, namespace: {}, flowId: {}, wait: {} },
      required: ["id", "type", "namespace", "flowId"],
    };
    expect(orderProperties(schema)).toEqual([["namespace", "flowId", "inputs", "wait"], ["id", "type", "retry"]]);
  });
});
