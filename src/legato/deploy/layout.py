"""Reading a repository of flows: Kestra's layout (`<namespace>/flows/<id>.yaml`, `<namespace>/files/...`,
`<namespace>/tests/<id>.yaml`, `<namespace>/apps/<id>.yaml`, `_global/dashboards/<id>.yaml`) or a flat folder of YAML files (each a flow or a test suite, told apart by its
keys). Every YAML is parsed here, so a broken file is reported with its path and line before anything
changes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from legato.apps.parse import parse_app
from legato.dashboards.parse import parse_dashboard
from legato.flows import parse_flow
from legato.flowtests.suite import TestSuite, looks_like_suite, parse_suite
from legato.model.errors import FlowValidationError, Problem
from legato.model.flow import Flow
from legato.services import dashboards as dashboard_service

YAML = (".yml", ".yaml")
FLOWS, FILES, TESTS, APPS = "flows", "files", "tests", "apps"
GLOBAL, DASHBOARDS = "_global", "dashboards"  # `_global/dashboards/`: the instance's dashboards
# Kestra layout folders that are never deployed; `dashboards` is read under `_global` only.
IGNORED = frozenset({DASHBOARDS, "node_modules"})


@dataclass
class FlowFile:
    """A flow's file: its namespace and id, and the parsed flow (parsed on first use when the namespace and id
    could be read from the file's top-level lines, so a plan parses only the flows that changed)."""

    path: Path
    source: str
    namespace: str
    id: str
    _flow: Flow | None = None

    @property
    def flow(self) -> Flow:
        """The validated flow; FlowValidationError (with this file's path and lines) when it is not valid."""
        if self._flow is None:
            self._flow = parse_flow(self.source, str(self.path))
        return self._flow


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    source: str
    suite: TestSuite


@dataclass(frozen=True)
class DashboardFile:
    path: Path
    source: str
    id: str


@dataclass(frozen=True)
class AppFile:
    path: Path
    source: str
    namespace: str
    id: str


@dataclass
class Repository:
    """What a directory holds, by kind; `files` are namespace files: (namespace, /path) → local file;
    `owns_dashboards`: a `_global/dashboards/` folder was read (so `--delete` may remove the others)."""

    flows: list[FlowFile] = field(default_factory=list)
    suites: list[SuiteFile] = field(default_factory=list)
    files: dict[tuple[str, str], Path] = field(default_factory=dict)
    apps: list[AppFile] = field(default_factory=list)
    dashboards: list[DashboardFile] = field(default_factory=list)
    owns_dashboards: bool = False

    def namespaces(self) -> list[str]:
        """Every namespace something is deployed to, sorted."""
        found = {f.namespace for f in self.flows} | {s.suite.namespace for s in self.suites}
        found |= {a.namespace for a in self.apps}
        return sorted(found | {ns for ns, _ in self.files})


def read(paths: Sequence[Path], *, namespace: str | None = None, lazy: bool = False) -> Repository:
    """The flows, suites and namespace files under `paths` (directories or YAML files). With `namespace`,
    everything must be in it or one of its children. FlowValidationError lists every broken file. `lazy`: a
    flow whose `id:` and `namespace:` are plain top-level lines is parsed only when its `flow` is asked for."""
    repo = Repository()
    problems: list[Problem] = []
    for path in paths:
        if path.is_file():
            _yaml(repo, path, None, None, problems, lazy)
        elif path.is_dir():
            _walk(repo, path, problems, lazy)
        else:
            problems.append(Problem("", "no such file or directory", None, None, str(path)))
    _check(repo, namespace, problems)
    if problems:
        raise FlowValidationError(problems)
    return repo


def _walk(repo: Repository, root: Path, problems: list[Problem], lazy: bool) -> None:
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        if here.name == GLOBAL:  # only its dashboards are deployed
            dirs[:] = []
            _dashboards(repo, here / DASHBOARDS, problems)
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED)
        parts = here.relative_to(root).parts
        # the root itself may be a namespace's folder (`legato test company.team`)
        kind, ns, depth = _kind((root.resolve().name, *parts))
        for name in sorted(names):
            path = here / name
            if kind == FILES and ns is not None:
                base = root.joinpath(*parts[:depth])
                repo.files[(ns, "/" + path.relative_to(base).as_posix())] = path
            elif path.suffix in YAML and not name.startswith("."):
                _yaml(repo, path, kind, ns, problems, lazy)


