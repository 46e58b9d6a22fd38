"""Flow unit tests over the API at Kestra's paths (/api/v1/{tenant}/tests/...), on a live server with its
executor and worker, SQLite and PostgreSQL: CRUD of suites, a run with fixtures, its result and history, and
the run's executions left out of the executions list."""

from __future__ import annotations

import httpx

YAML = {"Content-Type": "application/x-yaml"}


def _flow(ns: str) -> str:
    return f"""\
id: greet
namespace: {ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: hello
  - id: send
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: would page someone
"""


def _suite(ns: str, expected: str = "hello") -> str:
    return f"""\
id: greet_suite
namespace: {ns}
flowId: greet
testCases:
  - id: mocked_send
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: send
    assertions:
      - value: "{{{{ outputs.hello.value }}}}"
        equalTo: {expected}
        errorMessage: the greeting
  - id: real_send
    expectedState: FAILED
"""


def test_suite_crud_run_results_and_hidden_executions(client: httpx.Client, ns: str) -> None:
    assert client.post("/api/v1/main/flows", content=_flow(ns), headers=YAML).status_code == 200
    created = client.post("/api/v1/main/tests", content=_suite(ns), headers=YAML)
    assert created.status_code == 200, created.text
    assert created.json()["flowId"] == "greet" and "testCases" in created.json()["source"]
    assert client.post("/api/v1/main/tests", content=_suite(ns), headers=YAML).status_code == 409
    assert client.get(f"/api/v1/main/tests/{ns}/greet_suite").json()["id"] == "greet_suite"
    found = client.get("/api/v1/main/tests/search", params={"namespace": ns}).json()
    assert found["total"] == 1 and found["results"][0].get("source") is None

    run = client.post(f"/api/v1/main/tests/{ns}/greet_suite/run", timeout=120)
    assert run.status_code == 200, run.text
    result = run.json()
    assert result["state"] == "SUCCESS", result
    mocked, real = result["results"]
    assert (mocked["testId"], mocked["state"], real["state"]) == ("mocked_send", "SUCCESS", "SUCCESS")
    assert mocked["assertionResults"][0] | {"isSuccess": True} == mocked["assertionResults"][0]
    assert mocked["assertionResults"][0]["actual"] == "hello"
    assert real["executionState"] == "FAILED"

    # the test's executions are readable by id but not listed
    assert client.get(f"/api/v1/main/executions/{mocked['executionId']}").status_code == 200
    listed = client.get("/api/v1/main/executions/search", params={"namespace": ns}).json()
    assert listed["total"] == 0

    changed = client.put(f"/api/v1/main/tests/{ns}/greet_suite", content=_suite(ns, "bye"), headers=YAML)
    assert changed.status_code == 200
    second = client.post(f"/api/v1/main/tests/{ns}/greet_suite/run", json={"testCases": ["mocked_send"]},
                         timeout=120).json()
    assert second["state"] == "FAILED" and len(second["results"]) == 1
    assertion = second["results"][0]["assertionResults"][0]
    assert (assertion["isSuccess"], assertion["errorMessage"], assertion["expected"]) == (False, "the greeting", "bye")

    history = client.get("/api/v1/main/tests/results/search", params={"namespace": ns, "testSuiteId": "greet_suite"})
    assert [r["id"] for r in history.json()["results"]] == [second["id"], result["id"]]
    assert client.get(f"/api/v1/main/tests/results/{result['id']}").json()["state"] == "SUCCESS"
    last = client.post("/api/v1/main/tests/results/search/last",
                       json={"testSuiteIds": [{"namespace": ns, "id": "greet_suite"}]}).json()
    assert [r["id"] for r in last] == [second["id"]]

    assert client.delete(f"/api/v1/main/tests/{ns}/greet_suite").status_code == 204
    assert client.get(f"/api/v1/main/tests/{ns}/greet_suite").status_code == 404
    assert client.get(f"/api/v1/main/tests/results/{result['id']}").status_code == 200  # history stays


def test_bad_suites_are_4xx_with_where(client: httpx.Client, ns: str) -> None:
    broken = _suite(ns).replace("equalTo:", "equalz:")
    response = client.post("/api/v1/main/tests", content=broken, headers=YAML)
    assert response.status_code == 422
    assert any(d["path"] == "testCases[0].assertions[0].equalz" and d["line"] == 12 for d in response.json()["details"])
    checked = client.post("/api/v1/main/tests/validate", content=broken, headers=YAML).json()
    assert "unknown property 'equalz'" in checked["constraints"]
    assert client.post(f"/api/v1/main/tests/{ns}/nope/run").status_code == 404
    moved = client.put(f"/api/v1/main/tests/{ns}/other", content=_suite(ns), headers=YAML)
    assert moved.status_code == 409


def test_run_by_query(client: httpx.Client, ns: str) -> None:
    client.post("/api/v1/main/flows", content=_flow(ns), headers=YAML)
    client.post("/api/v1/main/tests", content=_suite(ns), headers=YAML)
    results = client.post("/api/v1/main/tests/run", json={"namespace": ns}, timeout=120).json()
    assert [(r["testSuiteId"], r["state"]) for r in results] == [("greet_suite", "SUCCESS")]
