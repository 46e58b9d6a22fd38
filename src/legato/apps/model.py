"""Kestra's app YAML (`io.kestra.plugin.ee.apps.Execution`) as frozen pydantic models: which flow the app starts,
who may open it, and the blocks it shows at each stage of the execution it follows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic.alias_generators import to_camel

APP_TYPES = ("io.kestra.plugin.ee.apps.Execution", "io.kestra.ee.apps.Execution", "Execution")
ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
# the packages Kestra's block types have lived in (1.x core and execution blocks, the older ee.apps names)
BLOCK_PREFIXES = ("io.kestra.plugin.ee.apps.core.blocks.", "io.kestra.plugin.ee.apps.execution.blocks.",
                  "io.kestra.plugin.ee.apps.blocks.", "io.kestra.ee.apps.blocks.", "io.kestra.ee.apps.execution.blocks.",
                  "io.kestra.plugin.ee.apps.execution.blocks.internal.")
ButtonStyle = Literal["DEFAULT", "SUCCESS", "DANGER", "INFO", "WARNING"]
ButtonSize = Literal["SMALL", "DEFAULT", "MEDIUM", "LARGE"]


class Stage(StrEnum):
    """Where a visitor is in the app: before submitting (OPEN), then the stages of the execution it started;
    ERROR when the app cannot show it (its flow is gone...), FALLBACK when the layout has no blocks for a stage."""

    OPEN = "OPEN"
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    ERROR = "ERROR"
    FALLBACK = "FALLBACK"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class _Block(_Model):
    type: str = Field(description="The block's type: its short name or Kestra's io.kestra.plugin.ee.apps.* name.")
    span: int | None = Field(default=None, ge=1, le=12, description="Inside a Grid: how many of its columns the "
                                                                     "block spans.")


class Markdown(_Block):
    content: str = Field(description="Markdown text; expressions ({{ execution.id }}, {{ outputs... }}) rendered.")


class Alert(_Block):
    content: str = Field(description="The message (expressions rendered).")
    style: Literal["SUCCESS", "WARNING", "ERROR", "INFO"] = "INFO"
    show_icon: bool = True


class Button(_Block):
    text: str = Field(description="The button's label.")
    url: str = Field(description="Where it leads (expressions rendered; `{{ app.url }}` is the app's page).")
    style: ButtonStyle = "DEFAULT"
    size: ButtonSize = "DEFAULT"


class Loading(_Block):
    pass


class RedirectTo(_Block):
    url: str = Field(description="Where the visitor is sent (expressions rendered).")
    delay: str | None = Field(default=None, description="ISO-8601 duration to wait first, e.g. PT5S.")


class Chart(_Block):
    title: str | None = None
    chart_type: Literal["BAR", "LINE", "PIE"] = Field(default="BAR", description="How the rows are drawn.")
    data: str | list[dict[str, Any]] = Field(description="The rows: a list of maps, or an expression giving one "
                                                        "(e.g. `{{ outputs.stats.values.rows }}`).")
    x: str = Field(description="The key of each row drawn on the x axis (a PIE: the slice names).")
    y: str = Field(description="The key of each row's value.")


class _ExecutionButton(_Block):
    text: str | None = Field(default=None, description="The button's label.")
    style: ButtonStyle = "DEFAULT"
    size: ButtonSize = "DEFAULT"


class CreateExecutionForm(_Block):
    pass


class CreateExecutionButton(_ExecutionButton):
    pass


class ResumeExecutionForm(_Block):
    pass


class ResumeExecutionButton(_ExecutionButton):
    pass


class CancelExecutionButton(_ExecutionButton):
    pass


class NameFilter(_Model):
    include: list[str] = Field(default_factory=list, description="Only these ids (empty: all).")
    exclude: list[str] = Field(default_factory=list, description="Not these ids.")

    def keeps(self, name: str) -> bool:
        return (not self.include or name in self.include) and name not in self.exclude


class Inputs(_Block):
    filter: NameFilter = Field(default_factory=NameFilter, description="Which of the execution's inputs.")


class Outputs(_Block):
    filter: NameFilter = Field(default_factory=NameFilter, description="Which of the execution's flow outputs.")


class LogFilter(_Model):
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] | None = Field(
        default=None, description="The lowest level shown.")
    task_ids: list[str] = Field(default_factory=list, description="Only the lines of these tasks (empty: all).")


class Logs(_Block):
    filter: LogFilter = Field(default_factory=LogFilter)


class TaskOutput(_Model):
    display_name: str
    value: str = Field(description="An expression such as `{{ outputs.task.value }}`.")
    type: Literal["FILE", "TEXT", "JSON", "HTML"] = "TEXT"


class TaskOutputs(_Block):
    outputs: list[TaskOutput] = Field(min_length=1)


class Route(_Block):
    """Kestra's internal block in its default layout (where the page goes next): the page does that itself, so
    it shows nothing; accepted so that Kestra's layouts load unchanged."""