def _dashboards(repo: Repository, folder: Path, problems: list[Problem]) -> None:
    if not folder.is_dir():
        return
    repo.owns_dashboards = True
    for path in sorted(folder.iterdir()):
        if path.suffix not in YAML or path.name.startswith(".") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            found = DashboardFile(path, text, dashboard_service.dashboard_id(parse_dashboard(text, str(path))))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem("", f"cannot read: {exc}", None, None, str(path)))
            continue
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        repo.dashboards.append(found)


def _kind(parts: tuple[str, ...]) -> tuple[str | None, str | None, int]:
    """(flows|files|tests|apps, namespace, index of the kind folder) of a folder under Kestra's layout
    (`<ns>/<kind>/...`), else (None, None, -1)."""
    for i, part in enumerate(parts):
        if i > 0 and part in (FLOWS, FILES, TESTS, APPS):
            return part, parts[i - 1], i
    return None, None, -1


def _yaml(repo: Repository, path: Path, kind: str | None, ns: str | None, problems: list[Problem],
          lazy: bool) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("", f"cannot read: {exc}", None, None, str(path)))
        return
    try:
        if kind == APPS:
            app = parse_app(text, str(path))
            _in_folder(app.namespace, ns, path, problems)
            repo.apps.append(AppFile(path, text, app.namespace, app.id))
        elif kind == TESTS or (kind is None and looks_like_suite(text, str(path))):
            suite = parse_suite(text, str(path))
            _in_folder(suite.namespace, ns, path, problems)
            repo.suites.append(SuiteFile(path, text, suite))
        else:
            known = _identity(text) if lazy else None
            if known is not None:
                found = FlowFile(path, text, *known)
            else:
                flow = parse_flow(text, str(path))
                found = FlowFile(path, text, flow.namespace, flow.id, flow)
            _in_folder(found.namespace, ns, path, problems)
            repo.flows.append(found)
    except FlowValidationError as exc:
        problems.extend(exc.problems)


_ID = re.compile(r"^id:[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)[ \t]*$", re.MULTILINE)
_NAMESPACE = re.compile(r"^namespace:[ \t]*([a-z0-9][a-z0-9._-]*)[ \t]*$", re.MULTILINE)


def _identity(text: str) -> tuple[str, str] | None:
    """(namespace, id) from plain top-level lines, when each appears exactly once and nothing suggests a test
    suite or several documents; else None (the file is parsed)."""
    ids, namespaces = _ID.findall(text), _NAMESPACE.findall(text)
    if len(ids) != 1 or len(namespaces) != 1 or "\n---" in text or re.search(r"^(testCases|flowId):", text, re.M):
        return None
    return namespaces[0], ids[0]


def _in_folder(actual: str, folder: str | None, path: Path, problems: list[Problem]) -> None:
    if folder is not None and actual != folder:
        problems.append(Problem("namespace", f"'{actual}' is not the namespace of its folder '{folder}'", None, None,
                                str(path)))


def _check(repo: Repository, namespace: str | None, problems: list[Problem]) -> None:
    _twice(((f.namespace, f.id, f.path) for f in repo.flows), "flow", problems)
    _twice(((s.suite.namespace, s.suite.id, s.path) for s in repo.suites), "test suite", problems)
    _twice((("", d.id, d.path) for d in repo.dashboards), "dashboard", problems)  # ids of the instance
    _twice((("", a.id, a.path) for a in repo.apps), "app", problems)
    if namespace is None:
        return
    for ns, where in [*((f.namespace, f.path) for f in repo.flows),
                      *((s.suite.namespace, s.path) for s in repo.suites), *((a.namespace, a.path) for a in repo.apps)]:
        if not (ns == namespace or ns.startswith(namespace + ".")):
            problems.append(Problem("namespace", f"'{ns}' is outside the namespace {namespace}", None, None,
                                    str(where)))


def _twice(items: Iterable[tuple[str, str, Path]], what: str, problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], Path] = {}
    for ns, ident, path in items:
        if (ns, ident) in seen:
            name = f"{ns}.{ident}" if ns else ident
            problems.append(Problem("id", f"{what} {name} is also in {seen[(ns, ident)]}", None, None, str(path)))
        seen.setdefault((ns, ident), path)
