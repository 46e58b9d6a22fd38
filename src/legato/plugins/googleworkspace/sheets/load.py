"""Load: the rows of a file of internal storage written into a range (UPDATE, the default; OVERWRITE clears the
range first; APPEND adds rows after the last filled one), with Kestra's formats: ION and JSON (records, their
keys as a header row with `header: true`), CSV (`csvOptions`), and AVRO, PARQUET, ORC (with the `serdes` extra).
The format comes from `format`, else the file's extension. Values are written RAW (not parsed as formulas)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.googleworkspace.connection import SHEETS_API, WorkspaceTask
from legato.plugins.googleworkspace.sheets.reading import KEY, PREFIX, values_path
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional
from legato.storage import ion

Format = Literal["ION", "CSV", "AVRO", "PARQUET", "ORC", "JSON"]
InsertType = Literal["UPDATE", "OVERWRITE", "APPEND"]


class CsvOptions(Frozen):
    fieldDelimiter: str | None = Field(default=",", description="The field separator.")
    skipLeadingRows: int | Expression | None = Field(default=None, description="Skip the first row (the CSV's header) when more than 0.")
    quote: str | None = Field(default=None, description="The quote character (default \").")
    encoding: str = Field(default="UTF-8", description="The file's character set.")


def cell(value: Any) -> Any:
    """A value as a cell of the Sheets API (JSON): dates as ISO text, decimals as numbers, bytes as text."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case datetime() | date() | time():
            return value.isoformat()
        case Decimal():
            return float(value)
        case bytes():
            return value.decode("utf-8", "replace")
    return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)


def _records(records: list[Any], header: bool) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if header:
        for keys in dict.fromkeys(tuple(r) for r in records if isinstance(r, dict)):
            rows.append(list(keys))
    rows += [[cell(v) for v in (r.values() if isinstance(r, dict) else r if isinstance(r, list) else [r])] for r in records]
    return rows


def _table(table: Any, header: bool) -> list[list[Any]]:
    names = list(table.column_names)
    rows = [names] if header else []
    return rows + [[None if v is None else str(v) for v in (row[n] for n in names)] for row in table.to_pylist()]


@TASKS.register
class Load(WorkspaceTask):
    """Write the rows of a stored file into a range: `range` written, `rows` and `columns`."""

    TYPE: ClassVar[str] = "googleworkspace.sheets.Load"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Load",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: load\ntype: {PREFIX}.Load\n{KEY}from: \"{{{{ outputs.export.uri }}}}\"\nspreadsheetId: 1Dkd3W0OQo-wxz1rrORLP7YGSj6EBLEg74fiTdbJUIQE\n"
        "range: Orders\ninsertType: OVERWRITE\nheader: true\n",
    )

    spreadsheetId: str = Field(description="The spreadsheet's id (rendered).")
    from_: str = Field(alias="from", description="The internal-storage URI of the file (rendered).")
    range: str = Field(default="Sheet1", description="Where to write, in A1 notation (rendered).")
    insertType: InsertType | Expression = Field(default="UPDATE", description="UPDATE (write over the range), OVERWRITE (clear it first) or APPEND (after the last filled row).")
    header: bool | Expression = Field(default=False, description="ION, JSON, AVRO, PARQUET, ORC: write the field names as the first row.")
    csvOptions: CsvOptions = Field(default_factory=CsvOptions, description="How to read a CSV file.")
    avroSchema: str | None = Field(default=None, description="An Avro schema to read the file with (its own otherwise).")
    format: Format | Expression | None = Field(default=None, description="The file's format; default: from its extension.")

    def rows(self, ctx: RunContext, uri: str) -> list[list[Any]]:
        kind = render_optional(ctx, self.format, Format, "format")
        if kind is None:
            extension = uri.rsplit(".", 1)[-1].upper() if "." in uri.rsplit("/", 1)[-1] else ""
            if extension not in Format.__args__:  # type: ignore[attr-defined]
                raise TaskFailed(f"Not supported format: cannot tell the format of {uri} from its extension; set 'format'")
            kind = extension
        header = render_bool(ctx, self.header, "header")
        with stream.opened(ctx, uri) as handle:
            data = handle.read()
        match kind:
            case "ION":
                return _records(ion.loads(data.decode("utf-8")), header)
            case "JSON":
                text = data.decode("utf-8").strip()
                try:
                    found = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
                except ValueError as exc:
                    raise TaskFailed(f"property 'from': not JSON ({exc})") from None
                return _records(found, header)
            case "CSV":
                return self._csv(ctx, data)
            case "AVRO":
                return self._avro(ctx, data, header)
        return self._columnar(data, kind, header)

    def _csv(self, ctx: RunContext, data: bytes) -> list[list[Any]]:
        o = self.csvOptions
        try:
            text = data.decode(o.encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise TaskFailed(f"property 'csvOptions.encoding': {exc}") from None
        reader = csv.reader(io.StringIO(text), delimiter=o.fieldDelimiter or ",", quotechar=(o.quote or '"')[0])
        rows = [row for row in reader if row]
        skip = render_optional(ctx, o.skipLeadingRows, int, "csvOptions.skipLeadingRows")
        return rows[1:] if skip and skip > 0 else rows

    def _avro(self, ctx: RunContext, data: bytes, header: bool) -> list[list[Any]]:
        try:
            import fastavro
        except ImportError:
            raise TaskFailed("reading AVRO needs fastavro: run pip install 'legato[serdes]'") from None
        reader = fastavro.reader(io.BytesIO(data), reader_schema=json.loads(self.avroSchema) if self.avroSchema else None)
        schema: Any = reader.reader_schema or reader.writer_schema
        names = [f["name"] for f in schema["fields"]]
        records = list(reader)
        return ([names] if header and records else []) + [[str(r[n]) for n in names] for r in records]  # type: ignore[index]

    @staticmethod
    def _columnar(data: bytes, kind: str, header: bool) -> list[list[Any]]:
        try:
            import pyarrow as pa
        except ImportError:
            raise TaskFailed(f"reading {kind} needs pyarrow: run pip install 'legato[serdes]'") from None
        if kind == "PARQUET":
            import pyarrow.parquet as pq

            return _table(pq.read_table(pa.BufferReader(data)), header)
        import pyarrow.orc as orc

        return _table(orc.ORCFile(pa.BufferReader(data)).read(), header)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        spreadsheet = ctx.render_string(self.spreadsheetId)
        target = ctx.render_string(self.range)
        mode = render_as(ctx, self.insertType, InsertType, "insertType")
        body = {"values": self.rows(ctx, ctx.render_string(self.from_).strip())}
        api = await self.api(ctx, SHEETS_API)
        where = values_path(spreadsheet, target)
        raw = {"valueInputOption": "RAW"}
        if mode == "APPEND":
            answer = await api.call("POST", where + ":append", json=body, params={
                **raw, "insertDataOption": "INSERT_ROWS", "includeValuesInResponse": "false"})
            written = answer.get("updates") or {}
        else:
            if mode == "OVERWRITE":
                await api.call("POST", where + ":clear", json={})
            written = await api.call("PUT", where, json=body, params=raw)
        ctx.logger.debug(f"Rows updated '{written.get('updatedRows')}', columns '{written.get('updatedColumns')}'")
        return {"range": written.get("updatedRange", target), "rows": written.get("updatedRows") or 0,
                "columns": written.get("updatedColumns") or 0}
