"""Avro, Parquet and Excel to and from Ion (the serdes extra: fastavro, pyarrow, openpyxl), over a real
LocalStorage: schemas given and inferred, Kestra's text rules, bad records, and files other tools read."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

import fastavro
import openpyxl
import pyarrow.parquet as pq
import pytest

from legato import plugins
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage, ion
from tests.unit.plugins.conftest import Harness

plugins.registry()

ROWS = b'{id:"1",name:"Widget",price:"9,50",ok:"yes",day:"2024-01-02"}\n{id:"2",name:"",price:"NA",ok:"off",day:"2024-02-03"}\n'
SCHEMA = {"type": "record", "name": "Product", "fields": [
    {"name": "id", "type": "int"}, {"name": "name", "type": ["null", "string"]},
    {"name": "price", "type": ["null", "double"]}, {"name": "ok", "type": "boolean"},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}}]}


def run(harness: Harness, storage: LocalStorage, source: str) -> dict[str, Any]:
    """Run one task of the test's one execution (a task reads only its own execution's files)."""
    execution = harness.one_execution()
    return harness.run(source, harness.context(storage=storage, execution=execution))


def test_ion_to_avro_with_a_schema_and_back(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/rows.ion", ROWS)
    out = run(harness, storage, f"id: a\ntype: io.kestra.plugin.serdes.avro.AvroWriter\nfrom: {src}\n"
                                f"decimalSeparator: ','\nschema: '{json.dumps(SCHEMA)}'\n")
    assert out["size"] == 2 and out["uri"].endswith(".avro")
    records = list(fastavro.reader(io.BytesIO(storage.get(out["uri"]))))
    assert records == [{"id": 1, "name": "Widget", "price": 9.5, "ok": True, "day": date(2024, 1, 2)},
                       {"id": 2, "name": None, "price": None, "ok": False, "day": date(2024, 2, 3)}]
    back = run(harness, storage, f"id: b\ntype: io.kestra.plugin.serdes.avro.AvroToIon\nfrom: {out['uri']}\n")
    assert ion.loads(storage.get(back["uri"]).decode())[0] == {"id": 1, "name": "Widget", "price": 9.5, "ok": True,
                                                                "day": date(2024, 1, 2)}


def test_ion_to_avro_infers_and_handles_bad_records(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/typed.ion", b'{n:1,x:1.5e0,t:2024-01-02T03:04:05Z,tags:["a"],sub:{k:true}}\n{n:2,x:null,sub:null}\n')
    out = run(harness, storage, f"id: a\ntype: io.kestra.plugin.serdes.avro.IonToAvro\nfrom: {src}\n")
    reader = fastavro.reader(io.BytesIO(storage.get(out["uri"])))
    assert [f["name"] for f in reader.writer_schema["fields"]] == ["n", "x", "t", "tags", "sub"]
    first, second = list(reader)
    assert first["t"] == datetime(2024, 1, 2, 3, 4, 5) and first["tags"] == ["a"] and first["sub"] == {"k": True}
    assert second["x"] is None and second["t"] is None
    bad = storage.put("kestra:///company/team/_files/x/bad.ion", b'{id:"1",ok:"yes",day:"2024-01-02"}\n{id:"x",ok:"yes",day:"2024-01-02"}\n')
    schema = json.dumps(SCHEMA)
    with pytest.raises(TaskFailed, match=r"record 2: field 'id': 'x' is not a valid int"):
        run(harness, storage, f"id: a\ntype: serdes.avro.IonToAvro\nfrom: {bad}\nschema: '{schema}'\n")
    skipped = run(harness, storage, f"id: a\ntype: serdes.avro.IonToAvro\nfrom: {bad}\nschema: '{schema}'\nonBadLines: SKIP\n")
    assert skipped["size"] == 1
    with pytest.raises(TaskFailed, match="not declared in the schema"):
        run(harness, storage, f"id: a\ntype: serdes.avro.IonToAvro\nfrom: {src}\nstrictSchema: true\n"
                              "schema: '{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}'\n")


def test_ion_to_parquet_and_back(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/rows.ion", b"".join(b'{id:%d,name:"n%d",at:2024-01-02T03:04:05Z}\n' % (n, n) for n in range(25_000)))
    out = run(harness, storage, f"id: p\ntype: io.kestra.plugin.serdes.parquet.ParquetWriter\nfrom: {src}\n"
                                "compressionCodec: ZSTD\nrowGroupSize: 100000\n")
    assert out["size"] == 25_000 and out["uri"].endswith(".parquet")
    table = pq.read_table(io.BytesIO(storage.get(out["uri"])))
    assert table.num_rows == 25_000 and table.column_names == ["id", "name", "at"]
    assert pq.ParquetFile(io.BytesIO(storage.get(out["uri"]))).metadata.num_row_groups > 1
    back = run(harness, storage, f"id: q\ntype: io.kestra.plugin.serdes.parquet.ParquetToIon\nfrom: {out['uri']}\n")
    lines = storage.get(back["uri"]).decode().splitlines()
    assert back["size"] == 25_000 and ion.loads(lines[7]) == [{"id": 7, "name": "n7", "at": datetime(2024, 1, 2, 3, 4, 5)}]


def test_excel_round_trip(harness: Harness, storage: LocalStorage) -> None:
    orders = storage.put("kestra:///company/team/_files/x/orders.ion", b'{id:1,day:2024-01-02,total:12.5}\n{id:2,day:2024-01-03,total:3d0}\n')
    products = storage.put("kestra:///company/team/_files/x/products.ion", b'{sku:"a",name:"Widget"}\n')
    out = run(harness, storage, f"id: e\ntype: io.kestra.plugin.serdes.excel.IonToExcel\nfrom:\n  orders: '{orders}'\n"
                                f"  products: '{products}'\n")
    assert out["size"] == 3 and out["uri"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(storage.get(out["uri"])))
    assert book.sheetnames == ["orders", "products"]
    assert [c.value for c in book["orders"][2]] == [1, datetime(2024, 1, 2), 12.5]
    read = run(harness, storage, f"id: r\ntype: io.kestra.plugin.serdes.excel.ExcelToIon\nfrom: {out['uri']}\n")
    assert read["size"] == 3 and set(read["uris"]) == {"orders", "products"}
    assert ion.loads(storage.get(read["uris"]["orders"]).decode()) == [
        {"id": 1, "day": "2024-01-02", "total": 12.5}, {"id": 2, "day": "2024-01-03", "total": 3}]
    only = run(harness, storage, f"id: r\ntype: serdes.excel.ExcelToIon\nfrom: {out['uri']}\nsheetsTitle: [products]\n"
                                 "header: false\n")
    assert ion.loads(storage.get(only["uris"]["products"]).decode()) == [["sku", "name"], ["a", "Widget"]]
    junk = storage.put("kestra:///company/team/_files/x/junk.xlsx", b"not a workbook")
    with pytest.raises(TaskFailed, match="not a readable Excel"):
        run(harness, storage, f"id: r\ntype: serdes.excel.ExcelToIon\nfrom: {junk}\n")


def test_infer_avro_schema_from_ion_feeds_ion_to_avro(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/typed.ion", b'{n:1,name:"a"}\n{n:3000000000,name:null}\n{n:"late",name:"c"}\n')
    out = run(harness, storage, f"id: infer\ntype: io.kestra.plugin.serdes.avro.InferAvroSchemaFromIon\nfrom: {src}\n"
                                "numberOfRowsToScan: 2\n")
    assert set(out) == {"uri"} and out["uri"].endswith(".avsc")
    schema = json.loads(storage.get(out["uri"]))
    assert schema["type"] == "record" and schema["fields"] == [
        {"name": "n", "type": ["null", "long"]}, {"name": "name", "type": ["null", "string"]}]
    avro = run(harness, storage, f"id: a\ntype: serdes.avro.IonToAvro\nfrom: {src}\nonBadLines: SKIP\n"
                                 f"schema: '{json.dumps(schema)}'\n")
    assert avro["size"] == 2  # the third row's n is no long
    with pytest.raises(TaskFailed, match="contains no valid records"):
        empty = storage.put("kestra:///company/team/_files/x/empty.ion", b"")
        run(harness, storage, f"id: infer\ntype: serdes.avro.InferAvroSchemaFromIon\nfrom: {empty}\n")
