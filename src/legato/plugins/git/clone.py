"""io.kestra.plugin.git.Clone: clone a repository into the task's working directory (inside a WorkingDirectory,
where the next tasks find it), optionally at a branch, tag or commit; shallow by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import GitTask, inside, task_directory
from legato.plugins.git.command import Git, shown
from legato.plugins.runnable import Expression, render_as, render_optional_text


@TASKS.register
class Clone(GitTask):
    """Clone a Git repository over HTTP(S) or SSH. Shallow (depth 1) unless a tag or commit is asked for; a
    directory that already holds files (e.g. a WorkingDirectory's inputFiles) gets the repository fetched into
    it instead."""

    TYPE: ClassVar[str] = "io.kestra.plugin.git.Clone"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: clone
type: io.kestra.plugin.git.Clone
url: https://github.com/kestra-io/examples
branch: main
""",
        """\
id: clone_private
type: io.kestra.plugin.git.Clone
url: https://github.com/acme/private-repo
username: git_username
password: "{{ secret('GITHUB_ACCESS_TOKEN') }}"
directory: repo
""",
    )

    directory: str | None = Field(
        default=None,
        description="Folder of the working directory to clone into (default: the working directory itself).",
    )
    branch: str | None = Field(
        default=None,
        description="The branch to check out (default: the remote's default branch); ignored when `commit` or `tag` is set.",
    )
    depth: int | Expression = Field(
        default=1,
        description="Shallow clone depth; ignored when `commit` or `tag` is set, which need the history.",
    )
    commit: str | None = Field(
        default=None,
        description="Check out this commit (detached HEAD; a short SHA works). Wins over `branch` and `tag`.",
    )
    tag: str | None = Field(
        default=None, description="Check out this tag (detached HEAD); ignored when `commit` is set."
    )
    cloneAllBranches: bool | Expression = Field(
        default=True, description="Fetch every branch of the remote; false fetches only `branch`."
    )
    noTags: bool | Expression = Field(default=False, description="Do not fetch tags.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        commit = render_optional_text(ctx, self.commit)
        tag = None if commit else render_optional_text(ctx, self.tag)
        branch = render_optional_text(ctx, self.branch)
        depth = None if commit or tag else render_as(ctx, self.depth, int, "depth")
        if depth is not None and depth < 1:
            raise TaskFailed(f"property 'depth': {depth} must be at least 1")
        all_branches = render_as(ctx, self.cloneAllBranches, bool, "cloneAllBranches")
        no_tags = render_as(ctx, self.noTags, bool, "noTags")
        with task_directory(ctx) as root, self.git(ctx) as git:
            target = inside(root, render_optional_text(ctx, self.directory), "directory")
            ctx.logger.info(f"Start cloning from '{shown(git.remote.url)}'")
            if target.exists() and any(target.iterdir()):
                ctx.logger.info(f"Target directory '{target}' is not empty, fetching into it")
                await _fetch_into(git, target, branch, depth, all_branches, no_tags)
            else:
                target.mkdir(parents=True, exist_ok=True)
                args = ["clone", "--quiet"]
                if depth is not None:
                    args += ["--depth", str(depth)]
                if branch and not commit and not tag:
                    args += ["--branch", branch]
                args.append("--no-single-branch" if all_branches else "--single-branch")
                if no_tags:
                    args.append("--no-tags")
                if self.submodules(ctx):
                    args.append("--recurse-submodules")
                await git.run([*args, "--", git.remote.url, str(target)], target.parent)
            if commit:
                await git.run(["checkout", "--quiet", "--detach", commit], target)
                ctx.logger.info(f"Checked out commit {commit}")
            elif tag:
                if no_tags:
                    await git.run(["fetch", "--quiet", "origin", f"refs/tags/{tag}:refs/tags/{tag}"], target)
                await git.run(["checkout", "--quiet", "--detach", f"refs/tags/{tag}"], target)
                ctx.logger.info(f"Checked out tag {tag}")
            if self.submodules(ctx) and (commit or tag):
                await git.run(["submodule", "update", "--init", "--recursive", "--quiet"], target)
            return {"directory": str(target)}


async def _fetch_into(
    git: Git, target: Path, branch: str | None, depth: int | None, all_branches: bool, no_tags: bool
) -> None:
    """Kestra's answer to a non-empty directory: init, fetch and check out the branch over what is there."""
    await git.run(["init", "--quiet"], target)
    await git.run(["remote", "add", "origin", git.remote.url], target)
    refspec = (
        f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        if branch and not all_branches
        else "+refs/heads/*:refs/remotes/origin/*"
    )
    args = ["fetch", "--quiet", "origin", refspec]
    args += ["--no-tags"] if no_tags else ["+refs/tags/*:refs/tags/*"]
    if depth is not None:
        args += ["--depth", str(depth)]
    await git.run(args, target)
    if branch is None:
        await git.run(["remote", "set-head", "origin", "--auto"], target, check=False)
        code, head = await git.output(["symbolic-ref", "--short", "refs/remotes/origin/HEAD"], target)
        branch = head.strip().removeprefix("origin/") if code == 0 and head.strip() else None
    if branch is None:
        for candidate in ("main", "master"):
            code, _ = await git.output(
                ["rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{candidate}"], target
            )
            if code == 0:
                branch = candidate
                break
    if branch is None:
        raise TaskFailed("cannot tell the remote's default branch: set the 'branch' property")
    await git.run(["checkout", "--quiet", "-f", "-B", branch, f"origin/{branch}"], target)
