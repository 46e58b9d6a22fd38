"""Kestra's DocumentDB tasks against the test double of the data API (double.py): real HTTP on 127.0.0.1 through the
tasks' guarded client, basic authentication, documents in extended JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.documentdb.double import PASSWORD, USER, DocumentDbDouble
from tests.integration.fs.conftest import Tasks

from legato.model.errors import FlowValidationError
from legato.plugins.context import TaskFailed
from legato.storage import ion


def task(url: str, kind: str, **props: Any) -> str:
    fields = {"host": url + "/", "database": "app_data", "collection": "users", "username": USER,
              "password": PASSWORD, **props}
    return f"id: t\ntype: io.kestra.plugin.documentdb.{kind}\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


def test_insert_read_update_delete_round_trip(tasks: Tasks) -> None:
    double = DocumentDbDouble()
    with double.serve() as url:
        one = tasks.run(task(url, "Insert", document={"name": "Ada", "age": "{{ 36 }}", "status": "active"}))
        assert one["insertedCount"] == 1 and one["insertedIds"] == [one["insertedId"]]
        many = tasks.run(task(url, "Insert", documents=[{"name": "Alan", "age": 41, "status": "active"},
                                                          {"name": "Grace", "age": 85, "status": "retired"}]))
        assert many["insertedCount"] == 2 and many["insertedId"] == many["insertedIds"][0]

        rows = tasks.run(task(url, "Read", filter={"status": "active"}))
        assert [r["name"] for r in rows["rows"]] == ["Ada", "Alan"] and rows["size"] == 2
        assert rows["rows"][0]["_id"] == one["insertedId"]  # the ObjectId as text
        first = tasks.run(task(url, "Read", filter={"age": {"$gte": 40}}, fetchType="FETCH_ONE"))
        assert first["row"]["name"] == "Alan" and first["size"] == 1
        none = tasks.run(task(url, "Read", filter={"name": "nobody"}, fetchType="FETCH_ONE"))
        assert none == {"row": None, "size": 0}
        assert tasks.run(task(url, "Read", fetchType="NONE", limit=2)) == {"size": 2}
        paged = tasks.run(task(url, "Read", skip=1, limit=1))
        assert [r["name"] for r in paged["rows"]] == ["Alan"]

        updated = tasks.run(task(url, "Update", filter={"status": "active"}, update={"$set": {"tier": "gold"}, "$inc": {"age": 1}}))
        assert updated == {"matchedCount": 1, "modifiedCount": 1, "upsertedId": None}
        updated = tasks.run(task(url, "Update", filter={"status": "active"}, update={"$set": {"tier": "gold"}}, updateMany=True))
        assert updated["matchedCount"] == 2 and updated["modifiedCount"] == 1  # Ada already had it
        assert [d.get("tier") for d in double.docs("app_data", "users")] == ["gold", "gold", None]
        assert double.docs("app_data", "users")[0]["age"] == 37  # "{{ 36 }}" rendered to a number, then $inc

        assert tasks.run(task(url, "Delete", filter={"tier": "gold"})) == {"deletedCount": 1}
        assert tasks.run(task(url, "Delete", deleteMany=True)) == {"deletedCount": 2}
        assert double.docs("app_data", "users") == []
    actions = [r.path.rsplit("/", 1)[-1] for r in double.requests]
    assert actions[:3] == ["insertOne", "insertMany", "find"] and "updateMany" in actions and actions[-1] == "deleteMany"
    assert double.requests[-1].body == {"database": "app_data", "collection": "users"}  # no filter sent when unset


def test_aggregation_pipeline_stored_as_ion(tasks: Tasks) -> None:
    double = DocumentDbDouble()
    double.docs("app_data", "orders").extend(
        {"_id": ("oid", f"{i:024x}"), "status": s, "amount": a} for i, (s, a) in
        enumerate([("paid", 10), ("paid", 30), ("refunded", 5), ("open", 7)]))
    with double.serve() as url:
        out = tasks.run(task(url, "Read", collection="orders", fetchType="STORE", limit=1,
                             aggregationPipeline=[{"$match": {"status": {"$ne": "open"}}},
                                                  {"$group": {"_id": "$status", "orders": {"$sum": 1}, "revenue": {"$sum": "$amount"}}},
                                                  {"$sort": {"revenue": -1}}]))
    assert out["size"] == 2
    assert ion.loads(tasks.storage.get(out["uri"]).decode()) == [
        {"_id": "paid", "orders": 2, "revenue": 40}, {"_id": "refunded", "orders": 1, "revenue": 5}]
    assert "limit" not in double.requests[-1].body  # the pipeline overrides filter, limit and skip


def test_bad_credentials_too_many_documents_and_bad_properties_fail_clearly(tasks: Tasks) -> None:
    double = DocumentDbDouble()
    with double.serve() as url:
        with pytest.raises(TaskFailed, match=r"DocumentDB: POST .*/data/v1/action/find answered HTTP 401"):
            tasks.run(task(url, "Read", password="wrong"))
        with pytest.raises(TaskFailed, match="at most 10"):
            tasks.run(task(url, "Insert", documents=[{"n": i} for i in range(11)]))
        with pytest.raises(TaskFailed, match="'update': the update operators render empty"):
            tasks.run(task(url, "Update", update="{{ {} }}"))
    assert not double.docs("app_data", "users")
    with pytest.raises((FlowValidationError, ValueError), match="'document' or 'documents'"):
        tasks.run(task("http://127.0.0.1:1", "Insert", document={"a": 1}, documents=[{"b": 2}]))
    with pytest.raises((FlowValidationError, ValueError), match="update"):
        tasks.run(task("http://127.0.0.1:1", "Update", filter={"a": 1}))
