"""SheetModifiedTrigger: every `interval` (default PT5M), list the spreadsheet's Drive revisions and compare them
with those seen before (the trigger's saved cursor): with `on: CREATE` new revisions fire, UPDATE those whose
version changed, CREATE_OR_UPDATE both. As Kestra does, each poll that reads the revisions starts an execution,
with `trigger.modifications` (revisionId, modifiedTime, spreadsheetTitle, spreadsheetId, lastModifyingUser,
sheetName, changeDetails with `includeDetails`) and `trigger.count`, which may be 0; a failed listing starts
none. The cursor lives with the trigger (`stateKey` is accepted for Kestra's flows); `stateTtl` forgets
revisions modified longer ago than that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.googleworkspace.connection import GOOGLE_APIS, SHEETS_API, WorkspaceConnection
from legato.plugins.googleworkspace.sheets.reading import KEY, PREFIX, values_path
from legato.plugins.runnable import Expression
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext

On = Literal["CREATE", "UPDATE", "CREATE_OR_UPDATE"]


def _instant(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@TRIGGERS.register
class SheetModifiedTrigger(WorkspaceConnection, PollingTrigger):
    """Start an execution when a spreadsheet gets new revisions (Drive revision history)."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.SheetModifiedTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.SheetModifiedTrigger",)
    SCOPES: ClassVar[tuple[str, ...]] = ("https://www.googleapis.com/auth/spreadsheets.readonly",
                                         "https://www.googleapis.com/auth/drive.metadata.readonly")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: watch_sheet\ntype: {PREFIX}.SheetModifiedTrigger\ninterval: PT5M\nspreadsheetId: 1U4AoiUrqiVaSIVcm_TwDc9RoKOdCULNGWxuC1vmDT_A\n"
        f"{KEY}sheetName: Orders\nincludeDetails: true\non: CREATE\n",
    )

    interval: Duration = Field(default=timedelta(minutes=5), description="Time between two checks (ISO-8601, default PT5M).")
    spreadsheetId: str = Field(description="The spreadsheet's id (rendered).")
    sheetName: str | None = Field(default=None, description="Only this sheet (tab); a poll where it does not exist reports nothing.")
    range: str | None = Field(default=None, description="An A1 range (e.g. A1:D10) the change details describe.")
    includeDetails: bool | Expression = Field(default=False, description="Read the range for `changeDetails` (affectedRange, rowCount, columnCount, hasData).")
    stateKey: str | None = Field(default=None, description="Accepted for Kestra's flows: the revisions seen are kept with this trigger.")
    stateTtl: Duration | None = Field(default=None, description="Forget revisions modified longer ago than this (ISO-8601).")
    on: On | Expression = Field(default="CREATE_OR_UPDATE", description="CREATE (new revisions), UPDATE (changed ones) or CREATE_OR_UPDATE.")

    def source(self) -> PollingSource:
        return _Source(self)


class _Source:
    def __init__(self, trigger: SheetModifiedTrigger) -> None:
        self.trigger = trigger

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        spreadsheet = str(ctx.render(t.spreadsheetId))
        on = str(ctx.render(t.on))
        if on not in ("CREATE", "UPDATE", "CREATE_OR_UPDATE"):
            raise ValueError(f"property 'on': {on!r} is not CREATE, UPDATE or CREATE_OR_UPDATE")
        drive = await t.connect(ctx.render, GOOGLE_APIS)
        try:
            listed = await drive.call("GET", f"/drive/v3/files/{quote(spreadsheet, safe='')}/revisions",
                                      params={"fields": "revisions(id,modifiedTime,lastModifyingUser)"})
        except TaskFailed as exc:
            ctx.log.warning(f"Failed to fetch revisions: {exc}")
            return None
        revisions = (listed or {}).get("revisions") or []
        if not revisions:
            return None
        seen: dict[str, Any] = dict(ctx.state.get("revisions", {}))
        fired = []
        for revision in revisions:
            uri = f"sheet://{spreadsheet}/revision/{revision['id']}"
            modified = _instant(revision.get("modifiedTime"))
            before = seen.get(uri)
            seen[uri] = {"version": revision["id"], "modifiedAt": modified.isoformat()}
            new, changed = before is None, before is not None and before.get("version") != revision["id"]
            if (new and on != "UPDATE") or (changed and on != "CREATE"):
                fired.append((revision, modified))
        modifications = [m for m in [await self._describe(ctx, spreadsheet, r, at) for r, at in fired] if m is not None]
        if t.stateTtl is not None:
            horizon = datetime.now(UTC) - t.stateTtl
            seen = {k: v for k, v in seen.items() if datetime.fromisoformat(v["modifiedAt"]) >= horizon}
        return Poll(variables={"modifications": modifications, "count": len(modifications)}, state={"revisions": seen})

    async def _describe(self, ctx: TriggerContext, spreadsheet: str, revision: dict[str, Any], at: datetime) -> dict[str, Any] | None:
        t = self.trigger
        sheets = await t.connect(ctx.render, SHEETS_API)
        book = await sheets.call("GET", f"/v4/spreadsheets/{quote(spreadsheet, safe='')}")
        found: dict[str, Any] = {
            "revisionId": revision["id"], "modifiedTime": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "spreadsheetTitle": book.get("properties", {}).get("title"), "spreadsheetId": spreadsheet,
            "lastModifyingUser": (revision.get("lastModifyingUser") or {}).get("displayName")}
        name = None if t.sheetName is None else str(ctx.render(t.sheetName))
        if name is not None:
            if name not in [s["properties"]["title"] for s in book.get("sheets", [])]:
                ctx.log.warning(f"Sheet '{name}' not found in spreadsheet")
                return None
            found["sheetName"] = name
        details = t.includeDetails if isinstance(t.includeDetails, bool) else str(ctx.render(t.includeDetails)).lower() == "true"
        if details:
            cells = None if t.range is None else str(ctx.render(t.range))
            spec = (f"{name}!{cells}" if cells else name) if name else (cells or "")
            try:
                answer = await sheets.call("GET", values_path(spreadsheet, spec or book["sheets"][0]["properties"]["title"]))
            except TaskFailed as exc:
                ctx.log.warning(f"Failed to fetch change details: {exc}")
            else:
                values = answer.get("values") or []
                found["changeDetails"] = {"affectedRange": answer.get("range"), "rowCount": len(values),
                                          "columnCount": max((len(r) for r in values), default=0), "hasData": bool(values)}
        return found
