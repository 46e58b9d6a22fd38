"""io.kestra.plugin.git.NamespaceSync: one namespace's flows and files against a branch laid out as
`<namespace>/flows/<id>.yaml` and `<namespace>/files/<path>` (under `gitDirectory`), in the direction
`sourceOfTruth` says. The whole change is planned first (`whenMissingInSource: FAIL` or an invalid flow stops it
before anything changes); Legato's side is then applied in one transaction for the flows, and Git's side in one
commit."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import inside
from legato.plugins.git.command import scratch_directory
from legato.plugins.git.pushing import PushTask, check_out, commit_and_push, staged_changes, store_rows
from legato.plugins.git.selection import namespace
from legato.plugins.runnable import render_optional_text, render_text
from legato.plugins.scripts.execution import work_root
from legato.storage import namespace_files

_FLOW_FILE = re.compile(r"^(?P<ns>.+?)/flows/(?P<id>[^/]+)\.ya?ml$")


@dataclass
class _Plan:
    """What a sync will do, decided before anything changes."""

    rows: list[dict[str, str]] = field(default_factory=list)
    deploy: list[str] = field(default_factory=list)  # flow sources to deploy
    undeploy: list[tuple[str, str]] = field(default_factory=list)
    put_files: dict[str, bytes] = field(default_factory=dict)  # namespace path → content
    delete_files: list[str] = field(default_factory=list)  # storage URIs
    write_git: dict[str, bytes] = field(default_factory=dict)  # repository path (under base) → content
    delete_git: list[str] = field(default_factory=list)

    def row(self, file: str, key: str, kind: str, action: str) -> None:
        self.rows.append({"file": file, "key": key, "kind": kind, "action": action})


@TASKS.register
class NamespaceSync(PushTask):
    """Sync a namespace's flows and files with a branch. `sourceOfTruth: KESTRA` (default) writes Legato's
    flows and files to Git in one commit; `GIT` deploys the branch's into the namespace. What one side has and
    the source has not is deleted, kept or an error (`whenMissingInSource`), never in `protectedNamespaces`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.NamespaceSync"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.git.NamespaceSync
