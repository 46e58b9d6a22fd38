"""Kestra's MongoDB tasks and trigger with pymongo's asyncio client against the MongoDB wire-protocol test
double (double.py): real OP_MSG traffic over TCP on 127.0.0.1, documents in the double's memory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from tests.integration.mongodb.double import MongoDouble
from tests.integration.objectstore_support import Tasks
from tests.unit.plugins.conftest import Harness

from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.triggers.base import TriggerContext
from legato.storage import LocalStorage, ion

M = "io.kestra.plugin.mongodb"


@pytest.fixture
def mongo() -> Iterator[MongoDouble]:
    double = MongoDouble()
    with double.serve():
        yield double


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


def _task(mongo: MongoDouble, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"{M}.{kind}", "connection": {"uri": mongo.uri}, "database": "shop",
            "collection": "orders", **props}


def _seed(mongo: MongoDouble) -> None:
    mongo.docs("shop", "orders").extend([
        {"_id": ObjectId("60930c39a982931c20ef6cd6"), "customer": "ada", "total": 120, "status": "open",
         "at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC)},
        {"_id": ObjectId(), "customer": "bob", "total": 40, "status": "open"},
        {"_id": ObjectId(), "customer": "cyd", "total": 300, "status": "closed"},
    ])


def test_insert_find_and_store(tasks: Tasks, mongo: MongoDouble) -> None:
    _seed(mongo)
    inserted = tasks.run(_task(mongo, "InsertOne", document={"customer": "dan", "total": 75, "status": "open"}))
    assert inserted["wasAcknowledged"] is True and ObjectId.is_valid(inserted["insertedId"])
    from_json = tasks.run(_task(mongo, "InsertOne", document='{"_id": {"$oid": "60930c39a982931c20ef6cd7"}, "customer": "eve"}'))
    assert from_json["insertedId"] == "60930c39a982931c20ef6cd7"
    assert mongo.docs("shop", "orders")[-1]["_id"] == ObjectId("60930c39a982931c20ef6cd7")

    found = tasks.run(_task(mongo, "Find", filter={"total": {"$gt": 50}}, projection={"customer": 1, "total": 1},
                            sort={"total": -1}, limit=2))
    assert found["size"] == 2
    assert [r["customer"] for r in found["rows"]] == ["cyd", "ada"]
    assert set(found["rows"][0]) == {"_id", "customer", "total"}
    by_id = tasks.run(_task(mongo, "Find", filter={"_id": {"$oid": "60930c39a982931c20ef6cd6"}}))
    assert by_id["rows"] == [{"_id": "60930c39a982931c20ef6cd6", "customer": "ada", "total": 120, "status": "open",
                              "at": "2024-05-01T12:00:00Z"}]

    stored = tasks.run(_task(mongo, "Find", filter='{"status": "open"}', store=True, skip="{{ 1 }}"))
    assert stored["size"] == 2 and stored["uri"].endswith(".ion") and "rows" not in stored
    values = ion.loads(tasks.read(stored["uri"]).decode())
    assert [v["customer"] for v in values] == ["bob", "dan"]
    assert tasks.contexts[-1].effects.extra["metrics"][-1] == {
        "name": "records", "type": "counter", "value": 2, "tags": {"database": "shop", "collection": "orders"}}
    assert mongo.named("find")[-1]["skip"] == 1


def test_update_replace_and_delete(tasks: Tasks, mongo: MongoDouble) -> None:
    _seed(mongo)
    one = tasks.run(_task(mongo, "Update", filter={"status": "open"}, document='{"$set": {"tags": ["blue", "green"]}}'))
    assert one == {"upsertedId": None, "wasAcknowledged": True, "matchedCount": 1, "modifiedCount": 1}
    many = tasks.run(_task(mongo, "Update", filter={"status": "open"}, operation="UPDATE_MANY",
                           document={"$inc": {"total": 1}}))
    assert (many["matchedCount"], many["modifiedCount"]) == (2, 2)
    replaced = tasks.run(_task(mongo, "Update", operation="REPLACE_ONE", filter={"_id": {"$oid": "60930c39a982931c20ef6cd6"}},
                               document={"customer": "ada", "city": "London"}))
    assert replaced["modifiedCount"] == 1
    ada = mongo.docs("shop", "orders")[0]
    assert ada == {"_id": ObjectId("60930c39a982931c20ef6cd6"), "customer": "ada", "city": "London"}

    assert tasks.run(_task(mongo, "Delete", filter={"customer": "nobody"})) == {"wasAcknowledged": True, "deletedCount": 0}
    gone = tasks.run(_task(mongo, "Delete", operation="DELETE_MANY", filter={"status": {"$in": ["open", "closed"]}}))
    assert gone["deletedCount"] == 2
    assert [d["customer"] for d in mongo.docs("shop", "orders")] == ["ada"]
    assert mongo.named("delete")[-1]["deletes"][0]["limit"] == 0


def test_aggregate_fetches_or_stores(tasks: Tasks, mongo: MongoDouble) -> None:
    _seed(mongo)
    pipeline = [{"$match": {"total": {"$gte": 40}}},
                {"$group": {"_id": "$status", "total": {"$sum": "$total"}, "count": {"$sum": 1}}},
                {"$sort": {"total": -1}}]
    fetched = tasks.run(_task(mongo, "Aggregate", pipeline=pipeline, maxTimeMs=30000))
    assert fetched == {"rows": [{"_id": "closed", "total": 300, "count": 1}, {"_id": "open", "total": 160, "count": 2}],
                       "size": 2}
    sent = mongo.named("aggregate")[-1]
    assert sent["allowDiskUse"] is True and sent["maxTimeMS"] == 30000 and sent["cursor"] == {"batchSize": 1000}
    stored = tasks.run(_task(mongo, "Aggregate", pipeline=pipeline[:1], store="STORE", batchSize=1))
    assert stored["size"] == 3 and len(ion.loads(tasks.read(stored["uri"]).decode())) == 3
    assert mongo.named("getMore")  # a batch of one document at a time


def test_load_and_bulk_read_files_in_chunks(tasks: Tasks, mongo: MongoDouble) -> None:
    lines = "\n".join(ion.dumps({"key": f"6093{i:020x}", "name": f"n{i}", "when": datetime(2024, 1, 1, tzinfo=UTC)})
                      for i in range(5))
    uri = tasks.put("people.ion", lines.encode())
    loaded = tasks.run(_task(mongo, "Load", collection="people", **{"from": uri}, chunk=2, idKey="key"))
    assert loaded == {"size": 5, "insertedCount": 5, "matchedCount": 0, "modifiedCount": 0, "deletedCount": 0}
    people = mongo.docs("shop", "people")
    assert people[0] == {"_id": ObjectId(f"6093{0:020x}"), "name": "n0", "when": datetime(2024, 1, 1, tzinfo=UTC)}
    assert len(mongo.named("insert")) == 3  # chunks of 2, 2 and 1

    actions = tasks.put("actions.jsonl", b"\n".join([
        b'{ "insertOne" : {"firstName": "John", "city": "Paris"}}',
        b'{ "insertOne" : {"firstName": "Ravi", "city": "Mumbai"}}',
        b'{ "updateMany": {"filter": {"city": "Paris"}, "update": {"$set": {"country": "FR"}}}}',
        b'{ "replaceOne": {"filter": {"name": "n1"}, "replacement": {"name": "n1b"}}}',
        b'{ "deleteMany": {"filter": {"name": {"$in": ["n2", "n3"]}}}}',
        b'{ "updateOne": {"filter": {"name": "zed"}, "update": {"$set": {"age": 1}}, "upsert": true}}',
    ]) + b"\n")
    bulk = tasks.run(_task(mongo, "Bulk", collection="people", **{"from": actions}))
    assert bulk == {"size": 6, "insertedCount": 2, "matchedCount": 2, "modifiedCount": 2, "deletedCount": 2}
    assert {d.get("country") for d in people if d.get("city") == "Paris"} == {"FR"}
    assert any(d.get("name") == "zed" and d.get("age") == 1 for d in people)

    bad = tasks.put("bad.jsonl", b'{"explode": {}}\n')
    with pytest.raises(TaskFailed, match="invalid bulk request type"):
        tasks.run(_task(mongo, "Bulk", **{"from": bad}))


def test_errors_say_what_is_wrong(tasks: Tasks, mongo: MongoDouble) -> None:
    with pytest.raises(TaskFailed, match="property 'filter' is not a valid JSON document"):
        tasks.run(_task(mongo, "Find", filter="{not json"))
    mongo.docs("shop", "orders").append({"_id": ObjectId("60930c39a982931c20ef6cd6")})
    with pytest.raises(TaskFailed, match=r"MongoDB: .*E11000 duplicate key"):
        tasks.run(_task(mongo, "InsertOne", document={"_id": {"$oid": "60930c39a982931c20ef6cd6"}}))
    with pytest.raises(TaskFailed, match="Unrecognized pipeline stage name"):
        tasks.run(_task(mongo, "Aggregate", pipeline=[{"$explode": {}}]))
    with pytest.raises(TaskFailed, match=r"property 'connection\.uri'"):
        tasks.run(_task(mongo, "Find", connection={"uri": "postgres://nope"}))


def test_trigger_fires_on_documents(mongo: MongoDouble, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    cls = TRIGGERS.lookup(f"{M}.Trigger")
    assert cls is not None

    def poll(**props: Any) -> Any:
        trigger = cls.model_validate({"id": "watch", "type": f"{M}.Trigger", "interval": "PT5M", "connection": {"uri": mongo.uri},
                                      "database": "samples", "collection": "books", **props})
        ctx = TriggerContext(namespace="company.team", flow_id="f", trigger_id="watch", render=lambda v: v, state={},
                             log=logging.getLogger("test"), storage=storage)
        return asyncio.run(trigger.source().poll(ctx))

    assert poll(filter={"pageCount": {"$gte": 50}}) is None
    mongo.docs("samples", "books").extend([{"_id": ObjectId(), "title": "A", "pageCount": 60},
                                           {"_id": ObjectId(), "title": "B", "pageCount": 400}])
    fired = poll(filter={"pageCount": {"$gte": 50}}, sort={"pageCount": -1}, projection={"title": 1, "_id": 0})
    assert fired.variables == {"rows": [{"title": "B"}, {"title": "A"}], "size": 2}
    stored = poll(store=True)
    assert stored.variables["size"] == 2 and stored.variables["uri"].startswith("kestra:///company/team/f/triggers/watch/")
