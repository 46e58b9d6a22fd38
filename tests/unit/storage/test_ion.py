"""Ion text as Kestra stores rows: what the writer prints, and the streaming reader on what Kestra and other
writers produce (values over several lines, version markers, typed timestamps and decimals, bad text)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from legato.storage import ion


def read(text: str) -> list[object]:
    return list(ion.values(io.BytesIO(text.encode())))


def test_writer_prints_kestra_row_values() -> None:
    row = {"id": 1, "name": 'a "b"\n', "ratio": 0.5, "amount": Decimal("2.50"), "big": Decimal("1E+3"),
           "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "local": datetime(2024, 1, 2, 3, 4, 5), "day": date(2024, 1, 2),
           "blob": b"hi", "no value": None, "null": True, "tags": ["x", 1]}
    assert ion.dumps(row) == ('{id:1,name:"a \\"b\\"\\n",ratio:0.5e0,amount:2.50,big:1d3,at:2024-01-02T03:04:05Z,'
                              "local:2024-01-02T03:04:05-00:00,day:2024-01-02,blob:{{aGk=}},'no value':null,'null':true,"
                              'tags:["x",1]}')
    assert read(ion.dumps(row) + "\n") == [row]


def test_reader_takes_values_over_lines_markers_and_several_per_line() -> None:
    text = '$ion_1_0\n{a:1,\n b:"x"}\n\n[1, 2] 3\n{s:\'\'\'long\nstring\'\'\'}\n{n:2.5e0,d:2.5,t:2024-01-02T03:04:05+02:00}\n'
    values = read(text)
    assert values[:4] == [{"a": 1, "b": "x"}, [1, 2], 3, {"s": "long\nstring"}]
    assert values[4]["n"] == 2.5 and isinstance(values[4]["n"], float)  # type: ignore[index]
    assert values[4]["d"] == Decimal("2.5")  # type: ignore[index]
    assert values[4]["t"].utcoffset().total_seconds() == 7200  # type: ignore[index]


def test_the_json_fast_path_keeps_ion_meaning() -> None:
    # the same rows written with bare and quoted names, read once by the json module and once by the Ion reader
    fast = read('{a:"x,b:y",d:1.50,f:1.5e0,n:null,l:[{k:true}]}\n')
    slow = read("{'a':\"x,b:y\",d:1.50,f:1.5e0,n:null,l:[{k:true}]}\n")
    assert fast == slow == [{"a": "x,b:y", "d": Decimal("1.50"), "f": 1.5, "n": None, "l": [{"k": True}]}]


def test_bad_text_fails_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"unexpected end of Ion text|not Ion text"):
        read("{a:1\n")
