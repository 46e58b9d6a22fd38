"""fivetran.connectors.Sync and Status against the Fivetran API test double (double.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.fivetran.double import KEY, SECRET, FivetranDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


@pytest.fixture
def fivetran() -> Iterator[tuple[FivetranDouble, str]]:
    double = FivetranDouble(failing=("broken_pipe",))
    with double.serve() as url:
        yield double, url


def _sync(url: str, connector: str, **more: object) -> dict[str, object]:
    return {"id": "sync", "type": "io.kestra.plugin.fivetran.connectors.Sync", "baseUrl": url, "apiKey": KEY,
            "apiSecret": SECRET, "connectorId": connector, "pollFrequency": "PT0.05S",
            "initialRetryDelay": "PT0.01S", **more}


def test_sync_waits_for_a_newer_completion(harness: Harness, fivetran: tuple[FivetranDouble, str]) -> None:
    double, url = fivetran
    assert harness.run(_sync(url, "enterprise_sprout", force=True)) == {}
    calls = [(r.method, r.path) for r in double.requests]
    assert calls[:2] == [("GET", "/v2/connectors/enterprise_sprout"), ("POST", "/v2/connectors/enterprise_sprout/sync")]
    assert double.requests[1].body == {"force": True}
    assert double.requests[1].headers["accept"] == "application/json;version=2"
    assert len(calls) == 4  # read before, request, "syncing", then the new completion


def test_a_failed_sync_fails_the_task(harness: Harness, fivetran: tuple[FivetranDouble, str]) -> None:
    _, url = fivetran
    with pytest.raises(TaskFailed, match="Fivetran connector 'broken_pipe' failed its sync"):
        harness.run(_sync(url, "broken_pipe"))


def test_reads_are_retried_on_503_and_no_wait_returns_at_once(harness: Harness, fivetran: tuple[FivetranDouble, str]) -> None:
    double, url = fivetran
    assert harness.run(_sync(url, "flaky")) == {}
    assert harness.run(_sync(url, "enterprise_sprout", wait=False)) == {}
    assert [r.method for r in double.requests[-2:]] == ["GET", "POST"]


def test_errors_name_the_call(harness: Harness, fivetran: tuple[FivetranDouble, str]) -> None:
    _, url = fivetran
    with pytest.raises(TaskFailed, match=r"GET .*/v2/connectors/nope answered HTTP 404: .*doesn't exist"):
        harness.run(_sync(url, "nope"))
    with pytest.raises(TaskFailed, match="HTTP 401"):
        harness.run(_sync(url, "enterprise_sprout", apiSecret="wrong"))
    with pytest.raises(TaskFailed, match="maxAttempts' must be at least 1"):
        harness.run(_sync(url, "enterprise_sprout", maxAttempts=0))


def test_status_reports_freshness_and_fails_fast_on_a_paused_connector(harness: Harness,
                                                                      fivetran: tuple[FivetranDouble, str]) -> None:
    _, url = fivetran
    base = {"id": "status", "type": "io.kestra.plugin.fivetran.connectors.Status", "baseUrl": url, "apiKey": KEY,
            "apiSecret": SECRET, "pollFrequency": "PT0.05S", "maxDuration": "PT2S"}
    out = harness.run({**base, "connectorIds": ["enterprise_sprout"], "wait": False})
    state = out["connectors"]["enterprise_sprout"]
    assert state["fresh"] is False and state["syncFrequency"] == 60 and state["setupState"] == "connected"
    fresh = harness.run({**base, "connectorIds": ["enterprise_sprout"], "freshnessBuffer": "PT3H"})
    assert fresh["connectors"]["enterprise_sprout"]["fresh"] is True
    with pytest.raises(TaskFailed, match="'paused_one' cannot become fresh: it is paused"):
        harness.run({**base, "connectorIds": ["paused_one"]})
    with pytest.raises(TaskFailed, match="did not end within 2 s"):
        harness.run({**base, "connectorIds": ["enterprise_sprout"]})
