"""A flow's topology as nodes, edges and clusters, for the UI's graph view.

Every task is a node whose uid is its id (ids are unique in a flow). A flowable task is a cluster: a root
node (its own uid), its children, and an end node (`<id>.end`) where its branches meet again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from legato.api import dto
from legato.model.flow import Flow
from legato.model.flowable import Dag, If, Looping, Parallel, Switch
from legato.model.task import Task

START, END = "root.start", "root.end"
Ends = tuple[list[str], list[str]]  # (entry uids, exit uids) of a piece of graph


@dataclass
class _Builder:
    nodes: list[dto.GraphNode] = field(default_factory=list)
    edges: list[dto.GraphEdge] = field(default_factory=list)
    clusters: list[dto.GraphCluster] = field(default_factory=list)
    _cluster_stack: list[list[str]] = field(default_factory=list)

    def node(self, uid: str, kind: str, task: Task | None = None) -> None:
        self.nodes.append(dto.GraphNode(uid=uid, type=kind, task_id=task.id if task else None,
                                        task_type=task.type if task else None, flowable=bool(task and task.FLOWABLE)))
        for members in self._cluster_stack:
            members.append(uid)

    def link(self, sources: list[str], targets: list[str], relation: str, value: str | None = None) -> None:
        for s in sources:
            for t in targets:
                self.edges.append(dto.GraphEdge(source=s, target=t, relation=relation, value=value))

    def sequence(self, tasks: list[Task], relation: str = "SEQUENTIAL") -> Ends:
        """Tasks one after the other; an empty list is an empty piece (no entries, no exits)."""
        entries: list[str] = []
        exits: list[str] = []
        for task in tasks:
            first, last = self.task(task)
            if exits:
                self.link(exits, first, relation)
            else:
                entries = first
            exits = last
        return entries, exits

    def task(self, task: Task) -> Ends:
        if not task.FLOWABLE:
            self.node(task.id, "task", task)
            return [task.id], [task.id]
        members: list[str] = []
        self._cluster_stack.append(members)
        self.node(task.id, "cluster-root", task)
        end = f"{task.id}.end"
        self._children(task, task.id, end)
        self.node(end, "cluster-end")
        self._cluster_stack.pop()
        self.clusters.append(dto.GraphCluster(uid=f"cluster_{task.id}", task_id=task.id, nodes=members))
        return [task.id], [end]

    def _children(self, task: Task, root: str, end: str) -> None:
        branches = task.branches()
        for name, children in branches.items():
            if name in ("errors", "finally"):
                continue
            self._branch(task, name, children, root, end)
        for name, relation in (("errors", "ERROR"), ("finally", "FINALLY")):
            if branches.get(name):
                self._hang(branches[name], root, end, relation)
        if not any(e.source == root for e in self.edges):
            self.link([root], [end], "SEQUENTIAL")

    def _branch(self, task: Task, name: str, children: list[Task], root: str, end: str) -> None:
        if isinstance(task, Dag):
            self._dag(task, root, end)
        elif isinstance(task, Parallel):
            for child in children:
                self._hang([child], root, end, "PARALLEL")
        elif isinstance(task, If | Switch):
            value = name.removeprefix("cases.") if name.startswith("cases.") else name
            self._hang(children, root, end, "CHOICE", value)
        else:
            relation = "DYNAMIC" if isinstance(task, Looping) else "SEQUENTIAL"
            self._hang(children, root, end, relation)

    def _hang(self, children: list[Task], root: str, end: str, relation: str, value: str | None = None) -> None:
        """A sequence between `root` and `end`, entered with `relation`."""
        first, last = self.sequence(children)
        self.link([root], first, relation, value)
        self.link(last, [end], "SEQUENTIAL")

    def _dag(self, dag: Dag, root: str, end: str) -> None:
        ends: dict[str, Ends] = {t.task.id: self.task(t.task) for t in dag.tasks}
        depended = {d for t in dag.tasks for d in t.dependsOn}
        for node in dag.tasks:
            first = ends[node.task.id][0]
            if not node.dependsOn:
                self.link([root], first, "PARALLEL")
            for dep in node.dependsOn:
                self.link(ends[dep][1], first, "SEQUENTIAL")
            if node.task.id not in depended:
                self.link(ends[node.task.id][1], [end], "SEQUENTIAL")


def flow_graph(flow: Flow) -> dto.FlowGraph:
    """Nodes, edges and clusters of `flow`: start -> tasks -> end, errors and finally hanging off start."""
    b = _Builder()
    b.node(START, "start")
    first, last = b.sequence(flow.branch("tasks"))
    b.link([START], first, "SEQUENTIAL")
    for name, relation in (("errors", "ERROR"), ("finally", "FINALLY"), ("afterExecution", "FINALLY")):
        tasks = flow.branch(name)
        if tasks:
            f, la = b.sequence(tasks)
            b.link([START] if name == "errors" else last, f, relation)
            last = la if name != "errors" else last
            if name == "errors":
                b.link(la, [END], "SEQUENTIAL")
    b.node(END, "end")
    b.link(last, [END], "SEQUENTIAL")
    return dto.FlowGraph(nodes=b.nodes, edges=b.edges, clusters=b.clusters)
