"""The properties of Kestra's text writers (IonToCsv, IonToExcel): how dates, times and datetimes read from
Ion are printed, and in which time zone."""

from __future__ import annotations

import json
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.serdes import javadate
from legato.plugins.serdes.base import Conversion


def local_zone() -> str:
    """The system time zone's name (Kestra's default timeZoneId), UTC when it has none."""
    try:
        with open("/etc/timezone", encoding="utf-8") as handle:
            return handle.read().strip() or "UTC"
    except OSError:
        return "UTC"


class TextWriter(Conversion):
    """A conversion that prints values as text."""

    dateFormat: str = Field(
        default="yyyy-MM-dd", description="Format to use for dates (a Java DateTimeFormatter pattern)."
    )
    timeFormat: str = Field(default="HH:mm:ss[XXX]", description="Format to use for times.")
    dateTimeFormat: str = Field(
        default="yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]", description="Format to use for zoned datetimes."
    )
    timeZoneId: str | None = Field(
        default=None,
        description="Timezone to use when no timezone can be parsed on the source (default: the system's).",
    )

    def formatter(self, ctx: RunContext) -> Printer:
        zone_name = ctx.render_string(self.timeZoneId) if self.timeZoneId else local_zone()
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise TaskFailed(f"property 'timeZoneId': unknown time zone {zone_name!r}") from None
        return Printer(
            ctx.render_string(self.dateFormat),
            ctx.render_string(self.timeFormat),
            ctx.render_string(self.dateTimeFormat),
            zone,
        )


class Printer:
    """Values as text, as Kestra's writers print them (null stays None: an empty field)."""

    def __init__(self, date_format: str, time_format: str, datetime_format: str, zone: tzinfo) -> None:
        self.date_format, self.time_format, self.datetime_format, self.zone = (
            date_format,
            time_format,
            datetime_format,
            zone,
        )

    def text(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if value is True or value is False:
            return "true" if value else "false"
        if isinstance(value, int | float | Decimal):
            return str(value)
        if isinstance(value, datetime):
            moved = value.astimezone(self.zone) if value.tzinfo is not None else value
            return javadate.format_value(moved, self.datetime_format)
        if isinstance(value, date):
            return javadate.format_value(value, self.date_format)
        if isinstance(value, time):
            return javadate.format_value(value, self.time_format)
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return json.dumps(value, ensure_ascii=False, default=str)
