"""io.kestra.plugin.fs.{sftp,ftp,ftps}.Trigger: start the flow when files arrive in (or change in) a folder of a
remote server. Each poll lists `from`, downloads the new or changed files into internal storage and fires one
execution whose `trigger.files` lists them (Kestra's File, with `path` the stored file's URI and `changeType`
CREATE or UPDATE). Once the execution is recorded, `action` MOVE moves the files to `moveDirectory`, DELETE
deletes them; with NONE they stay, and the trigger's cursor (each file's size and modification time) keeps
them from firing again until they change (`on` says which changes fire). The cursor also lets a MOVE or DELETE
interrupted by a crash complete without firing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from legato import regex
from legato.model.durations import Duration
from legato.model.errors import check_regex
from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.fs.connections import PROTOCOLS, Connection
from legato.plugins.fs.remote import Entry, RemoteFs, user_path, walk
from legato.plugins.fs.tasks import Sort, act_on, scratch, sorted_entries
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


class RemoteFilesTrigger(Connection, PollingTrigger):
    """Properties of the remote file triggers."""

    interval: Duration = Field(default=timedelta(seconds=60), description="Time between two polls (default PT60S).")
    from_: str = Field(alias="from", description="The folder to watch on the server.")
    action: Literal["MOVE", "DELETE", "NONE"] = Field(description="What to do with the files once their execution is recorded: MOVE them to `moveDirectory`, DELETE them, or NONE (they fire again only when they change).")
    moveDirectory: str | None = Field(default=None, description="The folder MOVE puts the files in.")
    regExp: str | None = Field(default=None, description="Only the files whose full path (e.g. /in/a.csv) matches this regular expression.")
    recursive: bool = Field(default=False, description="Also watch sub-folders.")
    on: Literal["CREATE", "UPDATE", "CREATE_OR_UPDATE"] = Field(default="CREATE_OR_UPDATE", description="With action NONE: fire for new files, changed files, or both.")
    stateKey: str | None = Field(default=None, description="Accepted for compatibility: the cursor is the trigger's own.")
    stateTtl: Duration | None = Field(default=None, description="Accepted for compatibility: the cursor forgets a file once it is gone.")
    maxFiles: int = Field(default=25, ge=1, description="At most this many files per execution; the rest wait for the next poll.")
    sort: Sort = Field(default="NONE", description="Which files come first when there are more than maxFiles.")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    def source(self) -> PollingSource:
        return _Source(self)


def _stamp(entry: Entry) -> str:
    modified = int(entry.modified.timestamp() * 1000) if entry.modified else 0
    return f"{modified}_{entry.size or 0}"


class _Source:
    def __init__(self, trigger: RemoteFilesTrigger) -> None:
        self.trigger = trigger
        self.pattern = regex.compile(trigger.regExp) if trigger.regExp else None

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        return await asyncio.to_thread(self._poll, ctx)

    def _poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        folder = user_path(str(ctx.render(t.from_)))
        move_to = user_path(str(ctx.render(t.moveDirectory))) if t.moveDirectory else None
        if t.action == "MOVE" and move_to is None:
            raise TaskFailed(f"trigger '{t.id}': action MOVE needs moveDirectory")
        seen: dict[str, str] = {p: v for p, v in ctx.state.get("seen", {}).items() if isinstance(v, str)}
        fs = t.open_fs(ctx.render)
        try:
            try:
                present = [e for e in walk(fs, folder, t.recursive)
                           if (self.pattern is None or self.pattern.fullmatch(e.path))
                           and (move_to is None or not e.path.startswith(move_to.rstrip("/") + "/"))]
            except TaskFailed:
                ctx.log.debug(f"trigger '{t.id}': folder {folder} does not exist yet")
                return None
            if t.action != "NONE":  # fired before but still here: a crash came between the fire and the action
                act_on(fs, [e for e in present if seen.get(e.path) == _stamp(e)], t.action, move_to)
                present = [e for e in present if seen.get(e.path) != _stamp(e)]
            kept = {e.path: seen[e.path] for e in present if e.path in seen}  # forget files that went away
            changes: dict[str, str] = {}
            for entry in present:
                if seen.get(entry.path) == _stamp(entry):
                    continue
                change = "UPDATE" if entry.path in seen else "CREATE"
                if t.action == "NONE" and t.on not in ("CREATE_OR_UPDATE", change):
                    kept[entry.path] = _stamp(entry)  # a change `on` ignores: remembered, not fired
                    continue
                changes[entry.path] = change
            ordered = sorted_entries([e for e in present if e.path in changes], t.sort)
            if len(ordered) > t.maxFiles:
                ctx.log.warning(f"Too many files to process ({len(ordered)}), limiting to {t.maxFiles}")
            batch = ordered[: t.maxFiles]
            if not batch:
                return None
            files = [{**entry.as_output(self._store(ctx, fs, entry)), "changeType": changes[entry.path]}
                     for entry in batch]
        finally:
            fs.close()
        kept.update({e.path: _stamp(e) for e in batch})

        async def commit() -> None:
            if t.action != "NONE":
                await asyncio.to_thread(self._act, ctx, batch, move_to)

        return Poll(variables={"files": files}, state={"seen": kept}, on_commit=commit)

    def _store(self, ctx: TriggerContext, fs: RemoteFs, entry: Entry) -> str:
        if ctx.storage is None:
            return entry.path
        with scratch() as local:
            fs.fetch(entry.path, local)
            return ctx.storage.put_file(ctx.file_uri(entry.name), local)

    def _act(self, ctx: TriggerContext, batch: list[Entry], move_to: str | None) -> None:
        fs = self.trigger.open_fs(ctx.render)
        try:
            act_on(fs, [e for e in batch if fs.stat(e.path) is not None], self.trigger.action, move_to)
        finally:
            fs.close()


def _make(protocol: str) -> type[RemoteFilesTrigger]:
    connection = PROTOCOLS[protocol]
    example = (f"triggers:\n  - id: watch\n    type: io.kestra.plugin.fs.{protocol}.Trigger\n    host: files.example.com\n"
               f"    username: etl\n    password: \"{{{{ secret('{protocol.upper()}_PASSWORD') }}}}\"\n"
               "    from: /in/\n    interval: PT10S\n    action: MOVE\n    moveDirectory: /archive/\n")
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"Start the flow when files arrive in or change in a folder of an {connection.PROTOCOL} server.",
        "__qualname__": f"{connection.PROTOCOL.title()}Trigger",
        "TYPE": f"io.kestra.plugin.fs.{protocol}.Trigger",
        "ALIASES": (),
        "EXAMPLES": (example,),
    }
    cls = type(f"{connection.PROTOCOL.title()}Trigger", (connection, RemoteFilesTrigger), namespace)
    return TRIGGERS.register(cls)


TRIGGER_CLASSES: dict[str, type[RemoteFilesTrigger]] = {protocol: _make(protocol) for protocol in PROTOCOLS}
