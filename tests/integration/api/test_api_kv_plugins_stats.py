"""KV store, plugin docs and schemas, dashboard stats and execution metrics through the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import jsonschema
import pytest
from tests.builders import log_flow

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"
JSON = {"Content-Type": "application/json"}


def kv(ns: str, key: str = "") -> str:
    return f"{API}/namespaces/{ns}/kv" + (f"/{key}" if key else "")


@pytest.mark.parametrize(("body", "kind", "value"), [
    ('"hello"', "STRING", "hello"),
    ("hello world", "STRING", "hello world"),
    ("42", "NUMBER", 42),
    ("2.5", "NUMBER", 2.5),
    ("true", "BOOLEAN", True),
    ('{"a": [1, 2]}', "JSON", {"a": [1, 2]}),
    ("2025-03-01T10:00:00Z", "DATETIME", "2025-03-01T10:00:00Z"),
    ("2025-03-01", "DATE", "2025-03-01"),
])
def test_put_guesses_the_type_and_get_returns_it(client: httpx.Client, ns: str, body: str, kind: str, value: object) -> None:
    assert client.put(kv(ns, "k"), content=body, headers=JSON).status_code == 204
    assert client.get(kv(ns, "k")).json() == {"type": kind, "value": value}


def test_put_with_explicit_type(client: httpx.Client, ns: str) -> None:
    assert client.put(kv(ns, "d"), content="PT1H30M", params={"type": "DURATION"}).status_code == 204
    assert client.get(kv(ns, "d")).json() == {"type": "DURATION", "value": "PT1H30M"}
    assert client.put(kv(ns, "s"), content="42", params={"type": "STRING"}).status_code == 204
    assert client.get(kv(ns, "s")).json() == {"type": "STRING", "value": "42"}
    bad = client.put(kv(ns, "n"), content="not a number", params={"type": "NUMBER"})
    assert bad.status_code == 400 and "NUMBER" in bad.json()["message"]
    assert client.get(kv(ns, "n")).status_code == 404
    assert client.put(kv(ns, "x"), content="1", params={"type": "WHATEVER"}).status_code == 422


def test_list_with_ttl_and_delete(client: httpx.Client, ns: str) -> None:
    client.put(kv(ns, "b"), content="1", headers=JSON)
    client.put(kv(ns, "a"), content="2", headers={**JSON, "ttl": "PT1H"})
    client.put(kv(ns, "other"), content="3", headers=JSON)
    listed = client.get(kv(ns)).json()
    assert [e["key"] for e in listed] == ["a", "b", "other"]
    expires = datetime.fromisoformat(listed[0]["expirationDate"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert listed[1]["expirationDate"] is None and listed[1]["type"] == "NUMBER"
    assert [e["key"] for e in client.get(kv(ns), params={"prefix": "o"}).json()] == ["other"]
    assert client.delete(kv(ns, "b")).status_code == 204
    assert client.delete(kv(ns, "b")).status_code == 404
    bulk = client.request("DELETE", kv(ns), json={"keys": ["a", "missing"]})
    assert bulk.json() == {"keys": ["a"]}
    assert [e["key"] for e in client.get(kv(ns)).json()] == ["other"]


def test_bad_kv_requests_are_4xx(client: httpx.Client, ns: str) -> None:
    assert client.put(kv(ns, "k"), content="1", headers={"ttl": "soon"}).status_code == 400
    assert client.put(kv(ns, "k"), content="1", headers={"ttl": "-PT1H"}).status_code == 400
    assert client.put(kv(ns, "k"), content="", headers=JSON).status_code == 400
    assert client.put(kv(ns, "k"), content='"a\\u0000b"', headers=JSON).status_code == 400
    assert client.put(kv(ns, "bad key!"), content="1").status_code == 422
    assert client.put(kv("Bad Namespace", "k"), content="1").status_code == 422
    assert client.get(kv(ns, "absent")).status_code == 404


def test_expired_keys_are_gone(client: httpx.Client, ns: str) -> None:
    assert client.put(kv(ns, "short"), content="1", headers={"ttl": "PT0.2S"}).status_code == 204
    import time

    time.sleep(0.4)
    assert client.get(kv(ns, "short")).status_code == 404
    assert client.get(kv(ns)).json() == []


def test_plugins_list_docs_and_schemas(client: httpx.Client) -> None:
    listed = client.get(f"{API}/plugins").json()
    by_cls = {p["cls"]: p for p in listed}
    assert by_cls["log.Log"]["kind"] == "task" and "io.kestra.plugin.core.log.Log" in by_cls["log.Log"]["aliases"]
    assert by_cls["flow.Parallel"]["flowable"] is True
    assert any(p["kind"] == "trigger" for p in listed)
    for name in ("io.kestra.plugin.core.log.Log", "log.Log"):
        doc = client.get(f"{API}/plugins/{name}").json()
        assert doc["cls"] == "log.Log"
        assert "message" in doc["schema"]["properties"]
        assert "```yaml" in doc["markdown"]
    for entry in listed:  # every type documents itself
        assert client.get(f"{API}/plugins/{entry['cls']}").status_code == 200
    assert client.get(f"{API}/plugins/no.Such").status_code == 404
    inputs = {i["type"] for i in client.get(f"{API}/plugins/inputs").json()}
    assert {"STRING", "INT", "FILE", "SELECT"} <= inputs


def test_flow_schema_validates_flows(client: httpx.Client) -> None:
    schema = _validator(client)
    good = {"id": "x", "namespace": "a.b", "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "m"}]}
    schema.validate(good)
    with pytest.raises(jsonschema.ValidationError):
        schema.validate({"id": "x", "namespace": "a.b", "tasks": [{"id": "t", "type": "no.Such"}]})


def _validator(client: httpx.Client) -> jsonschema.Draft202012Validator:
    """A validator of the served flow schema; that the full schema is itself valid is checked once, in
    tests/unit/model/test_schema.py (jsonschema.validate would check its 3 MB again on every call)."""
    return jsonschema.Draft202012Validator(client.get(f"{API}/plugins/schemas/flow").json())


def test_stats_count_executions_per_day_and_flow(client: httpx.Client, ns: str) -> None:
    ok = log_flow("ok", ns, task_id="a")
    bad = f"id: bad\nnamespace: {ns}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.execution.Fail\n"
    for source in (ok, bad):
        assert client.post(f"{API}/flows", content=source, headers=YAML).status_code == 200
    for flow_id in ("ok", "ok", "bad"):
        client.post(f"{API}/executions/{ns}/{flow_id}", params={"wait": True})
    today = datetime.now(UTC).date()
    window = {"namespace": ns, "startDate": f"{today - timedelta(days=2)}T00:00:00Z"}
    days = client.post(f"{API}/stats/executions/daily", json=window).json()
    assert [d["startDate"] for d in days] == [str(today - timedelta(days=n)) for n in (2, 1, 0)]
    assert days[0]["executionCounts"] == {} and days[0]["duration"]["count"] == 0
    assert days[-1]["executionCounts"] == {"SUCCESS": 2, "FAILED": 1}
    assert days[-1]["duration"]["count"] == 3 and days[-1]["duration"]["max"] >= days[-1]["duration"]["min"] >= 0
    per_flow = client.post(f"{API}/stats/executions/group-by-flow", json=window).json()
    assert per_flow == [{"namespace": ns, "flowId": "bad", "executionCounts": {"FAILED": 1}},
                        {"namespace": ns, "flowId": "ok", "executionCounts": {"SUCCESS": 2}}]
    per_ns = client.post(f"{API}/stats/executions/group-by-namespace", json=window).json()
    assert per_ns == [{"namespace": ns, "flowId": None, "executionCounts": {"SUCCESS": 2, "FAILED": 1}}]
    only_ok = client.post(f"{API}/stats/executions/group-by-flow", json={**window, "flowId": "ok"}).json()
    assert [g["flowId"] for g in only_ok] == ["ok"]
    backwards = {"startDate": "2025-02-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"}
    assert client.post(f"{API}/stats/executions/daily", json=backwards).status_code == 400
    naive = {**window, "startDate": f"{today}T00:00:00"}  # no zone: UTC
    assert client.post(f"{API}/stats/executions/daily", json=naive).json()[-1]["executionCounts"] == {"SUCCESS": 2, "FAILED": 1}
    too_long = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"}
    assert client.post(f"{API}/stats/executions/daily", json=too_long).status_code == 400

    # The days of a time zone (default window: its last 30 days), half-hour offsets included.
    created = [datetime.fromisoformat(e["state"]["histories"][0]["date"]) for e in
               client.get(f"{API}/executions/search", params={"namespace": ns}).json()["results"]]
    for name in ("Pacific/Kiritimati", "Asia/Kolkata", "America/St_Johns"):
        zone = ZoneInfo(name)
        zoned = client.post(f"{API}/stats/executions/daily", json={"namespace": ns, "timeZone": name}).json()
        assert len(zoned) == 30 and zoned[-1]["startDate"] == str(datetime.now(zone).date())
        counted = {d["startDate"]: sum(d["executionCounts"].values()) for d in zoned if d["executionCounts"]}
        expected: dict[str, int] = {}
        for moment in created:
            expected[str(moment.astimezone(zone).date())] = expected.get(str(moment.astimezone(zone).date()), 0) + 1
        assert counted == expected, name
    unknown = client.post(f"{API}/stats/executions/daily", json={"timeZone": "Mars/Olympus"})
    assert unknown.status_code == 400 and "Mars/Olympus" in unknown.json()["message"]


def test_metrics_count_executions_by_state(client: httpx.Client, ns: str) -> None:
    def successes() -> int:
        text = client.get("/metrics").text
        return int(re.search(r'^legato_executions_in_state\{state="SUCCESS"\} (\d+)\.0$', text, re.M).group(1))  # type: ignore[union-attr]

    source = log_flow("m", ns, task_id="a")
    client.post(f"{API}/flows", content=source, headers=YAML)
    before = successes()
    client.post(f"{API}/executions/{ns}/m", params={"wait": True})
    assert successes() >= before + 1  # other tests may end executions meanwhile
    assert f'legato_flows{{namespace="{ns}"}} 1.0' in client.get("/metrics").text


def test_entry_point_families_are_documented_like_core_tasks(client: httpx.Client) -> None:
    by_cls = {p["cls"]: p for p in client.get(f"{API}/plugins").json()}
    assert "io.kestra.plugin.serdes.csv.CsvReader" in by_cls["serdes.csv.CsvToIon"]["aliases"]
    assert "io.kestra.plugin.compress.ArchiveCompress" in by_cls["compress.ArchiveCompress"]["aliases"]
    doc = client.get(f"{API}/plugins/io.kestra.plugin.serdes.parquet.IonToParquet").json()
    assert doc["title"] == "Convert an Ion file to the Parquet format, with the Avro `schema` given or one inferred from the data."
    assert doc["schema"]["properties"]["compressionCodec"]["default"] == "GZIP" and "```yaml" in doc["markdown"]
    schema = _validator(client)
    flow = {"id": "x", "namespace": "a.b", "tasks": [
        {"id": "t", "type": "io.kestra.plugin.serdes.csv.CsvToIon", "from": "{{ inputs.f }}", "fieldSeparator": ";"}]}
    schema.validate(flow)
    flow["tasks"][0]["fieldSeparator"] = ";;"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        schema.validate(flow)
