"""Kestra's DynamoDB and Athena tasks against moto's emulator with boto3. Moto does not execute Athena SQL: the
test queues the result the emulator will return through moto's documented `/moto-api/static/athena/query-results`
endpoint, and checks how the task waits for the query, reads the result pages and types the values."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from tests.integration.aws.conftest import client
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


def _table(endpoint: str) -> str:
    name = f"persons_{uuid.uuid4().hex[:8]}"
    client(endpoint, "dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return name


def test_dynamodb_put_get_query_scan_delete(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    table = _table(moto_endpoint)
    base = f"{aws}tableName: {table}\n"
    tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.PutItem\n{base}"
              "item:\n  id: '1'\n  firstname: John\n  lastname: Doe\n  age: 42\n  score: 1.5\n  tags: [a, b]\n  active: true\n")
    tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.PutItem\n{base}"
              "item: '{\"id\": \"2\", \"firstname\": \"Jane\", \"lastname\": \"Doe\", \"address\": {\"city\": \"Oslo\"}}'\n")
    tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.PutItem\n{base}item:\n  id: '3'\n  lastname: Roe\n")
    got = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.GetItem\n{base}key:\n  id: '1'\n")
    assert got == {"row": {"id": "1", "firstname": "John", "lastname": "Doe", "age": 42, "score": 1.5,
                           "tags": ["a", "b"], "active": True}}
    queried = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.Query\n{base}keyConditionExpression: id = :id\n"
                        "expressionAttributeValues:\n  ':id': '2'\nfetchType: FETCH\n")
    assert queried == {"rows": [{"id": "2", "firstname": "Jane", "lastname": "Doe", "address": {"city": "Oslo"}}], "size": 1}
    scanned = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.Scan\n{base}filterExpression: lastname = :lastname\n"
                        "expressionAttributeValues:\n  ':lastname': Doe\n")
    assert scanned["size"] == 2 and scanned["uri"].endswith(".ion")
    stored = [json.loads(line) for line in tasks.read(scanned["uri"]).decode().splitlines()]
    assert sorted(r["id"] for r in stored) == ["1", "2"]
    one = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.Scan\n{base}fetchType: FETCH_ONE\nlimit: 1\n")
    assert one["size"] == 1 and one["row"]["id"] in {"1", "2", "3"}
    tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.DeleteItem\n{base}key:\n  id: '1'\n")
    assert tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.GetItem\n{base}key:\n  id: '1'\n") == {"row": None}
    with pytest.raises(TaskFailed, match="cannot get the item on table nosuchtable: ResourceNotFoundException"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.GetItem\n{aws}tableName: nosuchtable\nkey:\n  id: '1'\n")
    with pytest.raises(TaskFailed, match="property 'key' must be a map"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.dynamodb.GetItem\n{base}key: not-a-map\n")


def _queue_athena_result(endpoint: str, header: list[str], rows: list[list[str | None]], types: list[str]) -> None:
    """Moto's documented way of giving the next Athena query its result (the emulator runs no SQL)."""
    data = [{"Data": [{"VarCharValue": v} for v in header]}]
    data += [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    info = [{"Name": n, "Type": t, "CatalogName": "hive", "SchemaName": "", "TableName": "", "Label": n,
             "Nullable": "UNKNOWN", "CaseSensitive": False, "Precision": 0, "Scale": 0} for n, t in zip(header, types, strict=True)]
    answer = httpx.post(f"{endpoint}/moto-api/static/athena/query-results",
                        json={"region": "us-east-1", "results": [{"rows": data, "column_info": info}]})
    assert answer.status_code == 201, answer.text


def test_athena_query_waits_and_types_the_result(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = f"athena-{uuid.uuid4().hex[:8]}"
    client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    base = f"{aws}database: default\noutputLocation: s3://{bucket}/results/\nquery: SELECT city, n, ratio, ok FROM t\n"
    _queue_athena_result(moto_endpoint, ["city", "n", "ratio", "ok"], [["Lyon", "3", "0.5", "true"], ["Oslo", None, "2", "false"]],
                         ["varchar", "integer", "double", "boolean"])
    fetched = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.athena.Query\n{base}fetchType: FETCH\n")
    assert fetched["queryExecutionId"]
    assert fetched["rows"] == [{"city": "Lyon", "n": 3, "ratio": 0.5, "ok": True}, {"city": "Oslo", "n": None, "ratio": 2.0, "ok": False}]
    assert fetched["size"] == 2
    _queue_athena_result(moto_endpoint, ["today"], [["2026-12-06"]], ["date"])
    stored = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.athena.Query\n{base}")
    assert stored["size"] == 1 and [json.loads(x) for x in tasks.read(stored["uri"]).decode().splitlines()] == [{"today": "2026-12-06"}]
