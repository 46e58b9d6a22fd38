"""Preconditions of Flow triggers: which upstream executions count, and the time window they must all end in.

A trigger's preconditions are a list of named items (one per `preconditions.flows` entry, per `where` group,
per MultipleCondition condition, per Kestra 2.0 `dependsOn` entry). An ended execution that matches an item
marks it met, with the execution's id and end date; once every item is met in the current window, the trigger
fires, and with `resetOnSuccess` (the default) starts over. Windows, all in UTC (Kestra uses the server's zone):

- DURATION_WINDOW (default, one day): back-to-back windows of `window` starting at midnight + `windowAdvance`.
- SLIDING_WINDOW: an item counts while it was met less than `window` ago.
- DAILY_TIME_DEADLINE: from midnight until `deadline`; ends after it count for nothing that day.
- DAILY_TIME_WINDOW: from `startTime` until `endTime` each day; ends outside it count for nothing.

Pure: the state comes in and goes out as a value; the store keeps it between ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from legato import regex
from legato.model import conditions as c
from legato.model.execution import Execution
from legato.model.state import State
from legato.model.triggers import Filter, FlowTrigger, TimeWindow, UpstreamFlow, Where
from legato.scheduler import conditions as cond
from legato.store.ports import PreconditionState

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Item:
    """One precondition: `matches(execution, ctx)` says whether an ended execution meets it."""

    id: str
    matches: Callable[[Execution, cond.ConditionContext], bool]


@dataclass(frozen=True)
class Window:
    """How the items of one trigger must line up in time."""

    type: str = "DURATION_WINDOW"
    length: timedelta = _DAY
    advance: timedelta = timedelta(0)
    start_time: time | None = None
    end_time: time | None = None

    @classmethod
    def of(cls, window: TimeWindow | None, length: timedelta | None = None, advance: timedelta | None = None) -> Window:
        if window is None:
            return cls(length=length or _DAY, advance=advance or timedelta(0))
        start, end = (None, window.deadline) if window.type == "DAILY_TIME_DEADLINE" else (window.startTime, window.endTime)
        return cls(type=window.type, length=window.window or length or _DAY,
                   advance=window.windowAdvance or advance or timedelta(0), start_time=start, end_time=end)

    def bounds(self, moment: datetime) -> tuple[datetime | None, datetime | None] | None:
        """The window `moment` falls in ((None, None) for a sliding one); None when it falls in none."""
        moment = moment.astimezone(UTC)
        midnight = datetime.combine(moment.date(), time(0), tzinfo=UTC)
        if self.type == "SLIDING_WINDOW":
            return None, None
        if self.type in ("DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"):
            start = midnight + _since_midnight(self.start_time)
            end = midnight + _since_midnight(self.end_time)
            return (start, end) if start <= moment <= end else None
        base = midnight + self.advance
        while base > moment:
            base -= _DAY
        start = base + self.length * ((moment - base) // self.length)
        return start, start + self.length


def _since_midnight(moment: time | None) -> timedelta:
    if moment is None:
        return timedelta(0)
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


@dataclass(frozen=True)
class Plan:
    """A trigger's preconditions: the items, their window, whether all or any must be met, and the reset."""

    items: tuple[Item, ...]
    window: Window
    every: bool = True  # all items (else any one of them)
    reset_on_success: bool = True


def plan_of(trigger: FlowTrigger) -> Plan | None:
    """The trigger's preconditions in whichever form it wrote them; None when it has none."""
    if trigger.dependsOn is not None:
        upstream = tuple(_upstream_item(f"dependsOn[{i}]", flow) for i, flow in enumerate(trigger.dependsOn))
        return Plan(upstream, Window.of(trigger.window), every=trigger.mode == "ALL")
    multiple = [x for x in trigger.conditions or () if isinstance(x, c.MultipleCondition)]
    pre = trigger.preconditions
    if pre is None and not multiple:
        return None
    items: list[Item] = []
    window = Window()
    reset = True
    if pre is not None:
        items += [_upstream_item(f"flows[{i}]", flow) for i, flow in enumerate(pre.flows or ())]
        items += [_where_item(where) for where in pre.where or ()]
        window, reset = Window.of(pre.timeWindow), pre.resetOnSuccess
    for mc in multiple:  # Kestra's older form of the same thing
        items += [_condition_item(f"{mc.id}.{name}", inner) for name, inner in mc.conditions.items()]
        window, reset = _multiple_window(mc), mc.resetOnSuccess
    return Plan(tuple(items), window, reset_on_success=reset) if items else None


