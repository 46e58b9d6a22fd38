"""Trigger models (Schedule, ScheduleOnDates, Flow, Webhook) and the label lists flows and triggers share.

Parsed and validated only: firing them belongs to the scheduler. Registered in TRIGGERS under a short name,
Kestra's current class name and its pre-0.17 one.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)

from legato.model.conditions import ConditionField
from legato.model.durations import Duration
from legato.model.errors import suggest
from legato.model.execution import Label
from legato.model.state import State
from legato.model.task import TASK_ID_PATTERN, TRIGGERS, Frozen, LogLevel, WorkerGroup, WorkerSelector
from legato.model.taskfield import CTX_TRIGGERS, resolver
from legato.model.triggers_cron import CronSpec, parse_cron


def _labels(value: Any) -> Any:
    """Kestra writes labels as a map or as a list of {key, value}; both become a list of Label."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [{"key": k, "value": v} for k, v in value.items()]
    if not isinstance(value, list):
        raise ValueError("labels must be a map of key: value, or a list of {key, value}")
    out = []
    for item in value:
        if isinstance(item, Label):
            out.append(item)
            continue
        if not isinstance(item, dict) or set(item) != {"key", "value"}:
            raise ValueError(f"each label must be a {{key, value}} pair, got {item!r}")
        key, val = item["key"], item["value"]
        if isinstance(val, bool):
            val = str(val).lower()
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"label key {key!r} must be non-empty text")
        if val is None or isinstance(val, dict | list) or str(val) == "":
            raise ValueError(f"label '{key}' needs a non-empty text value")
        out.append(Label(key=key, value=str(val)))
    return out


Labels: TypeAlias = Annotated[
    list[Label], BeforeValidator(_labels, json_schema_input_type=dict[str, str | int | float | bool] | list[Label])
]


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone, else ValueError with the closest known name."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'{suggest(name, sorted(zoneinfo.available_timezones()))}") from None
    return name


def kestra_names(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.trigger.{name}", f"io.kestra.core.models.triggers.types.{name}")


class Trigger(Frozen):
    """Properties every trigger has."""

    TYPE: ClassVar[str] = ""
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=TASK_ID_PATTERN, description="Unique id of the trigger within the flow.")
    type: str = Field(description="Trigger type: Legato's short name or Kestra's class name.")
    description: str | None = Field(default=None, description="Free text shown in the UI (Markdown).")
    disabled: bool = Field(default=False, description="A disabled trigger never fires.")
    stopAfter: list[State] | None = Field(default=None, description="Disable the trigger once an execution it created ends in one of these states.")
    labels: Labels = Field(default_factory=list, description="Labels added to the executions this trigger creates.")
    inputs: dict[str, Any] | None = Field(default=None, description="Inputs of the executions this trigger creates.")
    conditions: list[ConditionField] | None = Field(default=None, description="All must hold for the trigger to fire.")
    logLevel: LogLevel | None = Field(default=None, description="Minimum level of the trigger's own logs.")
    logToFile: bool = Field(default=False, description="Kestra compatibility: accepted, logs are always stored.")
    workerGroup: WorkerGroup | None = Field(default=None, description="Worker group that evaluates this trigger.")
    workerSelector: WorkerSelector | None = Field(default=None, description="Kestra 2.0: the tags of the workers that may evaluate this trigger.")
    failOnTriggerError: bool = Field(default=False, description="Create a FAILED execution when evaluating the trigger fails.")


TriggerField: TypeAlias = Annotated[Trigger, WrapValidator(resolver("trigger", CTX_TRIGGERS, TRIGGERS, with_defaults=True))]