namespace: company.ops
sourceOfTruth: GIT
whenMissingInSource: DELETE
url: https://github.com/acme/kestra
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
branch: main
gitDirectory: kestra
""",
    )

    branch: str = Field(description="The branch to sync with (created from the default branch when missing).")
    namespace: str = Field(description="The namespace to sync (its own flows and files; not the namespaces under it).")
    gitDirectory: str | None = Field(default=None, description="The repository folder holding the namespaces (default: the root).")
    sourceOfTruth: Literal["KESTRA", "GIT"] | str = Field(default="KESTRA", description="Which side wins: KESTRA writes to Git, GIT deploys to Legato.")
    whenMissingInSource: Literal["DELETE", "KEEP", "FAIL"] | str = Field(default="DELETE", description="A flow or file the source of truth does not have: delete it from the other side, keep it, or fail the sync.")
    protectedNamespaces: list[str] | str = Field(default_factory=lambda: ["system"], description="Namespaces whose flows and files are never deleted.")
    onInvalidSyntax: Literal["SKIP", "WARN", "FAIL"] | str = Field(default="FAIL", description="A flow in Git that is not valid: skip it, skip it with a warning, or fail the sync.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = namespace(ctx, self.namespace, "namespace")
        branch = render_text(ctx, self.branch)
        truth = _choice(ctx, self.sourceOfTruth, ("KESTRA", "GIT"), "sourceOfTruth")
        missing = _choice(ctx, self.whenMissingInSource, ("DELETE", "KEEP", "FAIL"), "whenMissingInSource")
        invalid = _choice(ctx, self.onInvalidSyntax, ("SKIP", "WARN", "FAIL"), "onInvalidSyntax")
        protected_value = ctx.render(self.protectedNamespaces)
        protected = [protected_value] if isinstance(protected_value, str) else [str(p) for p in protected_value]
        is_protected = any(target == p or target.startswith(p + ".") for p in protected)
        dry_run = self.is_dry_run(ctx)
        message = render_optional_text(ctx, self.commitMessage) or "Namespace sync from Legato"
        with scratch_directory(work_root()) as root, self.git(ctx) as git:
            await check_out(git, root, branch, ctx, populate=True)
            base = inside(root, render_optional_text(ctx, self.gitDirectory), "gitDirectory")
            plan = await asyncio.to_thread(self._plan, ctx, base, target, truth, missing, invalid, is_protected)
            if dry_run:
                return {"diff": store_rows(ctx, [r for r in plan.rows if r["action"] != "UNCHANGED"]),
                        "commitId": None, "commitURL": None}
            if truth == "GIT":
                await asyncio.to_thread(_apply_to_legato, ctx, target, plan)
                return {"diff": store_rows(ctx, [r for r in plan.rows if r["action"] != "UNCHANGED"]),
                        "commitId": None, "commitURL": None}
            await asyncio.to_thread(_apply_to_git, base, plan)
            await git.run(["add", "--all", "--", base.relative_to(root).as_posix() or "."], root)
            rows = await staged_changes(git, root)
            pushed = await commit_and_push(git, root, ctx, branch, message, self.commit_author(ctx))
            return {"diff": store_rows(ctx, rows), **pushed}

    def _plan(self, ctx: RunContext, base: Path, target: str, truth: str, missing: str, invalid: str,
              is_protected: bool) -> _Plan:
        plan = _Plan()
        git_flows = _git_flows(base, target)
        legato_flows = {r.id: r for r in ctx.operations.flows_in(target, children=False)}
        for flow_id in sorted(set(git_flows) | set(legato_flows)):
            key = f"{target}:{flow_id}"
            in_git, in_legato = git_flows.get(flow_id), legato_flows.get(flow_id)
            file = in_git[0] if in_git else f"{target}/flows/{flow_id}.yaml"
            if in_git and truth == "GIT":
                error = ctx.operations.flow_error(in_git[1])
                if error is not None:
                    if invalid == "FAIL":
                        raise TaskFailed(f"invalid flow {file} in Git: {error}")
                    if invalid == "WARN":
                        ctx.logger.warn(f"Skipping invalid flow {file} in Git: {error}")
                    continue
            if in_git and in_legato:
                if _normal(in_git[1]) == _normal(in_legato.source):
                    plan.row(file, key, "FLOW", "UNCHANGED")
                elif truth == "GIT":
                    plan.row(file, key, "FLOW", "UPDATED_KES")
                    plan.deploy.append(in_git[1])
                else:
                    plan.row(file, key, "FLOW", "UPDATED_GIT")
                    plan.write_git[file] = in_legato.source.encode()
            elif in_git or in_legato:
                source_has = bool(in_git) == (truth == "GIT")
                if source_has:
                    plan.row(file, key, "FLOW", "ADDED")
                    if in_git:
                        plan.deploy.append(in_git[1])
                    elif in_legato:
                        plan.write_git[file] = in_legato.source.encode()
                elif _deletes(ctx, plan, missing, is_protected, file, key, "FLOW", "KES" if in_legato else "GIT"):
                    if truth == "GIT":
                        plan.undeploy.append((target, flow_id))
                    else:
                        plan.delete_git.append(file)
        git_files = _git_files(base, target)
        legato_files = namespace_files.list_files(ctx.storage, target)
        for path in sorted(set(git_files) | set(legato_files)):
            file, key = f"{target}/files{path}", f"{target}:{path.lstrip('/')}"
            in_git_file, uri = git_files.get(path), legato_files.get(path)
            if in_git_file is not None and uri is not None:
                ours = ctx.storage.get(uri)
                if ours == in_git_file:
                    plan.row(file, key, "FILE", "UNCHANGED")
                elif truth == "GIT":
                    plan.row(file, key, "FILE", "UPDATED_KES")
                    plan.put_files[path] = in_git_file
                else:
                    plan.row(file, key, "FILE", "UPDATED_GIT")
                    plan.write_git[file] = ours
            elif (in_git_file is not None) == (truth == "GIT"):
                plan.row(file, key, "FILE", "ADDED")
                if in_git_file is not None:
                    plan.put_files[path] = in_git_file
                elif uri is not None:
                    plan.write_git[file] = ctx.storage.get(uri)
            elif _deletes(ctx, plan, missing, is_protected, file, key, "FILE", "KES" if uri else "GIT"):
                if uri is not None:
                    plan.delete_files.append(uri)
                else:
                    plan.delete_git.append(file)
        return plan



def _deletes(ctx: RunContext, plan: _Plan, missing: str, is_protected: bool, file: str, key: str, kind: str,
             side: str) -> bool:
    """A flow or file only `side` has (the side that is not the source of truth): whether to delete it there
    (recorded in the plan's rows); raises when `whenMissingInSource` is FAIL."""
    if missing == "FAIL":
        where = "Legato" if side == "KES" else "Git"
        raise TaskFailed(f"sync failed: {kind} {key} is in {where} but not in the source of truth")
    if missing == "KEEP" or is_protected:
        if is_protected and missing == "DELETE":
            ctx.logger.warn(f"Protected namespace, not deleting {kind} {key}")
        plan.row(file, key, kind, "UNCHANGED")
        return False
    plan.row(file, key, kind, f"DELETED_{side}")
    return True


def _choice(ctx: RunContext, value: str, allowed: tuple[str, ...], prop: str) -> str:
    rendered = render_text(ctx, value).strip().upper()
    if rendered not in allowed:
        raise TaskFailed(f"property '{prop}': {rendered!r} is not one of {', '.join(allowed)}")
    return rendered


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _git_flows(base: Path, target: str) -> dict[str, tuple[str, str]]:
    """Flow id (the file's name) → (repository path under base, source) of the namespace's flow files."""
    found: dict[str, tuple[str, str]] = {}
    if not base.is_dir():
        return found
    for file in sorted(base.rglob("*")):
        relative = file.relative_to(base).as_posix()
        match = _FLOW_FILE.match(relative)
        if file.is_file() and match and match["ns"].replace("/", ".") == target:
            found[match["id"]] = (relative, file.read_text(encoding="utf-8", errors="replace"))
    return found


def _git_files(base: Path, target: str) -> dict[str, bytes]:
    """`/path` → content of the files under `<namespace>/files/`."""
    root = base / target / "files"
    if not root.is_dir():
        return {}
    return {"/" + f.relative_to(root).as_posix(): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


def _apply_to_legato(ctx: RunContext, target: str, plan: _Plan) -> None:
    if plan.deploy or plan.undeploy:
        ctx.operations.replace_flows(plan.deploy, plan.undeploy)
    for path, data in plan.put_files.items():
        ctx.storage.put(namespace_files.file_uri(target, path), data)
    for uri in plan.delete_files:
        ctx.storage.delete(uri)


def _apply_to_git(base: Path, plan: _Plan) -> None:
    for relative, data in plan.write_git.items():
        path = inside(base, relative, "gitDirectory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for relative in plan.delete_git:
        inside(base, relative, "gitDirectory").unlink(missing_ok=True)
