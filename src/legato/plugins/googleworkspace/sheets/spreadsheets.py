"""CreateSpreadsheet (a new, empty spreadsheet: `spreadsheetId`, `spreadsheetUrl`) and DeleteSpreadsheet (checks it
exists with the Sheets API, then deletes the file with the Drive API)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.googleworkspace.connection import GOOGLE_APIS, SHEETS_API, WorkspaceTask
from legato.plugins.googleworkspace.sheets.reading import KEY, PREFIX

DRIVE = "https://www.googleapis.com/auth/drive"


@TASKS.register
class CreateSpreadsheet(WorkspaceTask):
    """Create a spreadsheet titled `title`: `spreadsheetId` and `spreadsheetUrl`."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.CreateSpreadsheet"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.CreateSpreadsheet",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: create\ntype: {PREFIX}.CreateSpreadsheet\n{KEY}title: Weekly report\n",)

    title: str = Field(description="The spreadsheet's title (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        api = await self.api(ctx, SHEETS_API)
        created = await api.call("POST", "/v4/spreadsheets", json={"properties": {"title": ctx.render_string(self.title)}})
        ctx.logger.debug(f"Created spreadsheet '{created.get('spreadsheetId')}'")
        return {"spreadsheetId": created.get("spreadsheetId"), "spreadsheetUrl": created.get("spreadsheetUrl")}


@TASKS.register
class DeleteSpreadsheet(WorkspaceTask):
    """Delete a spreadsheet (its Drive file): `spreadsheetId`."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.DeleteSpreadsheet"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.DeleteSpreadsheet",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: delete\ntype: {PREFIX}.DeleteSpreadsheet\n{KEY}spreadsheetId: \"{{{{ outputs.create.spreadsheetId }}}}\"\n",)
    SCOPES: ClassVar[tuple[str, ...]] = ("https://www.googleapis.com/auth/spreadsheets", DRIVE)

    spreadsheetId: str = Field(description="The spreadsheet's id (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        spreadsheet = ctx.render_string(self.spreadsheetId)
        sheets = await self.api(ctx, SHEETS_API)
        if await sheets.call("GET", f"/v4/spreadsheets/{quote(spreadsheet, safe='')}", missing_ok=True) is None:
            raise TaskFailed(f"Spreadsheet not found: {spreadsheet}")
        drive = await self.api(ctx, GOOGLE_APIS)
        await drive.call("DELETE", f"/drive/v3/files/{quote(spreadsheet, safe='')}", params={"supportsAllDrives": "true"})
        return {"spreadsheetId": spreadsheet}