class Backfill(Frozen):
    """Kestra's deprecated `backfill` of a Schedule in the flow (backfills are now started from the UI or the API):
    accepted, `{}` included, and left to the API's backfills."""

    start: datetime | None = Field(default=None, description="First scheduled date to replay.")
    end: datetime | None = Field(default=None, description="Last scheduled date to replay (default: now).")
    currentDate: datetime | None = Field(default=None, description="Progress of the backfill (set by the scheduler).")
    paused: bool = Field(default=False, description="Pause the backfill.")
    inputs: dict[str, Any] | None = Field(default=None, description="Inputs of the backfilled executions.")
    labels: Labels = Field(default_factory=list, description="Labels of the backfilled executions.")
    previousNextExecutionDate: datetime | None = Field(default=None, description="Set by the scheduler.")


@TRIGGERS.register
class Schedule(Trigger):
    TYPE: ClassVar[str] = "trigger.Schedule"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Schedule")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 2 * * *\"\n    timezone: Europe/Paris\n",
    )

    # withSeconds comes first so that the cron check can see it.
    withSeconds: bool = Field(default=False, description="The cron has a leading seconds field.")
    cron: str = Field(description="Cron expression (5 fields, 6 with withSeconds) or @hourly, @daily, @weekly, @monthly, @yearly.")
    timezone: str = Field(default="Etc/UTC", description="IANA time zone the cron is read in.")
    when: str | bool | list[ConditionField] | None = Field(default=None, description="Kestra 2.0 name of conditions (or an expression).")
    scheduleConditions: list[ConditionField] | None = Field(default=None, description="Deprecated name of conditions.")
    recoverMissedSchedules: Literal["ALL", "LAST", "NONE"] | None = Field(default=None, description="What to do with dates missed while the scheduler was down.")
    lateMaximumDelay: Duration | None = Field(default=None, description="Skip a date fired later than this after its time.")
    allowConcurrent: bool = Field(default=False, description="Fire even when the previous execution it created is still running.")
    backfill: Backfill | None = Field(default=None, description="Deprecated in Kestra (`backfill: {}` is common in "
                                                                 "older flows): accepted; start backfills from the UI or API.")
    interval: Duration | None = Field(default=None, description="Deprecated: accepted and ignored.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str, info: ValidationInfo) -> str:
        parse_cron(value, with_seconds=bool(info.data.get("withSeconds", False)))
        return value

    def cron_spec(self) -> CronSpec:
        """The parsed cron expression; the scheduler computes its fire times."""
        return parse_cron(self.cron, with_seconds=self.withSeconds)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)


@TRIGGERS.register
class ScheduleOnDates(Trigger):
    TYPE: ClassVar[str] = "trigger.ScheduleOnDates"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ScheduleOnDates")

    dates: list[datetime] = Field(min_length=1, description="The dates to fire at (ISO-8601).")
    timezone: str = Field(default="Etc/UTC", description="IANA time zone of dates written without an offset.")
    recoverMissedSchedules: Literal["ALL", "LAST", "NONE"] | None = Field(default=None, description="What to do with missed dates.")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)


# The transitions a Flow trigger sees by default: every end of an execution, and its pauses (as Kestra since 0.23).
FLOW_TRIGGER_STATES = frozenset(
    {State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.RETRIED, State.SKIPPED,
     State.PAUSED}
)
# ... and those it may list in `states`: also each start or resume (RUNNING), as in Kestra. CREATED is no
# transition, and the passing states (QUEUED, KILLING, RETRYING, ...) are not observed.
FLOW_TRIGGER_OBSERVABLE = FLOW_TRIGGER_STATES | {State.RUNNING}


def _observed(states: list[State] | None) -> list[State] | None:
    unseen = sorted(s.value for s in states or () if s not in FLOW_TRIGGER_OBSERVABLE)
    if unseen:
        allowed = ", ".join(sorted(s.value for s in FLOW_TRIGGER_OBSERVABLE))
        raise ValueError(f"a Flow trigger sees executions that start, pause or end, not {', '.join(unseen)} "
                         f"(use {allowed})")
    return states