class Grid(_Block):
    columns: int = Field(default=2, ge=1, le=12, description="Columns of the grid; a block spans `span` of them.")
    gap: Literal["SMALL", "MEDIUM", "LARGE"] = "MEDIUM"
    blocks: list[Block] = Field(min_length=1, description="The blocks, left to right, wrapping when a row is full.")


BLOCKS: dict[str, type[_Block]] = {cls.__name__: cls for cls in (
    Markdown, Alert, Button, Loading, RedirectTo, Chart, CreateExecutionForm, CreateExecutionButton,
    ResumeExecutionForm, ResumeExecutionButton, CancelExecutionButton, Inputs, Outputs, Logs, TaskOutputs, Grid,
    Route)}
UNKNOWN = "unknown-block"


def block_kind(type_name: object) -> str | None:
    """The short name of a block type written short or with one of Kestra's packages; None when unknown."""
    if not isinstance(type_name, str):
        return None
    for prefix in ("", *BLOCK_PREFIXES):
        if type_name.startswith(prefix) and type_name[len(prefix):] in BLOCKS:
            return type_name[len(prefix):]
    return None


def _tag(value: Any) -> str:
    raw = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return block_kind(raw) or UNKNOWN


class UnknownBlock(_Block):
    """A block whose type is not one of BLOCKS: legato.apps.parse reports it with the known names."""

    model_config = ConfigDict(frozen=True, extra="allow")


Block = Annotated[
    Annotated[Markdown, Tag("Markdown")] | Annotated[Alert, Tag("Alert")] | Annotated[Button, Tag("Button")]
    | Annotated[Loading, Tag("Loading")] | Annotated[RedirectTo, Tag("RedirectTo")] | Annotated[Chart, Tag("Chart")]
    | Annotated[CreateExecutionForm, Tag("CreateExecutionForm")]
    | Annotated[CreateExecutionButton, Tag("CreateExecutionButton")]
    | Annotated[ResumeExecutionForm, Tag("ResumeExecutionForm")]
    | Annotated[ResumeExecutionButton, Tag("ResumeExecutionButton")]
    | Annotated[CancelExecutionButton, Tag("CancelExecutionButton")]
    | Annotated[Inputs, Tag("Inputs")] | Annotated[Outputs, Tag("Outputs")] | Annotated[Logs, Tag("Logs")]
    | Annotated[TaskOutputs, Tag("TaskOutputs")] | Annotated[Grid, Tag("Grid")] | Annotated[Route, Tag("Route")]
    | Annotated[UnknownBlock, Tag(UNKNOWN)],
    Discriminator(_tag)]
Grid.model_rebuild()


class StageLayout(_Model):
    on: Stage = Field(description="The stage these blocks are shown at.")
    blocks: list[Block] = Field(default_factory=list)


class Access(_Model):
    type: Literal["PUBLIC", "PRIVATE"] = Field(default="PRIVATE", description="PUBLIC: anyone with the link; "
                                               "PRIVATE: signed-in users allowed to use apps of the namespace.")
    groups: list[str] = Field(default_factory=list, description="PRIVATE: only members of these groups.")
    catalog: bool = Field(default=True, description="Listed in the apps catalogue.")


class Expiration(_Model):
    start_date: datetime | None = None
    end_date: datetime | None = None


def _default_layout() -> list[StageLayout]:
    return [StageLayout(on=Stage.OPEN, blocks=[CreateExecutionForm(type="CreateExecutionForm"),
                                               CreateExecutionButton(type="CreateExecutionButton", text="Submit")]),
            StageLayout(on=Stage.CREATED, blocks=[Markdown(type="Markdown",
                                                           content="Thanks for submitting your request!")])]


class App(_Model):
    id: str = Field(pattern=ID_PATTERN, max_length=100, description="The app's id, unique in the instance.")
    type: str = Field(default=APP_TYPES[0], description="io.kestra.plugin.ee.apps.Execution.")
    display_name: str = Field(min_length=1, max_length=150, description="The app's title.")
    description: str | None = None
    namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=150, description="The app's namespace.")
    flow_id: str = Field(pattern=FLOW_ID_PATTERN, max_length=100, description="The flow each submission starts.")
    flow_revision: int | None = Field(default=None, ge=1, description="A fixed revision of the flow (latest if unset).")
    access: Access = Field(default_factory=Access)
    tags: list[str] = Field(default_factory=list)
    disabled: bool = False
    expiration: Expiration | None = None
    layout: list[StageLayout] = Field(default_factory=_default_layout)

    @field_validator("access", mode="before")
    @classmethod
    def _short_access(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value  # Kestra's docs write `access: PUBLIC`

    def blocks_at(self, stage: Stage) -> list[Any]:
        """The blocks of `stage` (None when the layout has no entry for it)."""
        return next((list(s.blocks) for s in self.layout if s.on == stage), [])

    def has_stage(self, stage: Stage) -> bool:
        return any(s.on == stage for s in self.layout)
