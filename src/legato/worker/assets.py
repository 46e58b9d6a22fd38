"""Recording what a successful attempt declared in `assets`: its inputs and outputs rendered with the task's own
variables, written with one usage each (once per task run: a replayed result adds nothing). When that cannot be
done, the task's assetFailureBehavior says what becomes of it: WARN (a WARNING with a log line saying why), FAIL,
or IGNORE."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from legato.model.assets import TaskAssets
from legato.model.state import State
from legato.store.ports import AssetRecord, AssetUsage
from legato.worker.context import WorkerContext

log = logging.getLogger("legato.worker")


class AssetError(ValueError):
    """A declaration that renders to something that is not an asset (an empty id...)."""


async def record(assets: TaskAssets, wctx: WorkerContext, state: State,
                 mask: Callable[[Any], Any]) -> tuple[State, str | None]:
    """Record the assets of an attempt that ended in `state` (SUCCESS or WARNING); the state it ends in then, and
    the error when it fails because of them. `mask` hides the secrets a rendered value holds, as in outputs:
    whoever may read an asset may not read the flow's secrets."""
    try:
        inputs, outputs, usages = declared(assets, wctx, mask)
        await asyncio.to_thread(wctx.record_assets, inputs, outputs, usages)
    except Exception as exc:
        reason = mask(f"the task's assets could not be recorded: {exc}")
        match assets.assetFailureBehavior:
            case "WARN":
                wctx.logger.warn(reason)
                return State.WARNING, None
            case "FAIL":
                wctx.logger.error(reason)
                return State.FAILED, reason
            case "IGNORE":
                log.debug("%s (ignored: assetFailureBehavior IGNORE)", reason)
    return state, None


def declared(assets: TaskAssets, wctx: WorkerContext,
             mask: Callable[[Any], Any]) -> tuple[list[AssetRecord], list[AssetRecord], list[AssetUsage]]:
    """The assets read and written, rendered (secrets masked), and the usages of this task run."""
    raw = assets.model_dump(include={"inputs", "outputs"}, mode="json")
    rendered = mask(wctx.render(raw))
    now, tenant = wctx.now(), wctx.execution.tenant
    inputs = [AssetRecord(_required(a, "id"), _text(a, "namespace"), _text(a, "type"), None, None, {},
                          now, now, tenant) for a in rendered["inputs"]]
    outputs = [AssetRecord(_required(a, "id"), _text(a, "namespace"), _required(a, "type"),
                           _text(a, "displayName"), _text(a, "description"), _metadata(a.get("metadata")), now, now,
                           tenant) for a in rendered["outputs"]]
    run, execution = wctx.task_run, wctx.execution
    usage = AssetUsage("", "IN", execution.id, execution.namespace, execution.flow_id, run.task_id, run.id, now, tenant)
    usages = [replace(usage, asset_id=a.id) for a in _unique(inputs)]
    usages += [replace(usage, asset_id=a.id, direction="OUT") for a in _unique(outputs)]
    return inputs, outputs, usages


def _text(asset: dict[str, Any], key: str) -> str | None:
    value = asset.get(key)
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > 255 and key != "description":
        raise AssetError(f"an asset's {key} {text[:40]!r}... is longer than 255 characters")
    return text


def _required(asset: dict[str, Any], key: str) -> str:
    text = _text(asset, key)
    if text is None:
        raise AssetError(f"an asset's {key} rendered empty")
    return text


def _metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AssetError(f"an asset's metadata rendered to {type(value).__name__}, not a map")
    return {str(k): v for k, v in value.items()}


def _unique(records: list[AssetRecord]) -> list[AssetRecord]:
    """Each id once (the last declaration of an id wins), in declaration order."""
    return list({r.id: r for r in records}.values())
