// A small layered layout for a flow's topology (a DAG): longest-path layers top to bottom, then a few
// barycenter sweeps to cut crossings. Enough for flows of tens of tasks without a graph library.
import type { FlowGraph, GraphNode } from "../api/models";

export interface PlacedNode {
  node: GraphNode;
  x: number; // centre
  y: number; // centre
  width: number;
  height: number;
  layer: number;
}

export interface PlacedEdge {
  source: string;
  target: string;
  relation: string;
  label: string | null;
  points: [number, number][];
}

export interface PlacedCluster {
  uid: string;
  taskId: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  clusters: PlacedCluster[];
  width: number;
  height: number;
}

export const SIZES = {
  task: { width: 180, height: 44 },
  marker: { width: 28, height: 28 }, // start, end, cluster-end
  gapX: 36,
  gapY: 56,
  margin: 24,
  clusterPad: 10,
};

const isMarker = (node: GraphNode) => node.type === "start" || node.type === "end" || node.type === "cluster-end";

/** Layer of each node: the longest path from a source. Edges that would close a cycle are ignored. */
export function layers(graph: FlowGraph): Map<string, number> {
  const ids = new Set(graph.nodes.map((n) => n.uid));
  const out = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (!ids.has(edge.source) || !ids.has(edge.target)) continue;
    out.set(edge.source, [...(out.get(edge.source) ?? []), edge.target]);
  }
  // Topological order by depth-first search; a back edge (to a node on the stack) is a cycle: skip it.
  const order: string[] = [];
  const mark = new Map<string, "active" | "done">();
  const acyclic = new Map<string, string[]>();
  const visit = (start: string) => {
    const stack: [string, number][] = [[start, 0]];
    mark.set(start, "active");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [uid, index] = top;
      const targets = out.get(uid) ?? [];
      if (index < targets.length) {
        top[1] = index + 1;
        const target = targets[index]!;
        if (mark.get(target) === "active") continue;
        acyclic.set(uid, [...(acyclic.get(uid) ?? []), target]);
        if (!mark.has(target)) {
          mark.set(target, "active");
          stack.push([target, 0]);
        }
      } else {
        mark.set(uid, "done");
        order.push(uid);
        stack.pop();
      }
    }
  };
  for (const node of graph.nodes) if (!mark.has(node.uid)) visit(node.uid);
  order.reverse();
  const layer = new Map<string, number>(graph.nodes.map((n) => [n.uid, 0]));
  for (const uid of order) {
    for (const target of acyclic.get(uid) ?? []) {
      layer.set(target, Math.max(layer.get(target)!, layer.get(uid)! + 1));
    }
  }
  return layer;
}

/** Order nodes within each layer by the mean position of their predecessors (two downward sweeps). */
function orderLayers(graph: FlowGraph, layer: Map<string, number>): string[][] {
  const rows: string[][] = [];
  for (const node of graph.nodes) {
    const index = layer.get(node.uid)!;
    (rows[index] ??= []).push(node.uid);
  }
  const preds = new Map<string, string[]>();
  for (const edge of graph.edges) preds.set(edge.target, [...(preds.get(edge.target) ?? []), edge.source]);
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let i = 1; i < rows.length; i++) {
      const above = new Map((rows[i - 1] ?? []).map((uid, pos) => [uid, pos]));
      const rank = (uid: string, fallback: number) => {
        const positions = (preds.get(uid) ?? []).map((p) => above.get(p)).filter((p) => p !== undefined);
        return positions.length ? positions.reduce((a, b) => a + b, 0) / positions.length : fallback;
      };
      const row = rows[i] ?? [];
      // Stable: equal ranks keep the declaration order, so branches read left to right as written.
      rows[i] = row.map((uid, pos) => ({ uid, key: rank(uid, pos), pos }))
        .sort((a, b) => a.key - b.key || a.pos - b.pos)
        .map((r) => r.uid);
    }
  }
  return rows.map((row) => row ?? []);
}

/** Coordinates for every node, edge and cluster of `graph`. */
export function layout(graph: FlowGraph): Layout {
  const layer = layers(graph);
  const rows = orderLayers(graph, layer);
  const byId = new Map(graph.nodes.map((n) => [n.uid, n]));
  const rowWidth = (row: string[]) => row.reduce((sum, uid) => {
    const node = byId.get(uid)!;
    return sum + (isMarker(node) ? SIZES.marker.width : SIZES.task.width);
  }, 0) + SIZES.gapX * Math.max(0, row.length - 1);
  const width = Math.max(SIZES.task.width, ...rows.map(rowWidth)) + 2 * SIZES.margin;
  const rowHeight = SIZES.task.height + SIZES.gapY;
  const placed = new Map<string, PlacedNode>();
  rows.forEach((row, index) => {
    let x = (width - rowWidth(row)) / 2;
    for (const uid of row) {
      const node = byId.get(uid)!;
      const size = isMarker(node) ? SIZES.marker : SIZES.task;
      placed.set(uid, {
        node, layer: index, width: size.width, height: size.height,
        x: x + size.width / 2, y: SIZES.margin + index * rowHeight + SIZES.task.height / 2,
      });
      x += size.width + SIZES.gapX;
    }
  });
  const edges: PlacedEdge[] = graph.edges.filter((e) => placed.has(e.source) && placed.has(e.target)).map((e) => {
    const a = placed.get(e.source)!;
    const b = placed.get(e.target)!;
    return {
      source: e.source, target: e.target, relation: e.relation, label: e.value,
      points: [[a.x, a.y + a.height / 2], [b.x, b.y - b.height / 2]],
    };
  });
  const clusters = graph.clusters.flatMap((c) => {
    const members = [c.uid, ...c.nodes].map((uid) => placed.get(uid)).filter((p) => p !== undefined);
    if (members.length === 0) return [];
    const pad = SIZES.clusterPad;
    const left = Math.min(...members.map((m) => m.x - m.width / 2)) - pad;
    const right = Math.max(...members.map((m) => m.x + m.width / 2)) + pad;
    const top = Math.min(...members.map((m) => m.y - m.height / 2)) - pad;
    const bottom = Math.max(...members.map((m) => m.y + m.height / 2)) + pad;
    return [{ uid: c.uid, taskId: c.taskId, x: left, y: top, width: right - left, height: bottom - top }];
  });
  const height = SIZES.margin * 2 + rows.length * rowHeight - SIZES.gapY;
  return { nodes: [...placed.values()], edges, clusters, width, height };
}