class UpstreamFlow(Frozen):
    namespace: str = Field(description="Namespace of the upstream flow.")
    flowId: str = Field(description="Id of the upstream flow.")
    states: list[State] | None = Field(default=None, description="States of its execution that count (default: SUCCESS).")
    labels: dict[str, str] | None = Field(default=None, description="Labels its execution must carry.")

    @field_validator("states")
    @classmethod
    def _states(cls, value: list[State] | None) -> list[State] | None:
        return _observed(value)


class DependsOn(Frozen):
    """One upstream dependency of a Kestra 2.0 Flow trigger."""

    namespace: str | None = Field(default=None, description="Exact namespace of the upstream flow (any when absent; "
                                                            "prefixes go in `when`).")
    flowId: str | None = Field(default=None, description="Id of the upstream flow (any when absent).")
    states: list[State] | None = Field(default=None, description="States of its execution that count (default: "
                                                                 "every terminal state and PAUSED).")
    labels: dict[str, Any] | None = Field(default=None, description="Labels its execution must carry, all of them.")
    when: str | None = Field(default=None, description="Expression over the upstream execution (`namespace`, `flowId`, "
                                                        "`state`, `labels`, `outputs`, `hasRetryAttempt`).")

    @field_validator("states")
    @classmethod
    def _states(cls, value: list[State] | None) -> list[State] | None:
        return _observed(value)

    def key(self, index: int) -> str:
        """The entry's key in the trigger's state: its flow, so reordering entries keeps what was met."""
        if self.namespace or self.flowId:
            return f"{self.namespace or '*'}/{self.flowId or '*'}"
        return f"dependsOn[{index}]"


class DependsOnWindow(Frozen):
    """When `dependsOn` entries must be satisfied: one property group of deadline, from/to, every(+offset) or
    lookback (default: every P1D), and whether the trigger fires at most once per window."""

    deadline: time | None = Field(default=None, description="Every entry must be satisfied by this time of day (UTC "
                                                            "unless it carries an offset).")
    from_: time | None = Field(default=None, alias="from", description="Daily range: only ends from this time count.")
    to: time | None = Field(default=None, description="Daily range: only ends until this time count.")
    every: Duration | None = Field(default=None, description="Back-to-back windows of this length from midnight.")
    offset: Duration | None = Field(default=None, description="With `every`: shift of the windows from midnight.")
    lookback: Duration | None = Field(default=None, description="Rolling window looking back from each end.")
    fireOnce: bool = Field(default=False, description="Fire at most once per window (else each time the entries are met).")

    @model_validator(mode="after")
    def _one_group(self) -> DependsOnWindow:
        groups = [name for name, used in (
            ("deadline", self.deadline is not None), ("from/to", self.from_ is not None or self.to is not None),
            ("every", self.every is not None), ("lookback", self.lookback is not None),
        ) if used]
        if len(groups) > 1:
            raise ValueError(f"a window takes one of deadline, from/to, every or lookback, not {' and '.join(groups)}")
        if (self.from_ is None) != (self.to is None):
            raise ValueError("a daily range needs both `from` and `to`")
        if self.offset is not None and self.every is None:
            raise ValueError("`offset` goes with `every`")
        return self


class OnMiss(Frozen):
    """What happens when a `window.deadline` passes before every dependency was satisfied."""

    behavior: Literal["FAIL", "NONE"] = Field(default="FAIL", description="FAIL: create a FAILED execution; NONE: nothing.")
    labels: dict[str, Any] | None = Field(default=None, description="Labels of the FAILED execution.")


def is_legacy_window(value: Any) -> bool:
    """A `window` written in the 1.x timeWindow shape (it names its `type`)."""
    return isinstance(value, dict) and "type" in value


class Filter(Frozen):
    field: Literal["FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION"] = Field(description="What the filter looks at.")
    type: Literal[
        "EQUAL_TO", "NOT_EQUAL_TO", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH", "REGEX", "CONTAINS",
        "IS_TRUE", "IS_FALSE", "IS_NULL", "IS_NOT_NULL",
    ] = Field(description="Comparison (EXPRESSION: `value` is the expression, its result is compared).")
    value: Any = Field(default=None, description="Value to compare with.")
    values: list[Any] | None = Field(default=None, description="Values to compare with (IN, NOT_IN).")


