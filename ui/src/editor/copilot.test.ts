import { describe, expect, it } from "vitest";
import { diffLines, diffStats } from "./copilot";

const DIFF = `--- ns/f.yaml
+++ ns/f.yaml
@@ -1,3 +1,3 @@
 id: f
-namespace: old
+namespace: new
+tasks: []
`;

describe("diffLines", () => {
  it("classifies each line of a unified diff", () => {
    expect(diffLines(DIFF).map((l) => l.kind)).toEqual(["file", "file", "hunk", "same", "del", "add", "add"]);
    expect(diffLines(DIFF)[4]).toEqual({ kind: "del", text: "-namespace: old" });
  });

  it("has no line for an empty diff and keeps a last line without a newline", () => {
    expect(diffLines("")).toEqual([]);
    expect(diffLines("+a")).toEqual([{ kind: "add", text: "+a" }]);
  });

  it("counts what was added and removed, file headers aside", () => {
    expect(diffStats(diffLines(DIFF))).toEqual({ added: 2, removed: 1 });
  });
});
