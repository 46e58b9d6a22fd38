"""Evaluating trigger conditions (Kestra's condition types) against a fire: a scheduled date, an upstream
execution, or both. Pure apart from rendering expressions and the `holidays` calendar."""

from __future__ import annotations

import calendar
import locale
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, tzinfo
from typing import Any

from legato.expressions import Renderer
from legato.model import conditions as c
from legato.model.execution import Execution, TaskRun
from legato.model.state import State

_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_NTH = {"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4}


class ConditionError(ValueError):
    """A condition could not be evaluated (bad date expression, unknown country, unsupported type)."""


@dataclass(frozen=True)
class ConditionContext:
    """What conditions look at: the render variables (`trigger`, `flow`), the fire's date in the trigger's
    time zone and, for Flow triggers, the upstream execution."""

    variables: Mapping[str, Any]
    renderer: Renderer
    date: datetime | None = None
    zone: tzinfo | None = None
    execution: Execution | None = None
    task_runs: Callable[[], Sequence[TaskRun]] = field(default=lambda: ())


def truthy(value: Any) -> bool:
    """Kestra's reading of a rendered condition: true, or the text 'true'."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def all_hold(conditions: Sequence[c.Condition] | None, ctx: ConditionContext) -> bool:
    """True when every condition holds (no conditions: True)."""
    return all(holds(condition, ctx) for condition in conditions or ())


def when_holds(when: Any, ctx: ConditionContext) -> bool:
    """A trigger's Kestra 2.0 `when`: absent or true, an expression that renders truthy, or conditions that
    all hold."""
    if when is None or isinstance(when, bool):
        return when is not False
    if isinstance(when, str):
        return truthy(render(ctx, when))
    return all_hold(when, ctx)


def with_upstream(ctx: ConditionContext, expression: Any = None) -> ConditionContext:
    """`ctx` with Kestra 2.0's variables of a Flow trigger's `when`: the upstream execution's `namespace`,
    `flowId`, `state`, `labels`, `outputs` and `hasRetryAttempt` (computed only when the expression names it)."""
    execution = ctx.execution
    if execution is None:
        return ctx
    extra: dict[str, Any] = {
        "namespace": execution.namespace, "flowId": execution.flow_id, "state": execution.state.value,
        "labels": {lb.key: lb.value for lb in execution.labels}, "outputs": execution.outputs or {},
    }
    if not isinstance(expression, str) or "hasRetryAttempt" in expression:
        extra["hasRetryAttempt"] = any(len(run.attempts) > 1 for run in ctx.task_runs())
    return replace(ctx, variables={**ctx.variables, **extra})


def holds(condition: c.Condition, ctx: ConditionContext) -> bool:
    """Whether one condition holds; ConditionError when it cannot be evaluated."""
    match condition:
        case c.Not():
            return not any(holds(inner, ctx) for inner in condition.conditions)
        case c.Or():
            return any(holds(inner, ctx) for inner in condition.conditions)
        case c.Expression():
            return truthy(_render(ctx, condition.expression))
        case c.DayWeek() | c.DayWeekInMonth() | c.Weekend() | c.PublicHoliday() | c.TimeBetween() | c.DateTimeBetween():
            return _date_holds(condition, _date(condition, ctx), ctx)
        case c.ExecutionFlow() | c.ExecutionNamespace() | c.FlowNamespaceCondition() | c.ExecutionStatus():
            return _execution_holds(condition, _execution(ctx))
        case c.ExecutionLabels() | c.ExecutionOutputs() | c.HasRetryAttempt():
            return _execution_data_holds(condition, _execution(ctx), ctx)
    raise ConditionError(f"condition {condition.type} cannot gate this trigger")


def render(ctx: ConditionContext, expression: str) -> Any:
    """The expression's typed value with the context's variables; ConditionError when it fails."""
    return _render(ctx, expression)


def _render(ctx: ConditionContext, expression: str) -> Any:
    try:
        return ctx.renderer.render_typed(expression, ctx.variables)
    except Exception as exc:  # the expression engine's errors name the template
        raise ConditionError(f"cannot evaluate '{expression}': {exc}") from None


def _date(condition: Any, ctx: ConditionContext) -> datetime:
    """The date the condition tests: the fire's date by default, else its `date` expression."""
    if condition.date == "{{ trigger.date }}" and ctx.date is not None:
        return ctx.date
    value = _render(ctx, condition.date)
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).split("[", 1)[0]  # Kestra's ZonedDateTime text ends with [Zone/Name]
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ConditionError(f"date '{value}' of condition {condition.type} is not an ISO date") from None
    if parsed.tzinfo is None and ctx.zone is not None:
        parsed = parsed.replace(tzinfo=ctx.zone)
    return parsed.astimezone(ctx.zone) if ctx.zone is not None else parsed


