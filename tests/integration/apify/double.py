"""A test double of Apify's API v2 (docs.apify.com/api/v2: "Run actor", "Get dataset items"), over in-memory actors
and datasets:

- POST /v2/acts/{actorId}/runs (query `timeout`, `memory`, `maxItems`, `maxTotalChargeUsd`, `build`,
  `waitForFinish`, `webhooks`; body the actor's input) answers 201 `{"data": run}`, the run with `id`, `actId`,
  `status` (SUCCEEDED when `waitForFinish` is given, else RUNNING), `defaultDatasetId`, `defaultKeyValueStoreId`,
  `usageTotalUsd` and `options` {build, timeoutSecs, memoryMbytes, maxItems, maxTotalChargeUsd}; the actor's
  items land in its dataset (`items_after` reads later: an actor still writing);
- GET /v2/datasets/{datasetId}/items (`offset`, `limit`, `fields`, `omit`, `desc`, `clean`, ...) answers 200 with
  a JSON array of items; an unknown dataset 404 `{"error": {"type": "record-not-found", "message": "Dataset was
  not found"}}`;
- without `Authorization: Bearer <token>`: 401 `{"error": {"type": "token-not-provided", "message": "Authentication
  token was not provided"}}`."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "apify_api_token"


class ApifyDouble(ApiDouble):
    def __init__(self, items: list[dict[str, Any]], items_after: int = 0) -> None:
        super().__init__()
        self.items, self.items_after = items, items_after  # the actor's output, visible after that many reads
        self.datasets: dict[str, list[dict[str, Any]]] = {}
        self.reads: dict[str, int] = {}
        self._ids = itertools.count(1)
        self.route("POST", r"/v2/acts/(?P<actor>[^/]+)/runs", self._run)
        self.route("GET", r"/v2/datasets/(?P<dataset>[^/]+)/items", self._items)

    def dispatch(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            with self.lock:
                self.requests.append(request)
            return Reply(401, {"error": {"type": "token-not-provided", "message": "Authentication token was not provided"}})
        return super().dispatch(request)

    def _run(self, request: Request, actor: str) -> Reply:
        n = next(self._ids)
        dataset = f"dataset{n:04d}"
        self.datasets[dataset] = list(self.items)
        q = {k: v[0] for k, v in request.query.items()}
        run = {"id": f"run{n:04d}", "actId": actor, "status": "SUCCEEDED" if "waitForFinish" in q else "RUNNING",
               "defaultDatasetId": dataset, "defaultKeyValueStoreId": f"store{n:04d}", "usageTotalUsd": 0.0125,
               "options": {"build": q.get("build", "latest"), "timeoutSecs": float(q.get("timeout", 3600)),
                           "memoryMbytes": int(q.get("memory", 1024)), "maxItems": q.get("maxItems"),
                           "maxTotalChargeUsd": q.get("maxTotalChargeUsd")},
               "input": request.body}
        return Reply(201, {"data": run})

    def _items(self, request: Request, dataset: str) -> Reply:
        if dataset not in self.datasets:
            return Reply(404, {"error": {"type": "record-not-found", "message": "Dataset was not found"}})
        self.reads[dataset] = self.reads.get(dataset, 0) + 1
        if self.reads[dataset] <= self.items_after:
            return Reply(200, [])
        q = {k: v[0] for k, v in request.query.items()}
        items = list(reversed(self.datasets[dataset])) if q.get("desc") == "true" else list(self.datasets[dataset])
        items = items[int(q.get("offset", 0)):int(q.get("offset", 0)) + int(q.get("limit", 1000))]
        if "fields" in q:
            items = [{k: i[k] for k in q["fields"].split(",") if k in i} for i in items]
        if "omit" in q:
            items = [{k: v for k, v in i.items() if k not in q["omit"].split(",")} for i in items]
        return Reply(200, items)
