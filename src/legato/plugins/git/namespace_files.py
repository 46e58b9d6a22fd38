"""io.kestra.plugin.git.PushNamespaceFiles and SyncNamespaceFiles: a namespace's files to a folder of a branch
(`_files` by default) and back. Both write a diff file: one row per file with what happened to it."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import inside
from legato.plugins.git.command import scratch_directory
from legato.plugins.git.pushing import PushTask, check_out, store_rows
from legato.plugins.git.selection import namespace, patterns, repository_files, selected
from legato.plugins.git.syncing import SyncTask
from legato.plugins.runnable import Expression, render_as, render_text
from legato.plugins.scripts.execution import work_root
from legato.storage import StorageError, namespace_files


@TASKS.register
class PushNamespaceFiles(PushTask):
    """Commit the files of a namespace to a folder of a branch (created if missing) and push them. Files of
    the folder that the namespace no longer has are deleted from the branch (`delete`)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.PushNamespaceFiles"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: push_files
type: io.kestra.plugin.git.PushNamespaceFiles
url: https://github.com/acme/flows
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
branch: main
namespace: company.team
files: ["*.sql", "scripts/**"]
gitDirectory: _files
commitMessage: "add namespace files"
dryRun: true
""",
    )

    branch: str = Field(
        default="main", description="The branch to push to; created from the default branch when missing."
    )
    namespace: str | None = Field(
        default=None, description="The namespace whose files to push (default: the flow's)."
    )
    gitDirectory: str = Field(default="_files", description="The repository folder the files go to.")
    files: str | list[str] | None = Field(
        default=None, description="Glob patterns of the files to push (default: all)."
    )
    delete: bool | Expression = Field(
        default=True, description="Delete from the folder the files the namespace no longer has."
    )
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when no file matches `files`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = namespace(ctx, self.namespace, "namespace")
        branch = render_text(ctx, self.branch)
        globs = patterns(ctx, self.files, "files")
        message = (
            render_text(ctx, self.commitMessage)
            if self.commitMessage
            else f"Add files from {source} namespace"
        )
        wanted = {
            path: uri
            for path, uri in namespace_files.list_files(ctx.storage, source).items()
            if selected(path, globs)
        }
        if not wanted:
            if render_as(ctx, self.errorOnMissing, bool, "errorOnMissing"):
                raise TaskFailed(f"no file of namespace {source} matches {globs or 'any pattern'}")
            ctx.logger.info("No content to push - skipping Git operations.")
            return {"commitId": None, "commitURL": None, "files": None}
        with scratch_directory(work_root()) as root, self.git(ctx) as git:
            await check_out(git, root, branch, ctx, populate=True)
            base = inside(root, render_text(ctx, self.gitDirectory), "gitDirectory")
            base.mkdir(parents=True, exist_ok=True)

            def write() -> None:
                for path, uri in wanted.items():
                    ctx.storage.download(uri, inside(base, path.lstrip("/"), "files"))
                if render_as(ctx, self.delete, bool, "delete"):
                    for relative, file in list(repository_files(base)):
                        if "/" + relative not in wanted and selected("/" + relative, globs):
                            file.unlink()

            await asyncio.to_thread(write)
            pushed, diff = await self.push_folder(ctx, git, root, base, branch, message)
            return {**pushed, "files": diff}


@TASKS.register
class SyncNamespaceFiles(SyncTask):
    """Make a namespace's files what a folder of a branch holds: files are added or overwritten, and with
    `delete` the namespace's files the folder does not have are deleted. `dryRun` only says what would change."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.SyncNamespaceFiles"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync_files
type: io.kestra.plugin.git.SyncNamespaceFiles
url: https://github.com/acme/flows
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
branch: main
namespace: company.team
gitDirectory: _files
dryRun: true
""",
    )

    namespace: str | None = Field(
        default=None, description="The namespace whose files to sync (default: the flow's)."
    )
    gitDirectory: str = Field(default="_files", description="The repository folder holding the files.")
    delete: bool | Expression = Field(
        default=False, description="Delete the namespace's files the folder does not have."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = namespace(ctx, self.namespace, "namespace")
        folder = render_text(ctx, self.gitDirectory)
        dry_run = self.is_dry_run(ctx)
        with scratch_directory(work_root()) as root, self.git(ctx) as git:
            base = await self.check_out(ctx, git, root, folder)

            def sync() -> list[dict[str, Any]]:
                existing = namespace_files.list_files(ctx.storage, target)
                incoming = (
                    {"/" + relative: file.read_bytes() for relative, file in repository_files(base)}
                    if base
                    else {}
                )
                rows: list[dict[str, Any]] = []
                for path, data in incoming.items():
                    before = existing.get(path)
                    state = (
                        "ADDED"
                        if before is None
                        else ("UNCHANGED" if ctx.storage.get(before) == data else "OVERWRITTEN")
                    )
                    if state != "UNCHANGED" and not dry_run:
                        try:
                            ctx.storage.put(namespace_files.file_uri(target, path), data)
                        except StorageError as exc:
                            raise TaskFailed(f"{folder}{path}: {exc}") from None
                    rows.append({"syncState": state, "kestraPath": path, "gitPath": folder + path})
                if render_as(ctx, self.delete, bool, "delete"):
                    for path, uri in existing.items():
                        if path not in incoming:
                            if not dry_run:
                                ctx.storage.delete(uri)
                            rows.append({"syncState": "DELETED", "kestraPath": path})
                return sorted(
                    rows, key=lambda row: (row.get("gitPath") is not None, row.get("gitPath") or "")
                )

            rows = await asyncio.to_thread(sync)
            for row in rows:
                ctx.logger.debug(f"{row['syncState']} {row['kestraPath']}")
            return {"files": store_rows(ctx, rows)}
