import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { FlowGraph, GraphNode } from "../api/models";
import { Topology } from "./Topology";

afterEach(cleanup);

const node = (uid: string, taskType: string | null, flowable = false): GraphNode =>
  ({ uid, type: taskType ? "task" : uid, taskId: taskType ? uid : null, taskType, flowable });
const GRAPH: FlowGraph = {
  nodes: [node("start", null), node("hello", "io.kestra.plugin.core.log.Log"), node("end", null)],
  edges: [
    { source: "start", target: "hello", relation: "SEQUENTIAL", value: null },
    { source: "hello", target: "end", relation: "SEQUENTIAL", value: null },
  ],
  clusters: [],
} as FlowGraph;

describe("Topology", () => {
  it("is an image alone: no task button without onSelect", () => {
    render(<Topology graph={GRAPH} />);
    expect(screen.getByRole("img", { name: "Topology: 1 task" })).toBeTruthy();
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });

  it("with onSelect, each task is a button, and the menu opens under the selected one", () => {
    const picked: string[] = [];
    const { rerender } = render(<Topology graph={GRAPH} onSelect={(n) => picked.push(n.uid)} />);
    fireEvent.click(screen.getByRole("button", { name: "Task hello (Log)" }));
    expect(picked).toEqual(["hello"]);
    rerender(<Topology graph={GRAPH} onSelect={() => undefined} selected="hello" menuId="m" menu={<p id="m">actions</p>} />);
    const button = screen.getByRole("button", { name: "Task hello (Log)" });
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(button.getAttribute("aria-controls")).toBe("m");
    expect(screen.getByText("actions")).toBeTruthy();
  });
});
