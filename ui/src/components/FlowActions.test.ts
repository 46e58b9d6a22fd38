import { describe, expect, it } from "vitest";
import { duplicateSource } from "./FlowActions";

describe("duplicateSource", () => {
  it("renames the top-level id and keeps the rest as written", () => {
    const source = "id: hello # greets\nnamespace: team\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n";
    expect(duplicateSource(source, "hello")).toBe(
      "id: hello_copy\nnamespace: team\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n");
  });
  it("leaves task ids alone when the flow's id comes later", () => {
    const source = "namespace: team\ntasks:\n  - id: say\nid: late\n";
    expect(duplicateSource(source, "late")).toBe("namespace: team\ntasks:\n  - id: say\nid: late_copy\n");
  });
});
