"""What the Sync tasks share (Kestra's AbstractSyncTask): a shallow clone of the branch, the folder of it that
holds the resources, and `dryRun`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.git.base import GitTask, inside
from legato.plugins.git.command import Git
from legato.plugins.runnable import Expression, render_as, render_text


class SyncTask(GitTask):
    """Properties of the tasks that sync from a branch."""

    branch: str = Field(default="main", description="The branch to sync from.")
    dryRun: bool | Expression = Field(
        default=False, description="Only say what would change (the diff file); change nothing."
    )
    failOnMissingDirectory: bool | Expression = Field(
        default=True, description="Fail when `gitDirectory` is not in the branch; false syncs from nothing."
    )

    def is_dry_run(self, ctx: RunContext) -> bool:
        return bool(render_as(ctx, self.dryRun, bool, "dryRun"))

    async def check_out(self, ctx: RunContext, git: Git, root: Path, folder: str) -> Path | None:
        """Clone the branch into `root`; the folder holding the resources, or None when the branch does not
        have it (and that is allowed)."""
        branch = render_text(ctx, self.branch)
        await git.run(
            [
                "clone",
                "--quiet",
                "--depth",
                "1",
                "--single-branch",
                "--branch",
                branch,
                "--",
                git.remote.url,
                str(root),
            ],
            root.parent,
        )
        base = inside(root, folder, "gitDirectory")
        if base.is_dir():
            return base
        if base.exists():
            raise TaskFailed(
                f"the path '{folder}' of branch '{branch}' is a file, not a directory; sync tasks need a directory"
            )
        if render_as(ctx, self.failOnMissingDirectory, bool, "failOnMissingDirectory"):
            raise TaskFailed(
                f"the directory '{folder}' was not found in the git repository: check that it exists in the branch '{branch}'"
            )
        return None
