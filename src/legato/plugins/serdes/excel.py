"""Excel to and from Ion (io.kestra.plugin.serdes.excel): ExcelToIon (one Ion file per sheet) and IonToExcel
(one sheet per Ion file), with openpyxl (the `serdes` extra) in its streaming modes: read-only to read,
write-only to write, so a sheet is never held whole."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.plugins.serdes.base import BoolProp, StrList, kestra_names, read_ion, record_metric, write_ion
from legato.plugins.serdes.text_writer import TextWriter

EXCEL_EPOCH = datetime(1899, 12, 30)


def openpyxl() -> Any:
    return importlib.import_module("openpyxl")


def _serial(value: datetime | date | time) -> float:
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    stamp = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return (stamp.replace(tzinfo=None) - EXCEL_EPOCH) / timedelta(days=1)


def _cell(value: Any, value_render: str, date_render: str) -> Any:
    """A cell's value as Kestra renders it (valueRender, dateTimeRender)."""
    if isinstance(value, datetime | date | time):
        if date_render == "SERIAL_NUMBER":
            return _serial(value)
        if isinstance(value, datetime) and value.time() == time(0) and date_render == "UNFORMATTED_VALUE":
            return value.date().isoformat()
        return value.isoformat()
    if value_render == "FORMATTED_VALUE" and value is not None and not isinstance(value, str):
        return (
            ("TRUE" if value else "FALSE")
            if isinstance(value, bool)
            else (str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
        )
    return value


@TASKS.register
class ExcelToIon(RunnableTask):
    """Convert an Excel file (xlsx) to Ion: one Ion file per sheet (`sheetsTitle` picks some), rows keyed by
    the header row. Outputs `uris` (sheet name to Ion file) and `size` (rows in all)."""

    TYPE: ClassVar[str] = "serdes.excel.ExcelToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("excel", "ExcelToIon")
    REQUIRES: ClassVar[tuple[str, ...]] = ("openpyxl",)
    EXTRA: ClassVar[str] = "serdes"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: excel_to_ion
type: io.kestra.plugin.serdes.excel.ExcelToIon
from: "{{ inputs.file }}"
sheetsTitle: [orders]
""",
    )

    from_: str = Field(alias="from", description="Source file URI.")
    sheetsTitle: StrList | None = Field(
        default=None, description="The titles of the sheets to include (default: all)."
    )
    charset: str = Field(
        default="UTF-8", description="The name of a supported character set (accepted; xlsx files are UTF-8)."
    )
    valueRender: Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] | Expression = Field(
        default="UNFORMATTED_VALUE",
        description="How values are rendered: as stored, formatted as text, or formulas.",
    )
    dateTimeRender: Literal["SERIAL_NUMBER", "FORMATTED_STRING", "UNFORMATTED_VALUE"] | Expression = Field(
        default="UNFORMATTED_VALUE",
        description="How dates and times are rendered: ISO text, or Excel serial numbers.",
    )
    header: BoolProp = Field(default=True, description="Whether the first row is the header.")
    skipEmptyRows: BoolProp = Field(default=False, description="Specifies if empty rows should be skipped.")
    skipRows: int = Field(
        default=0, ge=0, description="Number of lines to skip at the start (a title above the table)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        return await asyncio.to_thread(self._convert, ctx, uri)

    def _convert(self, ctx: RunContext, uri: str) -> dict[str, Any]:
        wanted = (
            render_as(ctx, self.sheetsTitle, list[str], "sheetsTitle") if self.sheetsTitle is not None else []
        )
        value_render = str(render_as(ctx, self.valueRender, str, "valueRender"))
        with stream.opened(ctx, uri) as source:
            try:
                book = openpyxl().load_workbook(source, read_only=True, data_only=value_render != "FORMULA")
            except (
                Exception
            ) as exc:  # openpyxl raises zip, XML and its own errors for a file that is no workbook
                raise TaskFailed(f"not a readable Excel (xlsx) file: {exc}") from None
            uris: dict[str, str] = {}
            total = 0
            try:
                for sheet in book.worksheets:
                    if wanted and sheet.title not in wanted:
                        continue
                    with stream.Output(ctx, f"{ctx.task_run.task_id}-{len(uris)}.ion") as out:
                        count = write_ion(
                            out, self._rows(ctx, sheet.iter_rows(values_only=True), value_render)
                        )
                        uris[sheet.title] = out.save()
                    total += count
            finally:
                book.close()
        record_metric(ctx, total)
        return {"uris": uris, "size": total}

    def _rows(self, ctx: RunContext, rows: Iterator[tuple[Any, ...]], value_render: str) -> Iterator[Any]:
        date_render = str(render_as(ctx, self.dateTimeRender, str, "dateTimeRender"))
        with_header = render_as(ctx, self.header, bool, "header")
        skip_empty = render_as(ctx, self.skipEmptyRows, bool, "skipEmptyRows")
        for _ in range(self.skipRows):
            next(rows, None)
        keys: list[str] | None = None
        if with_header:
            first = next(rows, None)
            if first is None:
                return
            keys = [
                f"Column{i}" if v is None else str(_cell(v, value_render, date_render))
                for i, v in enumerate(first)
            ]
        for row in rows:
            if skip_empty and all(v is None or v == "" for v in row):
                continue
            values = [_cell(v, value_render, date_render) for v in row]
            if keys is None:
                yield values
            else:
                yield dict(zip(keys, values + [None] * (len(keys) - len(values)), strict=False))


@TASKS.register
class IonToExcel(TextWriter):
    """Convert Ion files to an Excel workbook (xlsx): `from` is one file (one sheet, `sheetsTitle`) or a map of
    sheet title to file. Outputs `uri` and `size` (rows written)."""

    TYPE: ClassVar[str] = "serdes.excel.IonToExcel"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("excel", "IonToExcel")
    REQUIRES: ClassVar[tuple[str, ...]] = ("openpyxl",)
    EXTRA: ClassVar[str] = "serdes"
    EXTENSION: ClassVar[str] = ".xlsx"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_excel
type: io.kestra.plugin.serdes.excel.IonToExcel
from:
  orders: "{{ outputs.orders_to_ion.uri }}"
  products: "{{ outputs.products_to_ion.uri }}"
""",
    )

    from_: Any = Field(alias="from", description="The Ion file URI, or a map of sheet title to Ion file URI.")
    sheetsTitle: str = Field(default="Sheet", description="The sheet title used when `from` is one file.")
    header: BoolProp = Field(default=True, description="Whether the header is written as the first line.")
    styles: BoolProp = Field(
        default=True, description="Whether styles are applied to format dates and times."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        rendered = ctx.render(self.from_)
        if isinstance(rendered, str) and rendered.strip().startswith("{"):
            with contextlib.suppress(ValueError):
                rendered = json.loads(rendered)
        sheets = (
            {str(k): source_uri(ctx, v, f"from.{k}") for k, v in rendered.items()}
            if isinstance(rendered, dict)
            else {ctx.render_string(self.sheetsTitle): source_uri(ctx, rendered)}
        )
        return await asyncio.to_thread(self._write, ctx, sheets)

    def _write(self, ctx: RunContext, sheets: dict[str, str]) -> dict[str, Any]:
        module = openpyxl()
        book = module.Workbook(write_only=True)
        with_header = render_as(ctx, self.header, bool, "header")
        styled = render_as(ctx, self.styles, bool, "styles")
        printer = self.formatter(ctx)
        total = 0
        for title, uri in sheets.items():
            sheet = book.create_sheet(title=title[:31])
            first = True
            with stream.opened(ctx, uri) as source:
                for row in read_ion(source):
                    values = (
                        list(row.values())
                        if isinstance(row, dict)
                        else row
                        if isinstance(row, list)
                        else [row]
                    )
                    if first and with_header and isinstance(row, dict):
                        sheet.append([str(k) for k in row])
                    first = False
                    sheet.append([_excel_value(v, styled, printer) for v in values])
                    total += 1
        with stream.Output(ctx, f"{ctx.task_run.task_id}.xlsx") as out:
            book.save(str(out.path))
            uri = out.save()
        record_metric(ctx, total)
        return {"uri": uri, "size": total}

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        raise NotImplementedError("IonToExcel writes several sources: see run")


def _excel_value(value: Any, styled: bool, printer: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if styled else printer.text(value)
    if isinstance(value, date | time):
        return value if styled else printer.text(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