def _date_holds(condition: Any, date: datetime, ctx: ConditionContext) -> bool:
    match condition:
        case c.DayWeek():
            return _WEEKDAYS[date.weekday()] == condition.dayOfWeek
        case c.DayWeekInMonth():
            if _WEEKDAYS[date.weekday()] != condition.dayOfWeek:
                return False
            if condition.dayInMonth == "LAST":
                return date.day + 7 > calendar.monthrange(date.year, date.month)[1]
            return (date.day - 1) // 7 + 1 == _NTH[condition.dayInMonth]
        case c.Weekend():
            return date.weekday() >= 5
        case c.PublicHoliday():
            return _is_holiday(date, condition.country, condition.subDivision)
        case c.TimeBetween():
            return _time_between(date, condition.after, condition.before)
        case c.DateTimeBetween():
            after = _aware(condition.after, ctx)
            before = _aware(condition.before, ctx)
            return (after is None or date > after) and (before is None or date < before)
    raise ConditionError(f"condition {condition.type} is not a date condition")


def _aware(value: datetime | None, ctx: ConditionContext) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ctx.zone) if ctx.zone is not None else value


def _time_between(date: datetime, after: time | None, before: time | None) -> bool:
    """Strictly between; a bound with an offset is compared in that offset, one without in the date's zone."""

    def local(bound: time) -> time:
        return (date if bound.tzinfo is None else date.astimezone(bound.tzinfo)).time()

    return (after is None or local(after) > after.replace(tzinfo=None)) and (
        before is None or local(before) < before.replace(tzinfo=None)
    )


def _is_holiday(date: datetime, country: str | None, subdivision: str | None) -> bool:
    import holidays  # a large module: only loaded by flows that use the condition

    code = country or _default_country()
    try:
        calendar_ = holidays.country_holidays(code.upper(), subdiv=subdivision)
    except NotImplementedError:
        raise ConditionError(f"no public holiday calendar for country '{code}' (subdivision {subdivision!r})") from None
    return date.date() in calendar_


def _default_country() -> str:
    """The country of the server's locale (Kestra's default), e.g. FR from fr_FR.UTF-8."""
    name = locale.getlocale()[0] or ""
    if "_" not in name:
        raise ConditionError("PublicHoliday needs a `country`: the server's locale names none")
    return name.split("_", 1)[1][:2]


def _execution(ctx: ConditionContext) -> Execution:
    if ctx.execution is None:
        raise ConditionError("execution conditions apply to Flow triggers only")
    return ctx.execution


def _execution_holds(condition: Any, execution: Execution) -> bool:
    match condition:
        case c.ExecutionFlow():
            return (execution.namespace, execution.flow_id) == (condition.namespace, condition.flowId)
        case c.ExecutionNamespace():
            mode = condition.comparison or ("PREFIX" if condition.prefix else "EQUALS")
            if mode == "PREFIX":
                return execution.namespace.startswith(condition.namespace)
            if mode == "SUFFIX":
                return execution.namespace.endswith(condition.namespace)
            return execution.namespace == condition.namespace
        case c.FlowNamespaceCondition():
            if condition.prefix:
                return execution.namespace.startswith(condition.namespace)
            return execution.namespace == condition.namespace
        case c.ExecutionStatus():
            return _in(execution.state, condition.in_, condition.notIn)
    raise ConditionError(f"condition {condition.type} is not an execution condition")


def _in(state: State, among: Sequence[State] | None, not_among: Sequence[State] | None) -> bool:
    return (not among or state in among) and (not not_among or state not in not_among)


def _execution_data_holds(condition: Any, execution: Execution, ctx: ConditionContext) -> bool:
    match condition:
        case c.ExecutionLabels():
            wanted = condition.labels
            pairs = wanted.items() if isinstance(wanted, dict) else [(x["key"], x["value"]) for x in wanted]
            have = {(lb.key, lb.value) for lb in execution.labels}
            return all((k, str(v)) in have for k, v in pairs)
        case c.ExecutionOutputs():
            return bool(execution.outputs) and truthy(_render(ctx, condition.expression))
        case c.HasRetryAttempt():
            retried = [a.state for run in ctx.task_runs() if len(run.attempts) > 1 for a in run.attempts[:-1]]
            return any(_in(state, condition.in_, condition.notIn) for state in retried)
    raise ConditionError(f"condition {condition.type} is not an execution condition")
