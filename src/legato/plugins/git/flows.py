"""io.kestra.plugin.git.PushFlows and SyncFlows: a namespace's flows to a folder of a branch (`_flows` by
default, one `<id>.yml` per flow, child namespaces in sub-folders) and back. A sync deploys and deletes all its
flows in one transaction: an invalid flow in the branch changes nothing (unless `ignoreInvalidFlows`)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import inside
from legato.plugins.git.command import scratch_directory
from legato.plugins.git.pushing import PushTask, check_out, store_rows
from legato.plugins.git.selection import namespace, patterns, repository_files, selected
from legato.plugins.git.syncing import SyncTask
from legato.plugins.runnable import Expression, render_as, render_optional_text, render_text
from legato.plugins.scripts.execution import work_root
from legato.store.ports import FlowRecord

_REVISION_LINE = re.compile(r"(?m)^revision:\s*\d+\n?")
_NAMESPACE_LINE = re.compile(r"(?m)^namespace:[ \t]*\S.*$")
_FLOW_FILE = (".yml", ".yaml")


def for_git(source: str, namespace: str, target: str) -> str:
    """A flow's source as it goes to Git: without the server's `revision:` line, with its namespace moved from
    `namespace` to `target` (only the top-level `namespace:` line)."""
    text = _REVISION_LINE.sub("", source)
    if target != namespace:
        text = re.sub(rf"(?m)^(\s*namespace:\s*){re.escape(namespace)}", lambda m: m[1] + target, text, count=1)
    return text


def in_namespace(source: str, namespace: str) -> str:
    """`source` with its top-level `namespace:` set to `namespace` (as a sync places a file's flow)."""
    text, count = _NAMESPACE_LINE.subn(f"namespace: {namespace}", source, count=1)
    return text.rstrip() if count else f"namespace: {namespace}\n{source}".rstrip()


@TASKS.register
class PushFlows(PushTask):
    """Commit the flows of a namespace (and its children with `includeChildNamespaces`) to a folder of a branch
    and push them; flow files the namespace no longer has are deleted from the folder (`delete`)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.PushFlows"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: push_flows
type: io.kestra.plugin.git.PushFlows
url: https://github.com/acme/flows
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
branch: main
sourceNamespace: company.team
includeChildNamespaces: true
gitDirectory: _flows
commitMessage: "add flows {{ now() }}"
dryRun: true
""",
    )

    branch: str = Field(default="main", description="The branch to push to; created from the default branch when missing.")
    gitDirectory: str = Field(default="_flows", description="The repository folder the flows go to.")
    sourceNamespace: str | None = Field(default=None, description="The namespace whose flows to push (default: the flow's).")
    targetNamespace: str | None = Field(default=None, description="Rewrite each flow's `namespace:` from sourceNamespace to this one in Git (a helper for dev → prod branches).")
    flows: str | list[str] | None = Field(default=None, description="Glob patterns of the flow ids to push (default: all).")
    includeChildNamespaces: bool | Expression = Field(default=False, description="Also push the flows of the namespaces under sourceNamespace, in sub-folders.")
    delete: bool | Expression = Field(default=True, description="Delete from the folder the flow files the namespace no longer has.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = namespace(ctx, self.sourceNamespace, "sourceNamespace")
        target = render_optional_text(ctx, self.targetNamespace) or source
        branch = render_text(ctx, self.branch)
        globs = patterns(ctx, self.flows, "flows")
        children = render_as(ctx, self.includeChildNamespaces, bool, "includeChildNamespaces")
        message = render_text(ctx, self.commitMessage) if self.commitMessage else f"Add flows from {source} namespace"
        records = [r for r in ctx.operations.flows_in(source, children=children) if selected("/" + r.id, globs)]
        if not records:
            ctx.logger.info("No content to push - skipping Git operations.")
            return {"commitId": None, "commitURL": None, "flows": None}
        with scratch_directory(work_root()) as root, self.git(ctx) as git:
            await check_out(git, root, branch, ctx, populate=True)
            base = inside(root, render_text(ctx, self.gitDirectory), "gitDirectory")
            base.mkdir(parents=True, exist_ok=True)
            wanted = {_relative(record, source): for_git(record.source, source, target) for record in records}

            def write() -> None:
                for relative, text in wanted.items():
                    path = inside(base, relative, "flows")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
                if render_as(ctx, self.delete, bool, "delete"):
                    for relative, file in list(repository_files(base)):
                        if relative not in wanted and selected("/" + relative, globs):
                            file.unlink()

            await asyncio.to_thread(write)
            pushed, diff = await self.push_folder(ctx, git, root, base, branch, message)
            return {**pushed, "flows": diff}


def _relative(record: FlowRecord, source: str) -> str:
    folder = record.namespace[len(source) + 1:].replace(".", "/") if record.namespace != source else ""
    return f"{folder}/{record.id}.yml" if folder else f"{record.id}.yml"


@TASKS.register
class SyncFlows(SyncTask):
    """Make a namespace's flows what a folder of a branch holds: flows are added or updated (a new revision when
    the source changed), and with `delete` the namespace's flows the folder does not have are deleted (never the
    flow running the sync). Sub-folders are child namespaces (`includeChildNamespaces`). All or nothing."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.SyncFlows"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync_flows
type: io.kestra.plugin.git.SyncFlows
url: https://github.com/acme/flows
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
branch: main
targetNamespace: company.team
gitDirectory: _flows
includeChildNamespaces: true
delete: true
dryRun: true
""",
    )

    targetNamespace: str | None = Field(default=None, description="The namespace the flows go to (default: the flow's); each file's `namespace:` is set to it, or to a child namespace for a sub-folder.")
    gitDirectory: str = Field(default="_flows", description="The repository folder holding the flows.")
    includeChildNamespaces: bool | Expression = Field(default=False, description="Also sync sub-folders, as child namespaces of targetNamespace.")
    delete: bool | Expression = Field(default=False, description="Delete the namespace's flows the folder does not have.")
    ignoreInvalidFlows: bool | Expression = Field(default=False, description="Skip invalid flows with a warning instead of failing the sync.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = namespace(ctx, self.targetNamespace, "targetNamespace")
        folder = render_text(ctx, self.gitDirectory)
        children = render_as(ctx, self.includeChildNamespaces, bool, "includeChildNamespaces")
        ignore_invalid = render_as(ctx, self.ignoreInvalidFlows, bool, "ignoreInvalidFlows")
        delete = render_as(ctx, self.delete, bool, "delete")
        dry_run = self.is_dry_run(ctx)
        with scratch_directory(work_root()) as root, self.git(ctx) as git:
            base = await self.check_out(ctx, git, root, folder)
            incoming = _flow_files(base, target, children) if base else {}
        sources: list[str] = []
        paths: list[str] = []
        for relative, text in incoming.items():
            error = ctx.operations.flow_error(text)
            if error is not None:
                if not ignore_invalid:
                    raise TaskFailed(f"invalid flow imported from Git ({folder}/{relative}): {error}")
                ctx.logger.warn(f"Invalid flow imported from Git ({folder}/{relative}): {error}")
                continue
            sources.append(text)
            paths.append(relative)
        before = {(r.namespace, r.id): r for r in ctx.operations.flows_in(target, children=children)}
        parsed = [_identity(text) for text in sources]
        if len(set(parsed)) != len(parsed):
            twice = sorted({f"{ns}.{fid}" for ns, fid in parsed if parsed.count((ns, fid)) > 1})
            raise TaskFailed(f"the folder {folder} holds the same flow twice: {', '.join(twice)}")
        myself = (ctx.flow_namespace, ctx.flow_id)
        deletions = [key for key in before if delete and key not in parsed and key != myself]
        if dry_run:
            after = [_simulated(before.get(key), key, text, ctx.now()) for key, text in zip(parsed, sources, strict=True)]
        else:
            after = await asyncio.to_thread(ctx.operations.replace_flows, sources, deletions)
        rows: list[dict[str, Any]] = [
            {"syncState": "DELETED", "namespace": ns, "flowId": fid, "revision": before[(ns, fid)].revision}
            for ns, fid in deletions]
        for record, relative in zip(after, paths, strict=True):
            old = before.get((record.namespace, record.id))
            state = "ADDED" if old is None else ("UNCHANGED" if old.revision == record.revision else "UPDATED")
            rows.append({"syncState": state, "namespace": record.namespace, "flowId": record.id,
                         "revision": record.revision, "gitPath": f"{folder}/{relative}"})
        rows.sort(key=lambda row: (row.get("gitPath") is not None, row.get("gitPath") or ""))
        return {"flows": store_rows(ctx, rows)}


def _flow_files(base: Path, target: str, children: bool) -> dict[str, str]:
    """`relative path` → flow source placed in its namespace, for the flow files of the folder."""
    found = {}
    for relative, file in repository_files(base, recursive=children):
        if not relative.endswith(_FLOW_FILE):
            continue
        folder = relative.rsplit("/", 1)[0] if "/" in relative else ""
        placed = f"{target}.{folder.replace('/', '.')}" if folder else target
        found[relative] = in_namespace(file.read_text(encoding="utf-8", errors="replace"), placed)
    return found


def _identity(source: str) -> tuple[str, str]:
    data = yaml.safe_load(source)
    return str(data["namespace"]), str(data["id"])


def _simulated(before: FlowRecord | None, key: tuple[str, str], source: str, now: datetime) -> FlowRecord:
    """The record a deploy would give, without deploying (dry run)."""
    if before is not None and before.source == source:
        return before
    revision = 1 if before is None else before.revision + 1
    return FlowRecord(namespace=key[0], id=key[1], revision=revision, source=source, disabled=False, deleted=False,
                      updated=now)
