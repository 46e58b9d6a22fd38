"""Apify's API v2 (`https://api.apify.com/v2`, the token as a bearer token): `actor.Run` (POST
/acts/{actorId}/runs with the actor's `input` as the body and the run's caps as query parameters; outputs the run
as Apify describes it: `id`, `status`, `defaultDatasetId`, `usageTotalUsd`, ...) and `dataset.Get` (GET
/datasets/{datasetId}/items; output `dataset`, the items). A dataset still empty is read again, with back-off,
until it has items or `maxDuration` passes (an actor may still be writing them). Requests go through the SSRF
guard: `baseUrl` is the flow's to set."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.backoff import Backoff
from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_duration,
    render_optional,
    render_optional_text,
    render_text,
)

API = "https://api.apify.com/v2"
Memory = Literal["MB_128", "MB_256", "MB_512", "MB_1024", "MB_2048", "MB_4096", "MB_8192", "MB_16384", "MB_32768"]


class ApifyTask(RunnableTask):
    apiToken: str = Field(description="An Apify API token (use a secret).")
    baseUrl: str = Field(default=API, description="Legato: the API's base URL (a proxy, or a test double).")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options (accepted; timeouts are 60 s).")

    def client(self, ctx: RunContext) -> ApiClient:
        return ApiClient("Apify", render_text(ctx, self.baseUrl).rstrip("/"), max_retries=3,
                         headers={"Authorization": f"Bearer {render_text(ctx, self.apiToken)}"})


@TASKS.register
class Run(ApifyTask):
    """Start a run of an actor with its `input`, under the caps given; outputs the run (`id`, `status`,
    `defaultDatasetId`, `defaultKeyValueStoreId`, `usageTotalUsd`, ...). `waitForFinish` (at most 60 s) lets Apify
    answer once the run has ended."""

    TYPE: ClassVar[str] = "io.kestra.plugin.apify.actor.Run"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: run_actor
type: io.kestra.plugin.apify.actor.Run
apiToken: "{{ secret('APIFY_API_TOKEN') }}"
actorId: apify~website-content-crawler
maxItems: 100
memory: MB_1024
input:
  startUrls:
    - url: https://docs.example.com
""",
    )

    actorId: str = Field(description="The actor: its id or `owner~name` (rendered).")
    input: dict[str, Any] | Expression | None = Field(default=None, description="The actor's input, sent as the JSON body; its default input when unset.")
    requestTimeout: float | Expression | None = Field(default=None, description="The run's timeout in seconds; the actor's default when unset.")
    memory: Memory | Expression | None = Field(default=None, description="The run's memory, MB_128 to MB_32768.")
    maxItems: int | Expression | None = Field(default=None, description="Most items returned (pay-per-result actors).")
    maxTotalChargeUsd: float | Expression | None = Field(default=None, description="Most the run may cost, in USD.")
    build: str | None = Field(default=None, description="The build tag or number to run; the actor's default build when unset.")
    waitForFinish: int | Expression | None = Field(default=None, description="Seconds (0 to 60) Apify waits for the run to end before answering.")
    webhooks: str | None = Field(default=None, description="Base64-encoded JSON array of webhooks for the run's events.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        wait = render_optional(ctx, self.waitForFinish, int, "waitForFinish")
        if wait is not None and not 0 <= wait <= 60:
            raise TaskFailed(f"property 'waitForFinish': must be between 0 and 60 seconds, got {wait}")
        memory = render_optional(ctx, self.memory, Memory, "memory")
        params = {"timeout": render_optional(ctx, self.requestTimeout, float, "requestTimeout"),
                  "memory": int(memory.removeprefix("MB_")) if memory else None,
                  "maxItems": render_optional(ctx, self.maxItems, int, "maxItems"),
                  "maxTotalChargeUsd": render_optional(ctx, self.maxTotalChargeUsd, float, "maxTotalChargeUsd"),
                  "build": render_optional_text(ctx, self.build), "waitForFinish": wait,
                  "webhooks": render_optional_text(ctx, self.webhooks)}
        actor = render_text(ctx, self.actorId).replace("/", "~")
        body = render_optional(ctx, self.input, dict[str, Any], "input")
        answer = await self.client(ctx).call("POST", f"/acts/{actor}/runs", json=body or None,
                                             params={k: v for k, v in params.items() if v is not None})
        run = (answer or {}).get("data")
        if not isinstance(run, dict):
            raise TaskFailed(f"Apify: starting actor {actor} gave no run: {str(answer)[:300]}")
        ctx.logger.info(f"Apify run {run.get('id')} of {actor}: {run.get('status')}")
        return run


@TASKS.register
class GetDataset(ApifyTask):
    """Read the items of a dataset (`dataset`), with Apify's filters and projections. An empty dataset is read
    again with back-off until it has items or `maxDuration` passes, then returned empty."""

    TYPE: ClassVar[str] = "io.kestra.plugin.apify.dataset.Get"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: get_dataset
type: io.kestra.plugin.apify.dataset.Get
apiToken: "{{ secret('APIFY_API_TOKEN') }}"
datasetId: "{{ outputs.run_actor.defaultDatasetId }}"
fields: [url, title]
""",
    )

    datasetId: str = Field(description="The dataset's id (rendered).")
    clean: bool | Expression = Field(default=True, description="Skip empty items and fields starting with #.")
    offset: int | Expression = Field(default=0, description="Items skipped first.")
    limit: int | Expression = Field(default=1000, description="Most items returned.")
    fields: list[str] | Expression | None = Field(default=None, description="Only these fields of each item.")
    omit: list[str] | Expression | None = Field(default=None, description="These fields left out of each item.")
    unwind: list[str] | Expression | None = Field(default=None, description="Fields whose arrays become items of their own, in order.")
    flatten: bool | Expression = Field(default=False, description="Nested fields as dotted keys (foo.bar).")
    sort: Literal["ASC", "DESC"] | Expression = Field(default="ASC", description="DESC: newest items first.")
    skipEmpty: bool | Expression = Field(default=True, description="Skip empty items.")
    skipFailedPages: bool | Expression = Field(default=False, description="Skip items with an errorInfo.")
    view: str | None = Field(default=None, description="A view of the dataset's schema.")
    skipHidden: bool | Expression = Field(default=False, description="Skip fields starting with #.")
    simplified: bool | Expression = Field(default=False, description="Apify's simplified output.")
    maxDuration: Duration | Expression = Field(default=timedelta(seconds=300), description="How long to wait for a dataset that is still empty.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        def flag(name: str) -> str:
            return "true" if render_as(ctx, getattr(self, name), bool, name) else "false"

        def joined(name: str) -> str | None:
            values = render_optional(ctx, getattr(self, name), list[str], name)
            return ",".join(values) if values else None

        params = {"clean": flag("clean"), "offset": render_as(ctx, self.offset, int, "offset"),
                  "limit": render_as(ctx, self.limit, int, "limit"), "fields": joined("fields"), "omit": joined("omit"),
                  "unwind": joined("unwind"), "flatten": flag("flatten"), "skipEmpty": flag("skipEmpty"),
                  "desc": "true" if render_as(ctx, self.sort, Literal["ASC", "DESC"], "sort") == "DESC" else None,
                  "skipFailedPages": flag("skipFailedPages"), "view": render_optional_text(ctx, self.view),
                  "skipHidden": flag("skipHidden"), "simplified": flag("simplified"), "format": "json"}
        path = f"/datasets/{render_text(ctx, self.datasetId)}/items"
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        client, backoff = self.client(ctx), Backoff(0.5, 10.0)
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            items = await client.call("GET", path, params={k: v for k, v in params.items() if v is not None})
            if not isinstance(items, list):
                raise TaskFailed(f"Apify: GET {path} answered no item list: {str(items)[:300]}")
            if items or asyncio.get_running_loop().time() + backoff.delay > deadline:
                ctx.logger.info(f"{len(items)} item(s) read from dataset {render_text(ctx, self.datasetId)}")
                return {"dataset": items}
            await ctx.sleep(backoff.next())