class Where(Frozen):
    id: str = Field(description="Id of this group of filters.")
    operand: Literal["AND", "OR"] = Field(default="AND", description="How the filters combine.")
    filters: list[Filter] = Field(min_length=1, description="Filters on upstream executions.")


class TimeWindow(Frozen):
    type: Literal["DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"] = Field(
        default="DURATION_WINDOW", description="Shape of the window in which all upstream executions must end."
    )
    window: Duration | None = Field(default=None, description="Window length (DURATION_WINDOW, SLIDING_WINDOW).")
    windowAdvance: Duration | None = Field(default=None, description="Offset of the window's start.")
    deadline: time | None = Field(default=None, description="Time of day (UTC) by which all must have ended (DAILY_TIME_DEADLINE).")
    startTime: time | None = Field(default=None, description="Window start time of day, UTC (DAILY_TIME_WINDOW).")
    endTime: time | None = Field(default=None, description="Window end time of day, UTC (DAILY_TIME_WINDOW).")

    @model_validator(mode="after")
    def _complete(self) -> TimeWindow:
        if self.type == "DAILY_TIME_DEADLINE" and self.deadline is None:
            raise ValueError("a DAILY_TIME_DEADLINE window needs `deadline`")
        if self.type == "DAILY_TIME_WINDOW" and (self.startTime is None or self.endTime is None):
            raise ValueError("a DAILY_TIME_WINDOW window needs `startTime` and `endTime`")
        return self


class Preconditions(Frozen):
    id: str | None = Field(default=None, description="Id of this set of preconditions.")
    flows: list[UpstreamFlow] | None = Field(default=None, description="Upstream flows that must all have ended.")
    where: list[Where] | None = Field(default=None, description="Filters on upstream executions.")
    timeWindow: TimeWindow | None = Field(default=None, description="Window in which the preconditions must all be met.")
    resetOnSuccess: bool = Field(default=True, description="Start over once all preconditions were met.")


def _window_kind(value: Any) -> str:
    if isinstance(value, TimeWindow) or is_legacy_window(value):
        return "legacy"
    return "v2"


Window: TypeAlias = Annotated[
    Annotated[TimeWindow, Tag("legacy")] | Annotated[DependsOnWindow, Tag("v2")], Discriminator(_window_kind)
]