def _multiple_window(mc: c.MultipleCondition) -> Window:
    sla = mc.timeSLA or {}
    if sla:
        return Window.of(TimeWindow.model_validate(sla), mc.window, mc.windowAdvance)
    return Window.of(None, mc.window, mc.windowAdvance)


def _upstream_item(item_id: str, flow: UpstreamFlow) -> Item:
    wanted_states = frozenset(flow.states or (State.SUCCESS,))
    wanted_labels = dict(flow.labels or {})

    def matches(execution: Execution, ctx: cond.ConditionContext) -> bool:
        if (execution.namespace, execution.flow_id) != (flow.namespace, flow.flowId):
            return False
        labels = {lb.key: lb.value for lb in execution.labels}
        return execution.state in wanted_states and all(labels.get(k) == str(v) for k, v in wanted_labels.items())

    return Item(item_id, matches)


def _condition_item(item_id: str, condition: c.Condition) -> Item:
    return Item(item_id, lambda _execution, ctx: cond.holds(condition, ctx))


def _where_item(where: Where) -> Item:
    def matches(execution: Execution, ctx: cond.ConditionContext) -> bool:
        results = (_filter_holds(f, execution, ctx) for f in where.filters)
        return all(results) if where.operand == "AND" else any(results)

    return Item(where.id, matches)


def _filter_holds(f: Filter, execution: Execution, ctx: cond.ConditionContext) -> bool:
    if f.field == "EXPRESSION":
        subject: Any = cond.render(ctx, str(f.value)) if f.value is not None else None
        expected: Any = None
    else:
        subject = {"FLOW_ID": execution.flow_id, "NAMESPACE": execution.namespace, "STATE": execution.state.value}[f.field]
        expected = f.value
    return compare(f.type, subject, expected, f.values)


def compare(kind: str, subject: Any, expected: Any, values: list[Any] | None) -> bool:
    """One `where` filter's comparison of `subject` with `expected` (or `values`)."""
    text = "" if subject is None else str(subject)
    among = [str(v) for v in (values if values is not None else expected if isinstance(expected, list) else [expected])]
    match kind:
        case "EQUAL_TO":
            return text == str(expected)
        case "NOT_EQUAL_TO":
            return text != str(expected)
        case "IN":
            return text in among
        case "NOT_IN":
            return text not in among
        case "STARTS_WITH":
            return text.startswith(str(expected))
        case "ENDS_WITH":
            return text.endswith(str(expected))
        case "CONTAINS":
            return str(expected) in text
        case "REGEX":
            return regex.fullmatch(str(expected), text)
        case "IS_TRUE":
            return cond.truthy(subject)
        case "IS_FALSE":
            return not cond.truthy(subject)
        case "IS_NULL":
            return subject is None or text == ""
        case "IS_NOT_NULL":
            return not (subject is None or text == "")
    raise cond.ConditionError(f"unknown filter comparison {kind}")


@dataclass(frozen=True)
class Outcome:
    """What one ended execution did to a trigger's preconditions."""

    state: PreconditionState
    fire: bool
    changed: bool


def advance(plan: Plan, state: PreconditionState, matched: list[str], met_by: Mapping[str, Any],
            at: datetime) -> Outcome:
    """Mark `matched` items met by the execution described in `met_by`, ended `at`, in `state`'s window."""
    if not matched:
        return Outcome(state, False, False)
    bounds = plan.window.bounds(at)
    if bounds is None:  # a daily window outside its hours: this end counts for nothing
        return Outcome(state, False, False)
    start, end = bounds
    same_window = (state.window_start, state.window_end) == (start, end)
    met = dict(state.met) if same_window else {}
    if plan.window.type == "SLIDING_WINDOW":
        oldest = at - plan.window.length
        met = {k: v for k, v in met.items() if _met_at(v) > oldest}
    for item_id in matched:
        met[item_id] = {**met_by, "at": at.isoformat()}
    ids = [item.id for item in plan.items]
    fire = all(i in met for i in ids) if plan.every else True
    if fire and (plan.reset_on_success or not plan.every):
        met = {}
    return Outcome(PreconditionState(window_start=start, window_end=end, met=met), fire, True)


def _met_at(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(value["at"])
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
