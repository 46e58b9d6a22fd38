"""Dates: Java DateTimeFormatter patterns, Kestra's named formats, time zones, dateAdd, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from legato.expressions import Renderer
from legato.expressions.javatime import format_pattern, parse_pattern

D = datetime(2024, 3, 9, 14, 5, 7, 123456, tzinfo=UTC)

PATTERNS: list[tuple[str, str]] = [
    ("yyyy-MM-dd", "2024-03-09"),
    ("yyyy-MM-dd'T'HH:mm", "2024-03-09T14:05"),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-03-09T14:05:07.123Z"),
    ("yy/M/d", "24/3/9"),
    ("dd MMM yyyy", "09 Mar 2024"),
    ("EEEE d MMMM", "Saturday 9 March"),
    ("EEE", "Sat"),
    ("hh:mm a", "02:05 PM"),
    ("h 'o''clock'", "2 o'clock"),
    ("''yyyy''", "'2024'"),
    ("HH:mm:ss.SSSSSS", "14:05:07.123456"),
    ("SSSSSSSSS", "123456000"),
    ("D", "69"),
    ("Q", "1"),
    ("QQQ", "Q1"),
    ("xxx", "+00:00"),
    ("ZZZZZ", "Z"),
    ("Z", "+0000"),
    ("O", "GMT"),
    ("VV", "Z"),
    ("[yyyy]", "2024"),
    ("k K", "14 2"),
]


@pytest.mark.parametrize(("pattern", "expected"), PATTERNS)
def test_java_pattern(pattern: str, expected: str) -> None:
    assert format_pattern(D, pattern) == expected


def test_offsets_in_other_zones() -> None:
    d = D.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert format_pattern(d, "X") == "+0530"
    assert format_pattern(d, "XX") == "+0530"
    assert format_pattern(d, "XXX") == "+05:30"
    assert format_pattern(d, "Z") == "+0530"
    assert format_pattern(d, "O") == "GMT+5:30"
    assert format_pattern(D.astimezone(timezone(timedelta(hours=-2))), "X") == "-02"


def test_parse_pattern_round_trip() -> None:
    parsed = parse_pattern("09/03/2024 14:05", "dd/MM/yyyy HH:mm", UTC)
    assert parsed == datetime(2024, 3, 9, 14, 5, tzinfo=UTC)
    assert parse_pattern("9 Mar 2024 02:05 PM +0100", "d MMM yyyy hh:mm a Z", UTC).hour == 14


CASES: list[tuple[str, str]] = [
    ("{{ execution.startDate | date('yyyy-MM-dd') }}", "2024-01-02"),
    ("{{ execution.startDate | date(\"yyyy-MM-dd'T'HH:mm\") }}", "2024-01-02T03:04"),
    ("{{ execution.startDate | date('HH:mm', timeZone='Europe/Paris') }}", "04:04"),
    ("{{ execution.startDate | date(\"yyyy-MM-dd HH:mm XXX\", timeZone=\"America/New_York\") }}",
     "2024-01-01 22:04 -05:00"),
    ("{{ execution.startDate | date('iso') }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ execution.startDate | date }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ execution.startDate | date('iso_sec') }}", "2024-01-02T03:04:05Z"),
    ("{{ execution.startDate | date('sql') }}", "2024-01-02 03:04:05.123456"),
    ("{{ execution.startDate | date('sql_seq') }}", "2024-01-02 03:04:05"),
    ("{{ execution.startDate | date('iso_date_time') }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ execution.startDate | date('iso_date_time', timeZone='Europe/Paris') }}",
     "2024-01-02T04:04:05.123456+01:00[Europe/Paris]"),
    ("{{ execution.startDate | date('iso_local_date') }}", "2024-01-02"),
    ("{{ execution.startDate | date('iso_date') }}", "2024-01-02Z"),
    ("{{ execution.startDate | date('iso_local_time') }}", "03:04:05.123456"),
    ("{{ execution.startDate | date('iso_instant') }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ execution.startDate | date('iso_week_date') }}", "2024-W01-2Z"),
    ("{{ execution.startDate | date('iso_ordinal_date') }}", "2024-002Z"),
    ("{{ execution.startDate | date('rfc_1123_date_time') }}", "Tue, 2 Jan 2024 03:04:05 GMT"),
    ("{{ '2024-05-06T07:08:09Z' | date('dd.MM.yyyy') }}", "06.05.2024"),
    ("{{ '2024-05-06T07:08:09+02:00' | date('HH:mm') }}", "05:08"),
    ("{{ '2024-05-06' | date('EEEE') }}", "Monday"),
    ("{{ '06/05/2024' | date('yyyy-MM-dd', existingFormat='dd/MM/yyyy') }}", "2024-05-06"),
    ("{{ '2024-05-06 07:08:09' | date('HH', existingFormat='yyyy-MM-dd HH:mm:ss', timeZone='Asia/Tokyo') }}",
     "07"),
    ("{{ 0 | date('yyyy-MM-dd HH:mm') }}", "1970-01-01 00:00"),
    ("{{ 1704164645 | date('iso_sec') }}", "2024-01-02T03:04:05Z"),
    ("{{ execution.startDate | dateAdd(1, 'DAYS') }}", "2024-01-03T03:04:05.123456Z"),
    ("{{ execution.startDate | dateAdd(-2, 'HOURS', 'HH:mm') }}", "01:04"),
    ("{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS', 'yyyy-MM-dd') }}", "2024-02-29"),
    ("{{ execution.startDate | dateAdd(90, 'MINUTES', format='HH:mm') }}", "04:34"),
    ("{{ execution.startDate | timestamp }}", "1704164645"),
    ("{{ execution.startDate | timestampMilli }}", "1704164645123"),
    ("{{ execution.startDate | timestampMicro }}", "1704164645123456"),
    ("{{ execution.startDate | timestampNano }}", "1704164645123456000"),
    ("{{ '1970-01-01T00:00:10Z' | timestamp }}", "10"),
    ("{{ now() }}", "2024-01-02T03:04:05.123456Z"),
    ("{{ now(timeZone='Europe/Paris') }}", "2024-01-02T04:04:05.123456+01:00"),
    ("{{ now(format='yyyy') }}", "2024"),
    ("{{ now() | date('yyyy-MM-dd') }}", "2024-01-02"),
    ("{{ now() | dateAdd(-1, 'DAYS', 'yyyy-MM-dd') }}", "2024-01-01"),
]


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_date_filter(renderer: Renderer, ctx: dict[str, Any], template: str, expected: str) -> None:
    assert renderer.render(template, ctx) == expected


def test_timestamp_is_typed(renderer: Renderer, ctx: dict[str, Any]) -> None:
    assert renderer.render_typed("{{ execution.startDate | timestamp }}", ctx) == 1704164645


def test_datetimes_print_like_java_instants(renderer: Renderer) -> None:
    whole = {"d": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}
    millis = {"d": datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)}
    assert renderer.render("{{ d }}", whole) == "2024-01-02T03:04:05Z"
    assert renderer.render("{{ d }}", millis) == "2024-01-02T03:04:05.120Z"
