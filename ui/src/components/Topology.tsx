// A flow's topology as SVG, laid out by lib/layout.ts. Task states colour the nodes when given. With `onSelect`
// (the flow editor), each task is also a button laid over its box, and `menu` shows under the selected one.
import { useMemo, type ReactNode } from "react";
import type { FlowGraph, GraphNode } from "../api/models";
import { layout } from "../lib/layout";

interface Props {
  graph: FlowGraph;
  /** Current state per task id, for an execution's live topology. */
  states?: Record<string, string>;
  /** A click (or Enter) on a task's box. */
  onSelect?: (node: GraphNode) => void;
  /** uid of the selected node: `menu` opens under it. */
  selected?: string | null;
  menu?: ReactNode;
  /** id of the element `menu` renders (the selected node's button controls it). */
  menuId?: string;
}

const shortType = (type: string | null) => (type ? type.split(".").pop() ?? type : "");

function edgePath(points: [number, number][]): string {
  const [[x1, y1], [x2, y2]] = points as [[number, number], [number, number]];
  const mid = (y1 + y2) / 2;
  return `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}`;
}

export function Topology({ graph, states, onSelect, selected, menu, menuId }: Props) {
  const placed = useMemo(() => layout(graph), [graph]);
  const tasks = graph.nodes.filter((n) => n.taskId).length;
  const open = placed.nodes.find((p) => p.node.uid === selected);
  return (
    <div className="topology">
      <div className="topology-canvas" style={{ width: placed.width, height: placed.height }}>
        <svg
          role="img"
          aria-label={`Topology: ${tasks} task${tasks === 1 ? "" : "s"}`}
          width={placed.width}
          height={placed.height}
          viewBox={`0 0 ${placed.width} ${placed.height}`}
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
            </marker>
          </defs>
          {placed.clusters.map((c) => (
            <rect key={c.uid} className="cluster" x={c.x} y={c.y} width={c.width} height={c.height} rx={8} />
          ))}
          {placed.edges.map((e, i) => (
            <g key={i} className={`edge edge-${e.relation.toLowerCase()}`}>
              <path d={edgePath(e.points)} markerEnd="url(#arrow)" />
              {e.label && (
                <text x={(e.points[0]![0] + e.points[1]![0]) / 2} y={(e.points[0]![1] + e.points[1]![1]) / 2} className="edge-label">
                  {e.label}
                </text>
              )}
            </g>
          ))}
          {placed.nodes.map(({ node, x, y, width, height }) => {
            if (!node.taskId) {
              return <circle key={node.uid} className={`marker marker-${node.type}`} cx={x} cy={y} r={width / 2 - 4}><title>{node.type}</title></circle>;
            }
            const state = states?.[node.taskId];
            return (
              <g key={node.uid} className={`node${node.flowable ? " flowable" : ""}${state ? ` state-${state.toLowerCase()}` : ""}`} data-task={node.taskId}>
                <title>{`${node.taskId} (${node.taskType ?? ""})${state ? ` — ${state}` : ""}`}</title>
                <rect x={x - width / 2} y={y - height / 2} width={width} height={height} rx={6} />
                <text x={x} y={y - 3} className="node-id">{node.taskId}</text>
                <text x={x} y={y + 13} className="node-type">{shortType(node.taskType)}</text>
              </g>
            );
          })}
        </svg>
        {onSelect && placed.nodes.filter((p) => p.node.taskId).map(({ node, x, y, width, height }) => (
          <button key={node.uid} type="button" className="node-hit"
            style={{ left: x - width / 2, top: y - height / 2, width, height }}
            aria-label={`Task ${node.taskId} (${shortType(node.taskType)})`} aria-expanded={node.uid === selected}
            aria-controls={node.uid === selected ? menuId : undefined} onClick={() => onSelect(node)} />
        ))}
        {open && menu && (
          <div className="node-menu" style={{ left: open.x - open.width / 2, top: open.y + open.height / 2 + 4 }}>{menu}</div>
        )}
      </div>
    </div>
  );
}
