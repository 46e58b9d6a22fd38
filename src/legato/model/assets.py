"""The `assets` property every task accepts (Kestra's asset declarations): the resources a task reads and writes,
recorded when it succeeds to build the lineage between them. Values may be expressions, rendered at run time
with the task's own variables (an output named `avg_{{ taskrun.value }}` in a loop)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from legato.model.frozen import Frozen

AssetFailureBehavior = Literal["WARN", "FAIL", "IGNORE"]


class AssetInput(Frozen):
    """An asset the task reads."""

    id: str = Field(min_length=1, description="Id of the asset, unique within the tenant (an expression may give it).")
    type: str | None = Field(default=None, description="Its type, for an asset not known yet (e.g. "
                                                        "io.kestra.plugin.ee.assets.Table, or any name of your own).")
    namespace: str | None = Field(default=None, description="Namespace of an asset not known yet.")


class AssetOutput(Frozen):
    """An asset the task creates or updates."""

    id: str = Field(min_length=1, description="Id of the asset, unique within the tenant (an expression may give it).")
    type: str = Field(min_length=1, description="Its type: io.kestra.plugin.ee.assets.Table, ...Dataset, ...File, "
                                                "...VM, or any name of your own.")
    namespace: str | None = Field(default=None, description="Namespace the asset belongs to (for filters and access).")
    displayName: str | None = Field(default=None, description="A readable name shown in the UI.")
    description: str | None = Field(default=None, description="What the asset is (Markdown).")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Key-value facts about the asset; the "
                                                                       "latest run's values replace earlier ones.")


class TaskAssets(Frozen):
    """What a task reads and writes, recorded with the lineage between them when it succeeds."""

    inputs: list[AssetInput] = Field(default_factory=list, description="Assets the task reads.")
    outputs: list[AssetOutput] = Field(default_factory=list, description="Assets the task creates or updates.")
    enableAuto: bool = Field(default=False, description="Kestra: also accept assets a plugin emits by itself. "
                                                        "Accepted; Legato's plugins emit none yet.")
    assetFailureBehavior: AssetFailureBehavior = Field(
        default="WARN", description="When the assets cannot be rendered or recorded: WARN ends the task in WARNING "
                                    "with a log line saying why, FAIL fails it, IGNORE leaves it as it was.")
