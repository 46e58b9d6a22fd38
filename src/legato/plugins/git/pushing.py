"""What the Push tasks share (Kestra's AbstractPushTask): check out a branch over a directory (created from the
remote's default branch, or orphan in an empty repository, when it does not exist yet), stage what the task
wrote, describe the staged change per file, then commit and push it, or only describe it (`dryRun`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.git.base import GitTask
from legato.plugins.git.command import Git, http_url
from legato.plugins.runnable import Expression, render_as, render_optional_text

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
DEFAULT_AUTHOR = ("Legato", "legato@localhost")


class PushTask(GitTask):
    """Properties of the tasks that push to a branch."""

    commitMessage: str | None = Field(default=None, description="The commit message.")
    dryRun: bool | Expression = Field(
        default=False, description="Only describe the change (the diff file), commit and push nothing."
    )
    authorEmail: str | None = Field(default=None, description="The commit author's email.")
    authorName: str | None = Field(
        default=None, description="The commit author's name (default: `username`)."
    )

    def commit_author(self, ctx: RunContext) -> tuple[str, str]:
        name = render_optional_text(ctx, self.authorName) or render_optional_text(ctx, self.username)
        email = render_optional_text(ctx, self.authorEmail)
        return (name, email) if name and email else DEFAULT_AUTHOR

    def is_dry_run(self, ctx: RunContext) -> bool:
        return bool(render_as(ctx, self.dryRun, bool, "dryRun"))

    async def push_folder(self, ctx: RunContext, git: Git, root: Path, folder: Path, branch: str,
                          message: str) -> tuple[dict[str, Any], str]:
        """Stage everything under `folder`, describe it in a diff file, then commit and push it (or, with
        `dryRun`, only describe it): the commit's outputs and the diff file's URI."""
        await git.run(["add", "--all", "--", folder.relative_to(root).as_posix() or "."], root)
        rows = await staged_changes(git, root)
        pushed: dict[str, Any] = {"commitId": None, "commitURL": None}
        if self.is_dry_run(ctx):
            ctx.logger.info(f"Dry run: nothing pushed to {branch} for now, set dryRun to false to push")
        else:
            pushed = await commit_and_push(git, root, ctx, branch, message, self.commit_author(ctx))
        return pushed, store_rows(ctx, rows)


async def check_out(git: Git, root: Path, branch: str, ctx: RunContext, *, populate: bool) -> None:
    """Make `root` a repository on `branch` whose index holds the branch's tree (the remote's default branch's
    when `branch` is new); `populate` also writes that tree's files, else the directory's files are left as
    they are."""
    if not (root / ".git").exists():
        await git.run(["init", "--quiet", f"--initial-branch={branch}"], root)
        await git.run(["remote", "add", "origin", git.remote.url], root)
    heads = await git.run(["ls-remote", "--symref", "origin"], root)
    start: str | None = branch
    if f"\trefs/heads/{branch}\n" not in heads:
        default = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", heads, re.M)
        start = default[1] if default and f"\trefs/heads/{default[1]}\n" in heads else None
        ctx.logger.info(f"Branch {branch} does not exist, creating it")
    await git.run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], root)
    if start is not None:
        await git.run(
            [
                "fetch",
                "--quiet",
                "--depth",
                "1",
                "origin",
                f"+refs/heads/{start}:refs/remotes/origin/{start}",
            ],
            root,
        )
        await git.run(["reset", "--quiet", "--mixed", f"refs/remotes/origin/{start}"], root)
        if populate:
            await git.run(["checkout-index", "--all", "--force"], root)


async def staged_changes(git: Git, root: Path) -> list[dict[str, str]]:
    """One row per staged file, as Kestra's diff files have them: `file`, `additions` (+n), `deletions` (-n) and
    `changes` (lines replaced one for one), sorted by path."""
    text = await git.run(
        [
            "-c",
            "core.quotePath=false",
            "diff",
            "--cached",
            "--unified=0",
            "--no-color",
            "--no-renames",
            "--no-ext-diff",
        ],
        root,
    )
    rows: dict[str, list[int]] = {}
    current: list[int] | None = None
    old_path = ""
    for line in text.splitlines():
        if line.startswith("--- "):
            old_path = line[6:] if line.startswith("--- a/") else ""
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else old_path
            current = rows.setdefault(path, [0, 0, 0])
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            match = re.match(r"Binary files (?:a/(.+)|/dev/null) and (?:b/(.+)|/dev/null) differ", line)
            if match:
                rows.setdefault(match[2] or match[1], [0, 0, 0])
        elif current is not None and (hunk := _HUNK.match(line)):
            before = int(hunk[1]) if hunk[1] is not None else 1
            after = int(hunk[2]) if hunk[2] is not None else 1
            if after > before:
                current[0] += after - before
            elif after < before:
                current[1] += before - after
            else:
                current[2] += after
    return [
        {"file": path, "additions": f"+{a}", "deletions": f"-{d}", "changes": str(c)}
        for path, (a, d, c) in sorted(rows.items())
    ]


def store_rows(ctx: RunContext, rows: list[dict[str, Any]], name: str = "diff.ion") -> str:
    """Rows as a file of internal storage (one value per line, as Kestra's ION files); its URI."""
    data = "".join(json.dumps(row, separators=(",", ":"), default=str) + "\n" for row in rows).encode()
    return ctx.storage.put(output_uri(ctx, name), data)


async def commit_and_push(
    git: Git, root: Path, ctx: RunContext, branch: str, message: str, author: tuple[str, str]
) -> dict[str, str | None]:
    """Commit the index and push it to `branch`: the commit's id and a link to it, both None when nothing is
    staged."""
    code, _ = await git.output(["diff", "--cached", "--quiet"], root)
    if code == 0:
        ctx.logger.info("No changes to commit. Skipping push.")
        return {"commitId": None, "commitURL": None}
    browse = http_url(git.remote.url)
    ctx.logger.info(f"Pushing to {browse} on branch {branch}")
    name, email = author
    await git.run(
        ["-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "-m", message], root
    )
    commit = (await git.run(["rev-parse", "HEAD"], root)).strip()
    try:
        await git.run(["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"], root)
    except TaskFailed as exc:
        raise TaskFailed(
            f"{exc} (the branch {branch} may have moved meanwhile: run the task again)"
        ) from None
    link = f"{browse}/{'commits' if 'bitbucket.org' in browse else 'commit'}/{commit}"
    ctx.logger.info(f"Pushed to {link}")
    return {"commitId": commit, "commitURL": link}
