"""Read (every sheet of a spreadsheet, or those `selectedSheetsTitle` names) and ReadRange (one A1 range): rows as
maps keyed by the first row (`header: true`, the default) or as lists, stored one per line in Ion files (`store`,
the default) or returned (`fetch: true`)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core import storage_stream as stream
from legato.plugins.googleworkspace.connection import SHEETS_API, WorkspaceTask
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional
from legato.storage import ion

PREFIX = "io.kestra.plugin.googleworkspace.sheets"
KEY = "serviceAccount: \"{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}\"\n"
ValueRender = Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"]
DateTimeRender = Literal["SERIAL_NUMBER", "FORMATTED_STRING"]


def values_path(spreadsheet: str, a1: str) -> str:
    return f"/v4/spreadsheets/{quote(spreadsheet, safe='')}/values/{quote(a1, safe='!:$')}"


class AbstractRead(WorkspaceTask):
    spreadsheetId: str = Field(description="The spreadsheet's id, as in its URL (rendered).")
    valueRender: ValueRender | Expression = Field(default="UNFORMATTED_VALUE", description="How values come back: FORMATTED_VALUE (as shown), UNFORMATTED_VALUE or FORMULA.")
    dateTimeRender: DateTimeRender | Expression = Field(default="FORMATTED_STRING", description="How dates come back: FORMATTED_STRING or SERIAL_NUMBER (days since 1899-12-30).")
    header: bool | Expression = Field(default=True, description="The first row names the columns: each row is a map.")
    fetch: bool | Expression = Field(default=False, description="Return the rows in the outputs.")
    store: bool | Expression = Field(default=True, description="Store the rows in Ion files of internal storage (when `fetch` is false).")

    def render_options(self, ctx: RunContext) -> dict[str, str]:
        return {"valueRenderOption": render_as(ctx, self.valueRender, ValueRender, "valueRender"),
                "dateTimeRenderOption": render_as(ctx, self.dateTimeRender, DateTimeRender, "dateTimeRender")}

    def transform(self, ctx: RunContext, values: list[list[Any]]) -> list[Any]:
        if not values:
            return []
        if not render_bool(ctx, self.header, "header"):
            return list(values)
        names = [str(n) for n in values[0]]
        return [{name: row[i] if i < len(row) else None for i, name in enumerate(names)} for row in values[1:]]

    @staticmethod
    def save(ctx: RunContext, rows: list[Any], name: str) -> str:
        with stream.Output(ctx, name) as out:
            for row in rows:
                out.write((ion.dumps(row) + "\n").encode())
            return out.save()


def _counter(ctx: RunContext, name: str, value: int) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value, "tags": {}})


@TASKS.register
class Read(AbstractRead):
    """Read every sheet (or the `selectedSheetsTitle` ones): `uris` (or `rows` with `fetch: true`) by sheet title,
    and `size`, the rows read in all."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.Read"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Read",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: read\ntype: {PREFIX}.Read\n{KEY}spreadsheetId: 1Dkd3W0OQo-wxz1rrORLP7YGSj6EBLEg74fiTdbJUIQE\n"
        "selectedSheetsTitle:\n  - Orders\nfetch: true\n",
    )

    selectedSheetsTitle: list[str] | Expression | None = Field(default=None, description="Only these sheets (by title); none: every sheet.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        spreadsheet = ctx.render_string(self.spreadsheetId)
        wanted = [str(ctx.render(t)) for t in render_optional(ctx, self.selectedSheetsTitle, list[Any], "selectedSheetsTitle") or []]
        api = await self.api(ctx, SHEETS_API)
        found = await api.call("GET", f"/v4/spreadsheets/{quote(spreadsheet, safe='')}")
        sheets = [s["properties"] for s in found.get("sheets", [])]
        _counter(ctx, "sheets", len(sheets))
        chosen = [p for p in sheets if not wanted or p.get("title") in wanted]
        ranges = [f"{p['title']}!R1C1:R{p['gridProperties']['rowCount']}C{p['gridProperties']['columnCount']}" for p in chosen]
        batch = await api.call("GET", f"/v4/spreadsheets/{quote(spreadsheet, safe='')}/values:batchGet",
                               params={"ranges": ranges, **self.render_options(ctx)}) if chosen else {}
        fetch = render_bool(ctx, self.fetch, "fetch")
        rows: dict[str, list[Any]] = {}
        uris: dict[str, str] = {}
        size = 0
        for props, value_range in zip(chosen, batch.get("valueRanges", []), strict=False):
            values = value_range.get("values", [])
            ctx.logger.info(f"Fetch {len(values)} rows from range '{value_range.get('range')}'")
            size += len(values)
            shaped = self.transform(ctx, values)
            if fetch:
                rows[props["title"]] = shaped
            else:
                uris[props["title"]] = self.save(ctx, shaped, f"{props['title']}.ion")
        _counter(ctx, "rows", size)
        return {"size": size, **({"rows": rows} if fetch else {"uris": uris})}


@TASKS.register
class ReadRange(AbstractRead):
    """Read one range (A1 notation, e.g. `Sheet1!A1:I`; none: the first sheet): `uri` (or `rows` with
    `fetch: true`) and `size`."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.ReadRange"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.ReadRange",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: read_range\ntype: {PREFIX}.ReadRange\n{KEY}spreadsheetId: 1Dkd3W0OQo-wxz1rrORLP7YGSj6EBLEg74fiTdbJUIQE\n"
        "range: \"Second One!A1:I\"\nvalueRender: FORMATTED_VALUE\n",
    )

    range: str | None = Field(default=None, description="The range in A1 notation (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        spreadsheet = ctx.render_string(self.spreadsheetId)
        api = await self.api(ctx, SHEETS_API)
        a1 = ctx.render_string(self.range) if self.range is not None else ""
        if not a1:  # the API needs a range: the first sheet's title names all of it
            found = await api.call("GET", f"/v4/spreadsheets/{quote(spreadsheet, safe='')}")
            a1 = found["sheets"][0]["properties"]["title"]
        answer = await api.call("GET", values_path(spreadsheet, a1), params=self.render_options(ctx))
        values = answer.get("values", [])
        ctx.logger.info(f"Fetch {len(values)} rows from range '{answer.get('range')}'")
        shaped = self.transform(ctx, values)
        _counter(ctx, "rows", len(shaped))
        if render_bool(ctx, self.fetch, "fetch"):
            return {"rows": shaped, "size": len(shaped)}
        return {"uri": self.save(ctx, shaped, "range.ion"), "size": len(shaped)}
