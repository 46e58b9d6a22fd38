"""The serdes conversions between Ion and CSV, JSON, YAML and XML, over a real LocalStorage: Kestra's type
names (and deprecated aliases), property defaults, outputs (`uri`, `size`) and the files they write."""

from __future__ import annotations

from typing import Any

import pytest

from legato import plugins
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage, ion
from tests.unit.plugins.conftest import Harness

plugins.registry()  # the serdes family registers through its entry point
CSV = 'id,name,price\n1,"Widget, large",9.50\n2,Gadget,\\N\n'


def run(harness: Harness, storage: LocalStorage, source: str) -> dict[str, Any]:
    """Run one task of the test's one execution (a task reads only its own execution's files)."""
    execution = harness.one_execution()
    return harness.run(source, harness.context(storage=storage, execution=execution))


def test_csv_to_ion_and_back(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/products.csv", ("\ufeff" + CSV).encode())
    out = run(harness, storage, f"id: t\ntype: io.kestra.plugin.serdes.csv.CsvToIon\nfrom: {src}\n")
    assert out["size"] == 2 and out["uri"].endswith("/task.ion")
    text = storage.get(out["uri"]).decode()
    assert text.splitlines()[0] == '{id:"1",name:"Widget, large",price:"9.50"}'
    assert ion.loads(text)[1] == {"id": "2", "name": "Gadget", "price": None}
    back = run(harness, storage, f"id: w\ntype: io.kestra.plugin.serdes.csv.CsvWriter\nfrom: {out['uri']}\n")
    assert back["size"] == 2
    assert storage.get(back["uri"]).decode() == 'id,name,price\n1,"Widget, large",9.50\n2,Gadget,\n'


def test_csv_options_and_bad_lines(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/a.csv", b"a;b;\nskip;me\n1;2\n3\n4;5\n")
    out = run(harness, storage, f"id: t\ntype: io.kestra.plugin.serdes.csv.CsvReader\nfrom: {src}\n"
                                "fieldSeparator: ';'\nskipRows: 1\nonBadLines: SKIP\n")
    # the trailing unnamed column is dropped, so only rows with 3 fields would match: none do but the header's width
    assert out["size"] == 0
    src = storage.put("kestra:///company/team/_files/x/b.csv", b"a;b\n1;2\n3\n4;5\n")
    warned = run(harness, storage, f"id: t\ntype: serdes.csv.CsvToIon\nfrom: {src}\nfieldSeparator: ';'\nonBadLines: WARN\n")
    assert ion.loads(storage.get(warned["uri"]).decode()) == [{"a": "1", "b": "2"}, {"a": "4", "b": "5"}]
    with pytest.raises(TaskFailed, match=r"line 3: Bad line encountered \(field count mismatch\): Expected 2, got 1"):
        run(harness, storage, f"id: t\ntype: serdes.csv.CsvToIon\nfrom: {src}\nfieldSeparator: ';'\n")
    plain = run(harness, storage, f"id: t\ntype: serdes.csv.CsvToIon\nfrom: {src}\nfieldSeparator: ';'\nheader: false\n")
    assert ion.loads(storage.get(plain["uri"]).decode())[:2] == [["a", "b"], ["1", "2"]]


def test_ion_to_csv_quote_modes_and_dates(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/r.ion", b'{name:"a",n:1,d:2.50,at:2024-01-02T03:04:05.678Z,day:2024-01-02,ok:true}\n')
    out = run(harness, storage, f"id: w\ntype: io.kestra.plugin.serdes.csv.IonToCsv\nfrom: {src}\nheader: false\n"
                                "quoteMode: NON_NUMERIC\ntimeZoneId: UTC\n")
    assert storage.get(out["uri"]).decode() == '"a",1,2.50,"2024-01-02T03:04:05.678Z","2024-01-02","true"\n'
    paris = run(harness, storage, f"id: w\ntype: serdes.csv.IonToCsv\nfrom: {src}\nalwaysDelimitText: true\n"
                                  "timeZoneId: Europe/Paris\ndateTimeFormat: \"dd/MM/yyyy HH:mm\"\nfieldSeparator: ';'\n")
    assert storage.get(paris["uri"]).decode().splitlines()[1] == '"a";"1";"2.50";"02/01/2024 04:04";"2024-01-02";"true"'


def test_json_conversions(harness: Harness, storage: LocalStorage) -> None:
    array = storage.put("kestra:///company/team/_files/x/a.json", b'[{"a": 1, "b": [true, null]}, {"a": 2.5, "c": "x"}]')
    out = run(harness, storage, f"id: j\ntype: io.kestra.plugin.serdes.json.JsonReader\nfrom: {array}\nnewLine: false\n")
    assert out["size"] == 2
    assert storage.get(out["uri"]).decode() == '{a:1,b:[true,null]}\n{a:2.5e0,c:"x"}\n'
    lines = run(harness, storage, f"id: j\ntype: io.kestra.plugin.serdes.json.IonToJson\nfrom: {out['uri']}\n")
    assert lines["uri"].endswith(".jsonl")
    assert storage.get(lines["uri"]).decode() == '{"a":1,"b":[true,null]}\n{"a":2.5,"c":"x"}\n'
    whole = run(harness, storage, f"id: j\ntype: io.kestra.plugin.serdes.json.JsonWriter\nfrom: {out['uri']}\nnewLine: false\n")
    assert storage.get(whole["uri"]).decode() == '[{"a":1,"b":[true,null]},{"a":2.5,"c":"x"}]'
    jsonl = run(harness, storage, f"id: j\ntype: io.kestra.plugin.serdes.json.JsonToJsonl\nfrom: {array}\n")
    assert jsonl["size"] == 2 and storage.get(jsonl["uri"]).decode().count("\n") == 2
    bad = storage.put("kestra:///company/team/_files/x/bad.jsonl", b'{"a": 1}\n{oops\n')
    with pytest.raises(TaskFailed, match="line 2 is not JSON"):
        run(harness, storage, f"id: j\ntype: io.kestra.plugin.serdes.json.JsonToIon\nfrom: {bad}\n")


def test_yaml_conversions(harness: Harness, storage: LocalStorage) -> None:
    docs = storage.put("kestra:///company/team/_files/x/a.yaml", b"name: a\ntags: [x, y]\n---\nname: b\n")
    out = run(harness, storage, f"id: y\ntype: io.kestra.plugin.serdes.yaml.YamlToIon\nfrom: {docs}\n")
    assert out["size"] == 2 and ion.loads(storage.get(out["uri"]).decode()) == [{"name": "a", "tags": ["x", "y"]}, {"name": "b"}]
    back = run(harness, storage, f"id: y\ntype: io.kestra.plugin.serdes.yaml.IonToYaml\nfrom: {out['uri']}\n")
    assert storage.get(back["uri"]).decode() == "---\nname: a\ntags:\n- x\n- y\n---\nname: b\n"
    as_json = run(harness, storage, f"id: y\ntype: io.kestra.plugin.serdes.yaml.YamlToJson\nfrom: {docs}\njsonl: true\n")
    assert storage.get(as_json["uri"]).decode() == '{"name":"a","tags":["x","y"]}\n{"name":"b"}\n'


def test_xml_conversions(harness: Harness, storage: LocalStorage) -> None:
    xml = storage.put("kestra:///company/team/_files/x/c.xml", b'<?xml version="1.0"?><catalog><book id="b1"><title>Dune</title><price>9.5</price>'
                                           b'</book><book id="b2"><title lang="en">Emma</title><tag>a</tag></book></catalog>')
    whole = run(harness, storage, f"id: x\ntype: io.kestra.plugin.serdes.xml.XmlReader\nfrom: {xml}\n")
    records = ion.loads(storage.get(whole["uri"]).decode())
    assert whole["size"] == 2 and records[0] == {"id": "b1", "title": "Dune", "price": pytest.approx(9.5)}
    assert records[1]["title"] == {"lang": "en", "content": "Emma"}
    queried = run(harness, storage, f"id: x\ntype: serdes.xml.XmlToIon\nfrom: {xml}\nquery: /catalog/book\n"
                                    "parserConfiguration:\n  forceList: [tag]\n")
    assert queried["size"] == 2 and ion.loads(storage.get(queried["uri"]).decode())[1]["tag"] == ["a"]
    written = run(harness, storage, f"id: x\ntype: io.kestra.plugin.serdes.xml.IonToXml\nfrom: {whole['uri']}\nrootName: books\n")
    text = storage.get(written["uri"]).decode()
    assert text.startswith("<?xml version='1.0' encoding=\"UTF-8\"?>\n<books>\n  <item>\n    <id>b1</id>") and written["size"] == 2
    evil = storage.put("kestra:///company/team/_files/x/evil.xml", b'<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>')
    with pytest.raises(TaskFailed, match="entity declarations"):
        run(harness, storage, f"id: x\ntype: serdes.xml.XmlToIon\nfrom: {evil}\n")


def test_bad_property_and_source(harness: Harness, storage: LocalStorage) -> None:
    src = storage.put("kestra:///company/team/_files/x/a.csv", b"a\n1\n")
    with pytest.raises(TaskFailed, match="property 'charset': unknown charset 'nope'"):
        run(harness, storage, f"id: t\ntype: serdes.csv.CsvToIon\nfrom: {src}\ncharset: nope\n")
    with pytest.raises(TaskFailed, match="must be an internal storage URI"):
        run(harness, storage, "id: t\ntype: serdes.csv.CsvToIon\nfrom: /etc/passwd\n")
