"""hightouch.Sync against the Hightouch API test double (double.py): trigger, wait through queued and processing
to the run's end, outputs and metrics, failures, and `wait: false`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.hightouch.double import TOKEN, HightouchDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


@pytest.fixture
def hightouch() -> Iterator[tuple[HightouchDouble, str]]:
    double = HightouchDouble({1716609: "success", 42: "failed", 7: "completed_with_errors"})
    with double.serve() as url:
        yield double, url


def _sync(url: str, sync: int, **more: object) -> dict[str, object]:
    return {"id": "sync", "type": "io.kestra.plugin.hightouch.Sync", "baseUrl": url, "token": TOKEN,
            "syncId": sync, **more}


def test_sync_waits_for_the_run_and_reports_it(harness: Harness, hightouch: tuple[HightouchDouble, str]) -> None:
    double, url = hightouch
    ctx = harness.context()
    out = harness.run(_sync(url, 1716609, fullResynchronization=True), ctx)
    assert out["runId"] == 1000 and out["metadata"]["status"] == "success"
    assert double.triggers == [{"sync": 1716609, "body": {"fullResync": True}}]
    assert double.reads[1000] == 3  # queued, processing, success
    metrics = {m["name"]: m["value"] for m in ctx.effects.extra["metrics"]}
    assert metrics["completion.ratio"] == 1 and metrics["rows.successfully.added"] == 10
    assert metrics["rows.failed.removed"] == 0


def test_a_failed_run_fails_the_task(harness: Harness, hightouch: tuple[HightouchDouble, str]) -> None:
    _, url = hightouch
    with pytest.raises(TaskFailed, match="run 1000 ended failed: destination rejected the batch"):
        harness.run(_sync(url, 42))


def test_completed_with_errors_ends_with_a_warning_log(harness: Harness, hightouch: tuple[HightouchDouble, str]) -> None:
    _, url = hightouch
    ctx = harness.context()
    out = harness.run(_sync(url, 7), ctx)
    assert out["metadata"]["status"] == "completed_with_errors"
    assert any(level == "WARN" and "completed with errors" in m for level, m in harness.messages(ctx))


def test_without_waiting_only_the_run_id(harness: Harness, hightouch: tuple[HightouchDouble, str]) -> None:
    double, url = hightouch
    assert harness.run(_sync(url, 1716609, wait=False)) == {"runId": 1000}
    assert double.reads[1000] == 0
    assert double.triggers[0]["body"] == {"fullResync": False}


def test_unknown_sync_and_bad_token(harness: Harness, hightouch: tuple[HightouchDouble, str]) -> None:
    _, url = hightouch
    with pytest.raises(TaskFailed, match="HTTP 404"):
        harness.run(_sync(url, 5))
    with pytest.raises(TaskFailed, match="HTTP 401"):
        harness.run({**_sync(url, 1716609), "token": "wrong"})
    assert not hightouch[0].triggers  # nothing was triggered
