"""fs.local.Trigger: start the flow when files arrive in (or change in) a local directory.

Each poll lists `from` (recursively with `recursive`), keeps the files matching `regExp` (full path) and/or
`glob` (path relative to `from`), and fires one execution for the new or changed ones (at most `maxFiles`,
oldest first), each copied to internal storage: `trigger.files` is a list of {path, name, size,
lastModifiedTime, uri}. Once the execution is recorded, `action` MOVE moves them to `moveDirectory`, DELETE
deletes them, NONE leaves them (they fire again only once they change). The trigger's cursor remembers the
files it fired (their size and modification time), so a restart fires nothing twice and completes a MOVE
or DELETE interrupted by a crash.

As Kestra's `allowed-paths`, the directories these triggers may touch are set by the operator in
LEGATO_LOCAL_FILES_ALLOWED (paths separated by commas or the OS path separator); without it the trigger
refuses to start. Symbolic links are resolved before the check.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from legato import globs, regex
from legato.model.errors import check_regex
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext

ENV_ALLOWED = "LEGATO_LOCAL_FILES_ALLOWED"


class LocalFilesError(ValueError):
    """A path is outside the allowed directories or the settings cannot work; the message says which."""


def allowed_roots(value: str | None = None) -> list[Path]:
    """The directories local file triggers may touch (LEGATO_LOCAL_FILES_ALLOWED unless `value` is given)."""
    text = os.environ.get(ENV_ALLOWED, "") if value is None else value
    parts = [p.strip() for chunk in text.split(",") for p in chunk.split(os.pathsep)]
    return [Path(p).resolve() for p in parts if p]


def confined(path: str, prop: str, trigger_id: str) -> Path:
    """`path` resolved, when inside an allowed directory; LocalFilesError otherwise."""
    roots = allowed_roots()
    if not roots:
        raise LocalFilesError(f"trigger '{trigger_id}': local file triggers are off; set {ENV_ALLOWED} to the directories they may watch")
    if not os.path.isabs(path):
        raise LocalFilesError(f"trigger '{trigger_id}': property '{prop}' must be an absolute path, got {path!r}")
    resolved = Path(path).resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise LocalFilesError(f"trigger '{trigger_id}': property '{prop}' ({path}) is outside {ENV_ALLOWED}")
    return resolved


@TRIGGERS.register
class LocalFilesTrigger(PollingTrigger):
    """Start the flow when files appear or change in a local directory."""

    TYPE: ClassVar[str] = "fs.local.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.fs.local.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: incoming
    type: io.kestra.plugin.fs.local.Trigger
    from: /data/incoming
    regExp: ".*\\\\.csv"
    interval: PT10S
    action: MOVE
    moveDirectory: /data/archive
""",
    )

    from_: str = Field(alias="from", description="Directory to watch (absolute, inside LEGATO_LOCAL_FILES_ALLOWED; rendered).")
    regExp: str | None = Field(default=None, description="Only files whose full path matches this regular expression.")
    glob: str | None = Field(default=None, description="Only files whose path relative to `from` matches this glob (Legato's addition).")
    recursive: bool = Field(default=False, description="Watch sub-directories too.")
    action: Literal["MOVE", "DELETE", "NONE"] = Field(default="NONE", description="What to do with the files once their execution is recorded.")
    moveDirectory: str | None = Field(default=None, description="Where MOVE puts the files (absolute, inside LEGATO_LOCAL_FILES_ALLOWED; rendered).")
    maxFiles: int = Field(default=25, ge=1, description="Most files per execution; the rest wait for the next poll.")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    @model_validator(mode="after")
    def _move_needs_directory(self) -> LocalFilesTrigger:
        if self.action == "MOVE" and not self.moveDirectory:
            raise ValueError("action MOVE needs moveDirectory")
        return self

    def source(self) -> PollingSource:
        return _LocalSource(self)


@dataclass(frozen=True)
class _Found:
    path: Path
    relative: str
    size: int
    mtime_ns: int

    @property
    def stamp(self) -> str:
        return f"{self.mtime_ns}:{self.size}"


class _LocalSource:
    def __init__(self, trigger: LocalFilesTrigger):
        self.trigger = trigger
        self.pattern = regex.compile(trigger.regExp) if trigger.regExp else None

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        root = confined(str(ctx.render(t.from_)), "from", t.id)
        target = confined(str(ctx.render(t.moveDirectory)), "moveDirectory", t.id) if t.action == "MOVE" and t.moveDirectory else None
        return await asyncio.to_thread(self._poll, ctx, root, target)

    def _poll(self, ctx: TriggerContext, root: Path, target: Path | None) -> Poll | None:
        if not root.is_dir():
            raise LocalFilesError(f"trigger '{self.trigger.id}': directory {root} does not exist")
        seen: dict[str, str] = dict(ctx.state.get("seen", {}))
        present = {f.relative: f for f in self._list(root, target)}
        if self.trigger.action != "NONE":
            # Files fired before but still here: a crash came between the fire and its MOVE/DELETE.
            self._act(root, target, [f for rel, f in present.items() if seen.get(rel) == f.stamp])
        fresh = sorted((f for rel, f in present.items() if seen.get(rel) != f.stamp), key=lambda f: (f.mtime_ns, f.relative))
        batch = fresh[: self.trigger.maxFiles]
        if not batch:
            return None
        files = [self._describe(ctx, f) for f in batch]
        kept = {rel: stamp for rel, stamp in seen.items() if rel in present}  # forget files that went away
        kept.update({f.relative: f.stamp for f in batch})

        async def commit() -> None:
            await asyncio.to_thread(self._act, root, target, batch)

        return Poll(variables={"files": files}, state={"seen": kept}, on_commit=commit)

    def _list(self, root: Path, target: Path | None) -> list[_Found]:
        walker = root.rglob("*") if self.trigger.recursive else root.glob("*")
        found = []
        for path in walker:
            if path.is_symlink() or not path.is_file():
                continue  # a link could point outside the allowed directories
            if target is not None and path.is_relative_to(target):
                continue  # already moved: a moveDirectory inside the watched one
            relative = path.relative_to(root).as_posix()
            if self.pattern is not None and not self.pattern.fullmatch(str(path)):
                continue
            if self.trigger.glob is not None and not globs.matches(relative, [self.trigger.glob]):
                continue
            info = path.stat()
            found.append(_Found(path, relative, info.st_size, info.st_mtime_ns))
        return found

    def _describe(self, ctx: TriggerContext, found: _Found) -> dict[str, Any]:
        item: dict[str, Any] = {
            "path": str(found.path), "name": found.path.name, "size": found.size,
            "lastModifiedTime": datetime.fromtimestamp(found.mtime_ns / 1e9, UTC).isoformat(),
        }
        if ctx.storage is not None:
            item["uri"] = ctx.storage.put_file(ctx.file_uri(found.path.name), found.path)
        return item

    def _act(self, root: Path, target: Path | None, files: list[_Found]) -> None:
        for found in files:
            if not found.path.exists():
                continue
            if self.trigger.action == "DELETE":
                found.path.unlink(missing_ok=True)
            elif self.trigger.action == "MOVE" and target is not None:
                destination = target / found.relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(found.path, destination)
