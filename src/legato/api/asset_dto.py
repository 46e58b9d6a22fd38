"""The assets API's JSON bodies (camelCase on the wire, as every body of the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from legato.api.dto import Wire


class AssetDto(Wire):
    """An asset: what flows read or write, or what someone registered by hand."""

    id: str
    namespace: str | None = None
    type: str | None = Field(default=None, description="io.kestra.plugin.ee.assets.Table, ...Dataset, ...File, "
                                                        "...VM, or any name of your own.")
    display_name: str | None = None
    description: str | None = Field(default=None, description="Markdown.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    created: datetime
    updated: datetime


class AssetUsageDto(Wire):
    """One task run's read (IN) or write (OUT) of an asset."""

    direction: Literal["IN", "OUT"]
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    task_run_id: str
    created: datetime


class AssetDetailDto(AssetDto):
    """An asset with the assets directly upstream (read by the task runs that wrote it) and downstream (written by
    the task runs that read it), and its latest uses by executions, newest first."""

    upstream: list[AssetDto] = Field(default_factory=list)
    downstream: list[AssetDto] = Field(default_factory=list)
    usages: list[AssetUsageDto] = Field(default_factory=list)


class AssetBody(Wire):
    """An asset registered or fixed by hand."""

    id: str = Field(min_length=1, max_length=255, pattern=r"^\S+$",
                    description="Unique in the tenant (no space); on PUT, the asset's id again.")
    namespace: str | None = Field(default=None, max_length=255)
    type: str | None = Field(default=None, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ExecutionAssetDto(Wire):
    """One read (IN) or write (OUT) of an asset by a task run of an execution, with the asset as it is now (None
    when it was deleted since, or when the caller may not see it)."""

    asset_id: str
    direction: Literal["IN", "OUT"]
    task_id: str
    task_run_id: str
    created: datetime
    asset: AssetDto | None = None
