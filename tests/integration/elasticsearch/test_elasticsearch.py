"""Kestra's Elasticsearch and OpenSearch tasks against the search cluster test double (double.py): real HTTP
requests on 127.0.0.1 through Legato's guarded client (the tests allow loopback as an operator would)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.elasticsearch.double import PASSWORD, USER, SearchDouble
from tests.integration.objectstore_support import Tasks
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.plugins.core.netguard import ENV_ALLOWED
from legato.storage import LocalStorage, ion

ES, OS = "io.kestra.plugin.elasticsearch", "io.kestra.plugin.opensearch"


@pytest.fixture
def es(monkeypatch: pytest.MonkeyPatch) -> Iterator[SearchDouble]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    double = SearchDouble("application/vnd.elasticsearch+json;compatible-with=8")
    with double.serve():
        yield double


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


def _task(double: SearchDouble, kind: str, prefix: str = ES, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"{prefix}.{kind}", "connection": {"hosts": [double.base_url]}, **props}


def _people(double: SearchDouble) -> None:
    for i, (name, city, age) in enumerate([("john", "Paris", 31), ("jane", "Oslo", 45), ("jim", "Paris", 52),
                                           ("joan", "Rome", 28), ("jack", "Paris", 39)]):
        double.index("people", str(i), {"name": name, "city": city, "age": age})


def test_put_get_and_request(tasks: Tasks, es: SearchDouble) -> None:
    put = tasks.run(_task(es, "Put", index="people", key="john", value={"name": "John Doe", "city": "Paris"},
                          refreshPolicy="IMMEDIATE"))
    assert put == {"id": "john", "result": "Created", "version": 1}
    sent = es.requests[-1]
    assert (sent.method, sent.path, sent.query["refresh"]) == ("PUT", "/people/_doc/john", ["true"])
    assert sent.headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"
    again = tasks.run(_task(es, "Put", index="people", key="john", value='{"name": "John Doe", "city": "Lyon"}'))
    assert (again["result"], again["version"]) == ("Updated", 2)
    auto = tasks.run(_task(es, "Put", index="people", value={"name": "Anon"}))
    assert auto["id"].startswith("auto") and es.requests[-1].method == "POST"
    with pytest.raises(TaskFailed, match=r"HTTP 409: \[version_conflict_engine_exception\]"):
        tasks.run(_task(es, "Put", index="people", key="john", opType="CREATE", value={"name": "dup"}))

    assert tasks.run(_task(es, "Get", index="people", key="john")) == {"row": {"name": "John Doe", "city": "Lyon"}}
    assert tasks.run(_task(es, "Get", index="people", key="nobody")) == {"row": None}
    with pytest.raises(TaskFailed, match="Document with key 'nobody' not found in index 'people'"):
        tasks.run(_task(es, "Get", index="people", key="nobody", errorOnMissing=True))
    with pytest.raises(TaskFailed, match="no such index"):
        tasks.run(_task(es, "Get", index="nothing", key="x"))

    counted = tasks.run(_task(es, "Request", endpoint="people/_count"))
    assert counted["status"] == 200 and counted["response"]["count"] == 2
    posted = tasks.run(_task(es, "Request", method="POST", endpoint="people/_doc/jane", body={"name": "jane"}))
    assert posted["status"] == 201 and posted["response"]["result"] == "created"
    searched = tasks.run(_task(es, "Request", endpoint="people/_search", parameters={"q": 'name:"John Doe"'}))
    assert es.requests[-1].query == {"q": ['name:"John Doe"']} and searched["response"]["hits"]["total"]["value"] == 3


def test_search_by_fetch_type_and_scroll(tasks: Tasks, es: SearchDouble) -> None:
    _people(es)
    request = {"query": {"bool": {"filter": [{"term": {"city": "Paris"}}, {"range": {"age": {"gte": 35}}}]}},
               "sort": [{"age": "desc"}]}
    found = tasks.run(_task(es, "Search", indexes=["people"], request=request))
    assert found == {"rows": [{"name": "jim", "city": "Paris", "age": 52}, {"name": "jack", "city": "Paris", "age": 39}],
                     "size": 2, "total": 2}
    one = tasks.run(_task(es, "Search", indexes=["people"], request=json.dumps(request), fetchType="FETCH_ONE"))
    assert one == {"row": {"name": "jim", "city": "Paris", "age": 52}, "size": 1, "total": 2}
    stored = tasks.run(_task(es, "Search", request={"query": {"match_all": {}}, "size": 3}, fetchType="STORE"))
    assert stored["size"] == 3 and stored["total"] == 5 and len(ion.loads(tasks.read(stored["uri"]).decode())) == 3
    assert es.requests[-1].path == "/_search"
    assert tasks.run(_task(es, "Search", indexes=["people"], request={"query": {"term": {"city": "Nice"}}}, fetchType="NONE")) == {"total": 0}

    scrolled = tasks.run(_task(es, "Scroll", indexes=["people"], request={"query": {"match_all": {}}, "size": 2}))
    assert scrolled["size"] == 5
    assert sorted(r["name"] for r in ion.loads(tasks.read(scrolled["uri"]).decode())) == ["jack", "jane", "jim", "joan", "john"]
    assert [r.path for r in es.requests[-4:]] == ["/_search/scroll", "/_search/scroll", "/_search/scroll", "/_search/scroll"]
    assert es.requests[-1].method == "DELETE" and es.scrolls == {}
    with pytest.raises(TaskFailed, match=r"HTTP 400: \[parsing_exception\] unknown query \[fuzzy\]"):
        tasks.run(_task(es, "Search", indexes=["people"], request={"query": {"fuzzy": {}}}))


def test_load_and_bulk(tasks: Tasks, es: SearchDouble) -> None:
    records = "\n".join(ion.dumps({"id": i, "name": f"n{i}", "score": i * 1.5}) for i in range(5))
    uri = tasks.put("rows.ion", records.encode())
    assert tasks.run(_task(es, "Load", **{"from": uri}, index="scores", idKey="id", chunk=2)) == {"size": 5}
    assert es.indices["scores"]["3"] == {"name": "n3", "score": 4.5}
    assert len([r for r in es.requests if r.path == "/_bulk"]) == 3

    bulk_file = tasks.put("bulk.json", b"\n".join([
        b'{"index": {"_index": "people", "_id": "1"}}', b'{"name": "John"}',
        b'{"create": {"_index": "people", "_id": "2"}}', b'{"name": "Jane"}',
        b'{"update": {"_index": "people", "_id": "1"}}', b'{"city": "Paris"}',
        b'{"delete": {"_index": "scores", "_id": "0"}}',
    ]))
    assert tasks.run(_task(es, "Bulk", **{"from": bulk_file})) == {"size": 4}
    assert es.indices["people"] == {"1": {"name": "John", "city": "Paris"}, "2": {"name": "Jane"}}
    assert "0" not in es.indices["scores"]
    ion_file = tasks.put("bulk.ion", b'{index:{_index:"people",_id:"3"}}\n{name:"Jim",age:52}\n')
    assert tasks.run(_task(es, "Bulk", **{"from": ion_file})) == {"size": 1}
    assert es.indices["people"]["3"] == {"name": "Jim", "age": 52}
    again = tasks.put("again.json", b'{"create": {"_index": "people", "_id": "2"}}\n{"name": "Jane"}\n')
    with pytest.raises(TaskFailed, match=r"Indexer failed bulk:\n people: 409 - .*already exists"):
        tasks.run(_task(es, "Bulk", **{"from": again}))


def test_esql_sync_async_and_params(tasks: Tasks, es: SearchDouble) -> None:
    _people(es)
    query = "FROM people\n| WHERE city == ? AND age == ?\n| KEEP name, age"
    found = tasks.run(_task(es, "Esql", query=query, params=["Paris", "52"]))
    assert found == {"rows": [{"name": "jim", "age": 52}], "size": 1, "total": 1}
    assert es.requests[-1].body["query"] == 'FROM people\n| WHERE city == "Paris" AND age == 52\n| KEEP name, age'
    columnar = tasks.run(_task(es, "Esql", query="FROM people | WHERE city == \"Paris\" | KEEP name | LIMIT 2", columnar=True))
    assert columnar["rows"] == [{"name": ["john", "jim"]}]
    stored = tasks.run(_task(es, "Esql", query="FROM people | KEEP name", fetchType="STORE", **{"async": True}))
    assert stored["size"] == 5 and len(ion.loads(tasks.read(stored["uri"]).decode())) == 5
    assert [(r.method, r.path.split("/")[1:3]) for r in es.requests[-3:]] == [
        ("POST", ["_query", "async"]), ("GET", ["_query", "async"]), ("DELETE", ["_query", "async"])]
    assert es.async_queries == {}
    with pytest.raises(TaskFailed, match="more `\\?` placeholders than the 1 params"):
        tasks.run(_task(es, "Esql", query="FROM people | WHERE city == ? AND age == ?", params=["Paris"]))


def test_connection_options(tasks: Tasks, es: SearchDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"hosts": ["http://127.0.0.1:9", es.base_url], "basicAuth": {"username": USER, "password": PASSWORD},
            "targetServerVersion": 9}
    tasks.run({**_task(es, "Put", index="a", key="1", value={"x": 1}), "connection": conn})
    assert es.requests[-1].headers["authorization"].startswith("Basic ")
    assert es.requests[-1].headers["content-type"] == "application/vnd.elasticsearch+json; compatible-with=9"
    with pytest.raises(TaskFailed, match="HTTP 401"):
        tasks.run({**_task(es, "Get", index="a", key="1"), "connection": {**conn, "basicAuth": {"username": USER, "password": "no"}}})
    keyed = {"hosts": [es.base_url], "headers": ["Authorization: ApiKey abc"], "basicAuth": {"username": USER, "password": "no"}}
    assert tasks.run({**_task(es, "Get", index="a", key="1"), "connection": keyed}) == {"row": {"x": 1}}
    es.warn = True
    tasks.run(_task(es, "Get", index="a", key="1"))
    assert any("deprecated" in m for m in tasks.messages())
    with pytest.raises(TaskFailed, match="this request is deprecated"):
        tasks.run({**_task(es, "Get", index="a", key="1"), "connection": {"hosts": [es.base_url], "strictDeprecationMode": True}})
    monkeypatch.delenv(ENV_ALLOWED)
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        tasks.run(_task(es, "Get", index="a", key="1"))


def test_opensearch_tasks_and_ppl(tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    double = SearchDouble()
    with double.serve():
        put = tasks.run(_task(double, "Put", OS, index="people", key="john", value={"name": "john", "city": "Paris"}))
        assert put["result"] == "Created" and double.requests[-1].headers["content-type"] == "application/json"
        _people(double)
        found = tasks.run(_task(double, "Search", OS, indexes=["people"], request={"query": {"match": {"city": "oslo"}}}))
        assert found["rows"] == [{"name": "jane", "city": "Oslo", "age": 45}]
        ppl = tasks.run(_task(double, "Ppl", OS, query="source=people | where city = 'Paris' | fields name, age"))
        assert ppl["size"] == 4 and ppl["total"] == 4 and {"name": "jim", "age": 52} in ppl["rows"]
        csv = tasks.run(_task(double, "Ppl", OS, query="source=people | fields name", format="CSV"))
        assert csv["text"].splitlines()[0] == "name" and len(csv["text"].splitlines()) == 7
        assert tasks.run(_task(double, "Get", OS, index="people", key="0"))["row"]["name"] == "john"
