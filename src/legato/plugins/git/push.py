"""io.kestra.plugin.git.Push (deprecated in Kestra for PushFlows and PushNamespaceFiles, still common): commit
what a directory of the working directory holds to a branch and push it. With `url`, the branch's content is
replaced by the directory's files plus `inputFiles`, namespace files and flows; without it, the directory must
already be a clone (an earlier Clone task in the same WorkingDirectory) and the new files are added to it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.flowable_worker import NamespaceFiles
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import inside, task_directory
from legato.plugins.git.command import Git
from legato.plugins.git.flows import for_git
from legato.plugins.git.pushing import DEFAULT_AUTHOR, PushTask, check_out, commit_and_push
from legato.plugins.runnable import Expression, render_as, render_optional_text, render_text
from legato.plugins.scripts import files


class FlowFiles(Frozen):
    """Which flows Push writes into the directory."""

    enabled: bool | Expression = Field(default=True, description="Write the flows of the flow's namespace.")
    childNamespaces: bool | Expression = Field(default=True, description="Also the flows of the namespaces under it.")
    gitDirectory: str = Field(default="_flows", description="Folder of the directory the flows go to, as `<namespace>.<id>.yml`.")


class Author(Frozen):
    """The commit's author."""

    name: str | None = Field(default=None, description="The author's name (default: `username`).")
    email: str | None = Field(default=None, description="The author's email.")


@TASKS.register
class Push(PushTask):
    """Commit a directory to a branch (created if missing) and push it. Deprecated in Kestra: prefer PushFlows
    and PushNamespaceFiles."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.Push"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: push
type: io.kestra.plugin.git.Push
url: https://github.com/acme/scripts
branch: kestra
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
namespaceFiles:
  enabled: true
flows:
  enabled: true
commitMessage: "add flows and scripts {{ now() }}"
""",
    )

    url: str | None = Field(default=None, description="The repository; unset: push the clone already in `directory` to its origin.")  # type: ignore[assignment]
    directory: str | None = Field(default=None, description="Folder of the working directory holding the repository (default: the working directory itself).")
    branch: str = Field(description="The branch to push to; created if missing.")
    commitMessage: str = Field(description="The commit message.")
    namespaceFiles: NamespaceFiles | None = Field(default=None, description="Namespace files to write into the directory before committing.")
    flows: FlowFiles = Field(default_factory=FlowFiles, description="Flows of the flow's namespace to write into the directory.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files to write into the directory: name → content or kestra:/// URI.")
    addFilesPattern: list[str] | Expression = Field(default_factory=lambda: ["."], description="Paths to stage (folders recursively); default: everything.")
    author: Author | None = Field(default=None, description="The commit's author.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        branch = render_text(ctx, self.branch)
        message = render_text(ctx, self.commitMessage)
        with task_directory(ctx) as root:
            base = inside(root, render_optional_text(ctx, self.directory), "directory")
            base.mkdir(parents=True, exist_ok=True)
            with self._git(ctx, base) as git:
                if self.url is not None:
                    await check_out(git, base, branch, ctx, populate=False)
                    # the branch becomes what the directory holds: nothing of its earlier tree stays staged
                    await git.run(["rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", "."], base)
                else:
                    await git.run(["checkout", "--quiet", "-B", branch], base)
                await asyncio.to_thread(self._write, ctx, base)
                patterns = render_as(ctx, self.addFilesPattern, list[str], "addFilesPattern")
                await git.run(["add", "--", *patterns], base)
                pushed = await commit_and_push(git, base, ctx, branch, message, self._author(ctx))
                return {"commitId": pushed["commitId"]}

    def _git(self, ctx: RunContext, base: Path) -> Git:
        if self.url is not None:
            return self.git(ctx)
        if not (base / ".git").exists():
            raise TaskFailed(f"property 'url' is unset and {base} is not a Git repository: clone it first (a Clone "
                             "task in the same WorkingDirectory) or set 'url'")
        origin = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(base), "config", "--get",
                                 "remote.origin.url"], capture_output=True, text=True, check=False).stdout.strip()
        if not origin:
            raise TaskFailed(f"the repository in {base} has no 'origin' remote to push to: set 'url'")
        return self.model_copy(update={"url": origin}).git(ctx)

    def _author(self, ctx: RunContext) -> tuple[str, str]:
        if self.author is None:
            return self.commit_author(ctx)
        name = render_optional_text(ctx, self.author.name) or render_optional_text(ctx, self.username)
        email = render_optional_text(ctx, self.author.email)
        return (name, email) if name and email else DEFAULT_AUTHOR

    def _write(self, ctx: RunContext, base: Path) -> None:
        namespace = ctx.flow_namespace
        if self.inputFiles is not None:
            files.stage_inputs(base, files.input_files_map(ctx.render(self.inputFiles)), ctx.storage, namespace)
        spec = self.namespaceFiles
        if spec is not None and spec.enabled:
            files.stage_namespace_files(base, ctx.storage, [namespace], spec.include, spec.exclude, False, True)
        if render_as(ctx, self.flows.enabled, bool, "flows.enabled"):
            children = render_as(ctx, self.flows.childNamespaces, bool, "flows.childNamespaces")
            folder = inside(base, render_text(ctx, self.flows.gitDirectory), "flows.gitDirectory")
            folder.mkdir(parents=True, exist_ok=True)
            for record in ctx.operations.flows_in(namespace, children=children):
                path = inside(folder, f"{record.namespace}.{record.id}.yml", "flows")
                path.write_text(for_git(record.source, record.namespace, record.namespace))
