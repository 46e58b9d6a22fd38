"""Conditions that gate triggers (Kestra's condition types), resolved by `type`. Parsed and validated here;
evaluating them belongs to the scheduler and executor."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import Field, WrapValidator

from legato.model.durations import Duration
from legato.model.state import State
from legato.model.task import Frozen, TaskRegistry
from legato.model.taskfield import resolver

CONDITIONS = TaskRegistry()
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
_TRIGGER_DATE = "{{ trigger.date }}"


def kestra_names(name: str, *old: str) -> tuple[str, ...]:
    """Kestra's current and pre-0.17 class names of the condition `name` (plus extra old simple names), and the
    `io.kestra.plugin.core.condition.<name>Condition` form Kestra also resolves (seen in its own test flows)."""
    current = f"io.kestra.plugin.core.condition.{name}"
    legacy = [f"io.kestra.core.models.conditions.types.{n}" for n in (f"{name}Condition", *old)]
    return (current, f"{current}Condition", *legacy)


class Condition(Frozen):
    """Properties every condition has."""

    TYPE: ClassVar[str] = ""
    ALIASES: ClassVar[tuple[str, ...]] = ()

    type: str = Field(description="Condition type: Legato's short name or Kestra's class name.")


ConditionField: TypeAlias = Annotated[
    Condition, WrapValidator(resolver("condition", "conditions", CONDITIONS, with_defaults=False))
]


@CONDITIONS.register
class ExecutionFlow(Condition):
    TYPE: ClassVar[str] = "condition.ExecutionFlow"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ExecutionFlow")
    namespace: str = Field(description="Namespace of the flow whose execution is evaluated.")
    flowId: str = Field(description="Id of that flow.")


@CONDITIONS.register
class FlowCondition(ExecutionFlow):
    TYPE: ClassVar[str] = "condition.Flow"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.condition.FlowCondition", "io.kestra.core.models.conditions.types.FlowCondition")


@CONDITIONS.register
class ExecutionNamespace(Condition):
    TYPE: ClassVar[str] = "condition.ExecutionNamespace"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ExecutionNamespace")
    namespace: str = Field(description="Namespace to compare with the execution's.")
    comparison: Literal["EQUALS", "PREFIX", "SUFFIX"] | None = Field(default=None, description="How to compare (default EQUALS).")
    prefix: bool = Field(default=False, description="Deprecated: same as comparison PREFIX.")


@CONDITIONS.register
class FlowNamespaceCondition(Condition):
    TYPE: ClassVar[str] = "condition.FlowNamespace"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.condition.FlowNamespaceCondition", "io.kestra.core.models.conditions.types.FlowNamespaceCondition")
    namespace: str = Field(description="Namespace to compare with the execution's.")
    prefix: bool = Field(default=False, description="Match every namespace starting with `namespace`.")


@CONDITIONS.register
class ExecutionStatus(Condition):
    TYPE: ClassVar[str] = "condition.ExecutionStatus"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ExecutionStatus")
    in_: list[State] | None = Field(default=None, alias="in", description="The execution's state must be one of these.")
    notIn: list[State] | None = Field(default=None, description="The execution's state must be none of these.")


@CONDITIONS.register
class HasRetryAttempt(Condition):
    TYPE: ClassVar[str] = "condition.HasRetryAttempt"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("HasRetryAttempt")
    in_: list[State] | None = Field(default=None, alias="in", description="A retried attempt ended in one of these states.")
    notIn: list[State] | None = Field(default=None, description="No retried attempt ended in these states.")


@CONDITIONS.register
class ExecutionLabels(Condition):
    TYPE: ClassVar[str] = "condition.ExecutionLabels"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ExecutionLabels")
    labels: dict[str, str] | list[dict[str, str]] = Field(description="Labels the execution must carry (map or key/value list).")


@CONDITIONS.register
class ExecutionOutputs(Condition):
    TYPE: ClassVar[str] = "condition.ExecutionOutputs"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("ExecutionOutputs")
    expression: str = Field(description="Expression over the execution's `outputs`; true lets the trigger fire.")


@CONDITIONS.register
class Expression(Condition):
    TYPE: ClassVar[str] = "condition.Expression"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Expression", "VariableCondition")
    expression: str = Field(description="Expression that must render true.")


class _DateCondition(Condition):
    date: str = Field(default=_TRIGGER_DATE, description="Expression giving the date to test (the trigger's date by default).")


@CONDITIONS.register
class DayWeek(_DateCondition):
    TYPE: ClassVar[str] = "condition.DayWeek"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("DayWeek")
    dayOfWeek: DayOfWeek = Field(description="The day the date must fall on.")


@CONDITIONS.register
class DayWeekInMonth(_DateCondition):
    TYPE: ClassVar[str] = "condition.DayWeekInMonth"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("DayWeekInMonth")
    dayOfWeek: DayOfWeek = Field(description="The day of the week.")
    dayInMonth: Literal["FIRST", "SECOND", "THIRD", "FOURTH", "LAST"] = Field(description="Which one of that day in the month.")


@CONDITIONS.register
class Weekend(_DateCondition):
    TYPE: ClassVar[str] = "condition.Weekend"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Weekend")


@CONDITIONS.register
class PublicHoliday(_DateCondition):
    TYPE: ClassVar[str] = "condition.PublicHoliday"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("PublicHoliday")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country code (default: the server's).")
    subDivision: str | None = Field(default=None, description="ISO 3166-2 region code.")


@CONDITIONS.register
class TimeBetween(_DateCondition):
    TYPE: ClassVar[str] = "condition.TimeBetween"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("TimeBetween")
    after: time | None = Field(default=None, description="The time of day must be later than this.")
    before: time | None = Field(default=None, description="The time of day must be earlier than this.")


@CONDITIONS.register
class DateTimeBetween(_DateCondition):
    TYPE: ClassVar[str] = "condition.DateTimeBetween"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("DateTimeBetween")
    after: datetime | None = Field(default=None, description="The date must be later than this.")
    before: datetime | None = Field(default=None, description="The date must be earlier than this.")


@CONDITIONS.register
class Not(Condition):
    TYPE: ClassVar[str] = "condition.Not"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Not")
    conditions: list[ConditionField] = Field(min_length=1, description="True when none of these is true.")


@CONDITIONS.register
class Or(Condition):
    TYPE: ClassVar[str] = "condition.Or"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("Or")
    conditions: list[ConditionField] = Field(min_length=1, description="True when at least one of these is true.")


@CONDITIONS.register
class MultipleCondition(Condition):
    TYPE: ClassVar[str] = "condition.MultipleCondition"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.condition.MultipleCondition",
        "io.kestra.core.models.conditions.types.MultipleCondition",
    )
    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$", description="Unique id of this multiple condition in the flow.")
    window: Duration | None = Field(default=None, description="Time window in which every condition must be met.")
    windowAdvance: Duration | None = Field(default=None, description="Offset of the window's start.")
    timeSLA: dict[str, Any] | None = Field(default=None, description="Kestra's later form of the window (accepted as is).")
    conditions: dict[str, ConditionField] = Field(min_length=1, description="Named conditions that must all have been met.")
    resetOnSuccess: bool = Field(default=True, description="Start over once all conditions were met.")
