import { describe, expect, it } from "vitest";
import type { FlowGraph, GraphNode } from "../api/models";
import { layers, layout, SIZES } from "./layout";

const task = (uid: string, flowable = false): GraphNode =>
  ({ uid, type: flowable ? "cluster-root" : "task", taskId: uid, taskType: "io.kestra.plugin.core.log.Log", flowable });
const marker = (uid: string, type: string): GraphNode => ({ uid, type, taskId: null, taskType: null, flowable: false });
const edge = (source: string, target: string, value: string | null = null) =>
  ({ source, target, relation: value ? "CHOICE" : "SEQUENTIAL", value });

// The shape of GET /flows/tutorial/branching/graph's If: start → if → (then | else) → if.end → end.
const BRANCHING: FlowGraph = {
  nodes: [marker("root.start", "start"), task("check", true), task("big"), task("small"),
    marker("check.end", "cluster-end"), marker("root.end", "end")],
  edges: [edge("root.start", "check"), edge("check", "big", "then"), edge("check", "small", "else"),
    edge("big", "check.end"), edge("small", "check.end"), edge("check.end", "root.end")],
  clusters: [{ uid: "cluster_check", taskId: "check", nodes: ["check", "big", "small", "check.end"] }],
};

describe("layers", () => {
  it("puts each node one below its deepest predecessor", () => {
    expect(Object.fromEntries(layers(BRANCHING))).toEqual({
      "root.start": 0, check: 1, big: 2, small: 2, "check.end": 3, "root.end": 4,
    });
  });

  it("survives a cycle instead of looping", () => {
    const cyclic: FlowGraph = { nodes: [task("a"), task("b")], edges: [edge("a", "b"), edge("b", "a")], clusters: [] };
    expect(Object.fromEntries(layers(cyclic))).toEqual({ a: 0, b: 1 });
  });
});

describe("layout", () => {
  const result = layout(BRANCHING);
  const at = (uid: string) => result.nodes.find((n) => n.node.uid === uid)!;

  it("places branches side by side in declaration order without overlap", () => {
    expect(at("big").y).toBe(at("small").y);
    expect(at("big").x).toBeLessThan(at("small").x);
    expect(at("small").x - at("big").x).toBeGreaterThanOrEqual(SIZES.task.width + SIZES.gapX);
  });

  it("flows top to bottom and fits every node in the canvas", () => {
    const ys = ["root.start", "check", "big", "check.end", "root.end"].map((uid) => at(uid).y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    for (const n of result.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(result.width);
      expect(n.y + n.height / 2).toBeLessThanOrEqual(result.height);
    }
  });

  it("draws each edge from the bottom of its source to the top of its target, with branch labels", () => {
    const then = result.edges.find((e) => e.target === "big")!;
    expect(then.label).toBe("then");
    expect(then.points[0]).toEqual([at("check").x, at("check").y + at("check").height / 2]);
    expect(then.points[1]).toEqual([at("big").x, at("big").y - at("big").height / 2]);
  });

  it("boxes a cluster around all of its nodes", () => {
    const [box] = result.clusters;
    for (const uid of ["check", "big", "small", "check.end"]) {
      const n = at(uid);
      expect(n.x - n.width / 2).toBeGreaterThan(box!.x);
      expect(n.x + n.width / 2).toBeLessThan(box!.x + box!.width);
      expect(n.y - n.height / 2).toBeGreaterThan(box!.y);
      expect(n.y + n.height / 2).toBeLessThan(box!.y + box!.height);
    }
  });

  it("orders a row by its predecessors to avoid crossings", () => {
    // a → (x, y); x → q, y → p: p should come under y (right), q under x (left).
    const g: FlowGraph = {
      nodes: [task("a"), task("x"), task("y"), task("p"), task("q")],
      edges: [edge("a", "x"), edge("a", "y"), edge("y", "p"), edge("x", "q")],
      clusters: [],
    };
    const placed = layout(g);
    const x = (uid: string) => placed.nodes.find((n) => n.node.uid === uid)!.x;
    expect(x("q")).toBeLessThan(x("p"));
  });
});
