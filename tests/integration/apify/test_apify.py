"""Kestra's Apify tasks against the API v2 test double (double.py): an actor run with its input and caps, then its
dataset read once the actor has written it; real HTTP requests on 127.0.0.1 through the guarded client."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.apify.double import TOKEN, ApifyDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed

PAGES = [{"url": f"https://docs.example.com/{n}", "title": f"Page {n}", "#debug": "x"} for n in range(3)]


def task(double: ApifyDouble, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"io.kestra.plugin.apify.{kind}", "apiToken": TOKEN, "baseUrl": f"{double.base_url}/v2",
            **props}


def test_run_an_actor_then_read_its_dataset_once_written(harness: Harness) -> None:
    double = ApifyDouble(PAGES, items_after=2)
    with double.serve():
        run = harness.run(task(double, "actor.Run", actorId="apify/website-content-crawler", maxItems=100,
                               memory="MB_2048", maxTotalChargeUsd=5, requestTimeout=600, waitForFinish=60,
                               input={"startUrls": [{"url": "https://docs.example.com"}]}))
        assert run["status"] == "SUCCEEDED" and run["actId"] == "apify~website-content-crawler"
        sent = double.requests[-1]
        assert sent.query == {"timeout": ["600.0"], "memory": ["2048"], "maxItems": ["100"], "maxTotalChargeUsd": ["5.0"],
                              "waitForFinish": ["60"]}
        assert sent.body == {"startUrls": [{"url": "https://docs.example.com"}]}
        got = harness.run(task(double, "dataset.Get", datasetId=run["defaultDatasetId"], fields=["url", "title"],
                               sort="DESC", maxDuration="PT10S"))
        assert got["dataset"] == [{"url": p["url"], "title": p["title"]} for p in reversed(PAGES)]
        assert double.reads[run["defaultDatasetId"]] == 3  # empty twice while the actor was writing


def test_an_empty_dataset_is_returned_empty_after_max_duration_and_errors_are_clear(harness: Harness) -> None:
    double = ApifyDouble([], items_after=0)
    with double.serve():
        run = harness.run(task(double, "actor.Run", actorId="someone~empty"))
        assert run["status"] == "RUNNING"
        got = harness.run(task(double, "dataset.Get", datasetId=run["defaultDatasetId"], maxDuration="PT1S"))
        assert got == {"dataset": []} and double.reads[run["defaultDatasetId"]] >= 2
        with pytest.raises(TaskFailed, match=r"answered HTTP 404: .*Dataset was not found"):
            harness.run(task(double, "dataset.Get", datasetId="nope"))
        with pytest.raises(TaskFailed, match=r"answered HTTP 401"):
            harness.run({**task(double, "actor.Run", actorId="a~b"), "apiToken": "wrong"})
        with pytest.raises(TaskFailed, match="'waitForFinish': must be between 0 and 60"):
            harness.run(task(double, "actor.Run", actorId="a~b", waitForFinish=61))
