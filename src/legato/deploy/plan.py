"""A deploy plan: per namespace, what a repository changes on a Legato instance (flows, test suites, namespace
files created, updated, deleted or unchanged), and for the instance its dashboards, with unified diffs.
Computing it changes nothing."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from legato.deploy.layout import GLOBAL, Repository
from legato.flowtests.suite import parse_suite
from legato.model.errors import FlowValidationError
from legato.services.flows import NamespaceDeploy
from legato.store.ports import SuiteSave

Kind = Literal["flow", "test", "file", "app", "dashboard"]
Action = Literal["create", "update", "delete", "unchanged"]
_SIGNS = {"create": "+", "update": "~", "delete": "-", "unchanged": "="}


class Current(Protocol):
    """What a target holds now, one namespace at a time."""

    def namespaces(self) -> list[str]: ...

    def flows(self, namespace: str) -> dict[str, str]: ...

    def suites(self, namespace: str) -> dict[str, str]: ...

    def files(self, namespace: str) -> dict[str, bytes]: ...

    def apps(self, namespace: str) -> dict[str, str]: ...

    def dashboards(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class Change:
    kind: Kind
    key: str  # the flow or suite id, or the file's /path
    action: Action
    old: str | bytes | None = None
    new: str | bytes | None = None

    def diff(self, namespace: str) -> str:
        """The unified diff of the change (a note for binary files)."""
        old, new = _text(self.old), _text(self.new)
        if old is None or new is None:
            return f"    (binary file, {len(self.new or self.old or b'')} bytes)\n"
        name = f"{namespace}/{self.kind}s/{self.key.lstrip('/')}" + ("" if self.kind == "file" else ".yaml")
        lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     f"a/{name}" if self.old is not None else "/dev/null",
                                     f"b/{name}" if self.new is not None else "/dev/null")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass
class NamespacePlan:
    namespace: str
    changes: list[Change] = field(default_factory=list)

    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]

    def apps(self) -> list[Change]:
        """The app changes (saved in the namespace's transaction, after its flows: an app opens one of them)."""
        return [c for c in self.pending() if c.kind == "app"]

    def deploy(self) -> NamespaceDeploy:
        """The services' change for this namespace: everything of it, applied in one transaction."""
        out = NamespaceDeploy(self.namespace)
        for c in self.pending():
            if c.action == "delete":
                {"flow": out.flow_deletions, "test": out.suite_deletions, "file": out.file_deletions,
                 "app": out.app_deletions}[c.kind].append(c.key)
            elif c.kind == "flow":
                out.flows.append(str(c.new))
            elif c.kind == "app":
                out.apps.append(str(c.new))
            elif c.kind == "test":
                out.suites.append(_suite_save(self.namespace, c.key, str(c.new)))
            else:
                out.files[c.key] = c.new if isinstance(c.new, bytes) else str(c.new).encode()
        return out


@dataclass
class Plan:
    namespaces: list[NamespacePlan]
    dashboards: list[Change] = field(default_factory=list)  # the instance's, from `_global/dashboards/`

    def count(self, action: Action) -> int:
        changes = [*(c for ns in self.namespaces for c in ns.changes), *self.dashboards]
        return sum(1 for c in changes if c.action == action)

    def render(self, *, diffs: bool = True) -> str:
        """The plan as text: one line per change (`+` create, `~` update, `-` delete), diffs under them."""
        out: list[str] = []
        for where, changes in [*((ns.namespace, ns.changes) for ns in self.namespaces), (GLOBAL, self.dashboards)]:
            pending = [c for c in changes if c.action != "unchanged"]
            if pending:
                out.append(GLOBAL if where == GLOBAL else f"namespace {where}")
            for change in pending:
                out.append(f"  {_SIGNS[change.action]} {change.kind} {change.key} ({change.action}d)")
                if diffs:
                    out.append(change.diff(where).rstrip("\n"))
        out.append(f"Plan: {self.count('create')} to create, {self.count('update')} to update, "
                   f"{self.count('delete')} to delete, {self.count('unchanged')} unchanged.")
        return "\n".join(line for line in out if line)


def make(repo: Repository, current: Current, *, delete: bool, namespace: str | None = None) -> Plan:
    """The plan that makes `current` hold what `repo` holds. With `delete`, what the repository's namespaces
    (and, with `namespace`, every namespace under it) hold beyond the repository is deleted."""
    wanted = set(repo.namespaces())
    if delete and namespace is not None:
        wanted |= {ns for ns in current.namespaces() if ns == namespace or ns.startswith(namespace + ".")}
    plans = []
    for ns in sorted(wanted):
        flows = {f.id: f.source for f in repo.flows if f.namespace == ns}
        suites = {s.suite.id: s.source for s in repo.suites if s.suite.namespace == ns}
        files = {path: local.read_bytes() for (n, path), local in repo.files.items() if n == ns}
        plan = NamespacePlan(ns)
        plan.changes += _compare("flow", flows, current.flows(ns), delete)
        plan.changes += _compare("test", suites, current.suites(ns), delete)
        plan.changes += _compare("file", files, current.files(ns), delete)
        apps = {a.id: a.source for a in repo.apps if a.namespace == ns}
        plan.changes += _compare("app", apps, current.apps(ns), delete)
        plans.append(plan)
    _validate(repo, plans)
    dashboards: list[Change] = []
    if repo.dashboards or (delete and repo.owns_dashboards):
        wanted_dashboards = {d.id: d.source for d in repo.dashboards}
        dashboards = _compare("dashboard", wanted_dashboards, current.dashboards(), delete and repo.owns_dashboards)
    return Plan(plans, dashboards)


def _validate(repo: Repository, plans: list[NamespacePlan]) -> None:
    """Parse every flow the plan creates or updates (unchanged ones are as the target already accepted them);
    FlowValidationError with every problem, at its file and line."""
    pending = {(p.namespace, c.key) for p in plans for c in p.pending() if c.kind == "flow" and c.new is not None}
    problems = []
    for f in repo.flows:
        if (f.namespace, f.id) in pending:
            try:
                f.flow  # noqa: B018 - parsing is the point
            except FlowValidationError as exc:
                problems.extend(exc.problems)
    if problems:
        raise FlowValidationError(problems)


def _compare(kind: Kind, wanted: Mapping[str, str | bytes], present: Mapping[str, str | bytes],
             delete: bool) -> list[Change]:
    changes = []
    for key in sorted(wanted):
        new, old = wanted[key], present.get(key)
        if old is None:
            changes.append(Change(kind, key, "create", None, new))
        elif _same(old, new):
            changes.append(Change(kind, key, "unchanged", old, new))
        else:
            changes.append(Change(kind, key, "update", old, new))
    if delete:
        changes += [Change(kind, key, "delete", present[key], None) for key in sorted(set(present) - set(wanted))]
    return changes


def _same(old: str | bytes, new: str | bytes) -> bool:
    if isinstance(old, bytes) or isinstance(new, bytes):
        return (old if isinstance(old, bytes) else old.encode()) == (new if isinstance(new, bytes) else new.encode())
    return old.rstrip() == new.rstrip()


def _text(value: str | bytes | None) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _suite_save(namespace: str, suite_id: str, source: str) -> SuiteSave:
    suite = parse_suite(source, f"{namespace}.{suite_id}")
    return SuiteSave(namespace, suite_id, suite.flowId, source, suite.disabled)