@TRIGGERS.register
class FlowTrigger(Trigger):
    TYPE: ClassVar[str] = "trigger.Flow"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Flow")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: after_both\n    type: io.kestra.plugin.core.trigger.Flow\n    dependsOn:\n"
        "      - {namespace: company.team, flowId: stg_sales}\n      - {namespace: company.team, flowId: stg_marketing}\n"
        "    window:\n      deadline: \"09:00:00\"\n    inputs:\n      rows: \"{{ trigger.outputs.stg_sales.row_count }}\"\n",
    )

    states: list[State] | None = Field(default=None, description="Fire when an upstream execution ends in (or pauses into) one of these (default: every terminal state and PAUSED).")
    preconditions: Preconditions | None = Field(default=None, description="Upstream executions that must have ended.")
    # Kestra 2.0's form of preconditions.
    dependsOn: list[DependsOn] | None = Field(default=None, description="Kestra 2.0: upstream flows whose executions this one waits for; their outputs are `trigger.outputs.<flowId>.<key>`.")
    mode: Literal["ALL", "ANY", "AT_LEAST"] = Field(default="ALL", description="Kestra 2.0: fire once ALL dependsOn entries are satisfied in the window, on ANY of them, or AT_LEAST `minSatisfied`.")
    minSatisfied: int | None = Field(default=None, ge=1, description="With mode AT_LEAST: how many entries must be satisfied.")
    window: Window | None = Field(default=None, description="Kestra 2.0: when dependsOn entries must be satisfied (deadline, from/to, every/offset, lookback; default every P1D) and fireOnce.")
    onMiss: OnMiss | None = Field(default=None, description="Kestra 2.0: what happens when window.deadline passes before every entry was satisfied.")
    when: str | bool | None = Field(default=None, description="Kestra 2.0: expression over the upstream execution (`namespace`, `flowId`, `state`, `labels`, `outputs`, `hasRetryAttempt`, `trigger.*`) that must render true.")

    @field_validator("states")
    @classmethod
    def _states(cls, value: list[State] | None) -> list[State] | None:
        return _observed(value)

    def observed_states(self) -> frozenset[State]:
        """The upstream transitions this trigger looks at: its `states`, else the default ones and any state a
        `dependsOn` entry or a precondition's flow lists."""
        if self.states:
            return frozenset(self.states)
        listed = [s for d in self.dependsOn or () for s in d.states or ()]
        listed += [s for f in (self.preconditions.flows if self.preconditions else None) or () for s in f.states or ()]
        return FLOW_TRIGGER_STATES | frozenset(listed)

    @model_validator(mode="after")
    def _one_form(self) -> FlowTrigger:
        if self.dependsOn is not None and self.preconditions is not None:
            raise ValueError("use either preconditions (Kestra 1.x) or dependsOn (Kestra 2.0), not both")
        given = [name for name in ("mode", "window", "minSatisfied", "onMiss") if name in self.model_fields_set]
        if self.dependsOn is None and given:
            raise ValueError(f"{', '.join(given)} go with dependsOn")
        if self.mode == "AT_LEAST" and not (self.minSatisfied and self.minSatisfied <= len(self.dependsOn or ())):
            raise ValueError("mode AT_LEAST needs minSatisfied between 1 and the number of dependsOn entries")
        if self.minSatisfied is not None and self.mode != "AT_LEAST":
            raise ValueError("minSatisfied goes with mode AT_LEAST")
        if self.onMiss is not None and not (isinstance(self.window, DependsOnWindow) and self.window.deadline):
            raise ValueError("onMiss needs a window with a deadline")
        return self


@TRIGGERS.register
class McpToolTrigger(Trigger):
    """Offers the flow as a tool of `legato mcp`: the flow's inputs are the tool's parameters, its outputs the
    answer. Nothing fires on its own; each call of the tool is an execution labelled `system.from: mcp`."""

    TYPE: ClassVar[str] = "trigger.McpToolTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("McpToolTrigger")

    toolName: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The tool's name (letters, digits, `_`, `-`; at most 64).")
    title: str | None = Field(default=None, description="The tool's title, for people.")
    toolDescription: str | None = Field(default=None, description="What the tool does and when to call it, for the model (default: the flow's description).")
    mcpServer: str = Field(default="default", min_length=1, max_length=100, description="The MCP server offering the tool: `legato mcp --mcp-server NAME` (default: `default`).")


@TRIGGERS.register
class Webhook(Trigger):
    TYPE: ClassVar[str] = "trigger.Webhook"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Webhook")

    key: str = Field(min_length=1, max_length=256, description="Secret part of the webhook URL (an expression such as `{{ secret('HOOK_KEY') }}` is rendered).")
    when: str | bool | list[ConditionField] | None = Field(default=None, description="Kestra 2.0 form of conditions: an expression on `trigger.body`, `trigger.headers`, `trigger.parameters`, or a list of conditions.")
    wait: bool = Field(default=False, description="Answer the HTTP call only once the execution ended.")
    returnOutputs: bool = Field(default=False, description="With wait: answer with the execution's outputs.")
    responseContentType: str | None = Field(default=None, description="Content-Type of the answer.")

    @model_validator(mode="after")
    def _outputs_need_wait(self) -> Webhook:
        if self.returnOutputs and not self.wait:
            raise ValueError("returnOutputs needs wait: true")
        return self
