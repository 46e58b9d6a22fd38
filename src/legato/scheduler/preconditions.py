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
from legato.model.triggers import (
    FLOW_TRIGGER_STATES,
    DependsOn,
    DependsOnWindow,
    Filter,
    FlowTrigger,
    TimeWindow,
    UpstreamFlow,
    Where,
)
from legato.scheduler import conditions as cond
from legato.store.ports import PreconditionState

_DAY = timedelta(days=1)
FIRED = _FIRED = "#fired"  # in a window's state: when a Kestra 2.0 trigger last fired in it


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
    """A trigger's preconditions: the items, their window, how many must be met, and what firing resets."""

    items: tuple[Item, ...]
    window: Window
    every: bool = True  # all items (else any one of them)
    reset_on_success: bool = True
    minimum: int | None = None  # Kestra 2.0 AT_LEAST: this many items
    fire_once: bool = False  # Kestra 2.0 window.fireOnce: at most one fire per window
    scoped_outputs: bool = False  # Kestra 2.0: trigger.outputs.<flowId>.<key> from every item met


def plan_of(trigger: FlowTrigger) -> Plan | None:
    """The trigger's preconditions in whichever form it wrote them; None when it has none."""
    if trigger.dependsOn is not None:
        return _depends_on_plan(trigger)
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


def _depends_on_plan(trigger: FlowTrigger) -> Plan:
    """Kestra 2.0: each entry is an item; by default every match re-fires (fireOnce: at most once a window)."""
    items = tuple(_depends_on_item(entry.key(i), entry) for i, entry in enumerate(trigger.dependsOn or ()))
    window = trigger.window
    if isinstance(window, DependsOnWindow):
        fire_once = window.fireOnce
        shape = _v2_window(window)
    else:  # the 1.x timeWindow shape, which resets once fired as 1.x preconditions do
        fire_once, shape = False, Window.of(window)
    return Plan(items, shape, every=trigger.mode != "ANY", reset_on_success=window is not None and not isinstance(window, DependsOnWindow),
                minimum=trigger.minSatisfied if trigger.mode == "AT_LEAST" else None, fire_once=fire_once,
                scoped_outputs=True)


def _v2_window(window: DependsOnWindow) -> Window:
    if window.deadline is not None:
        return Window(type="DAILY_TIME_DEADLINE", end_time=_utc(window.deadline))
    if window.from_ is not None and window.to is not None:
        return Window(type="DAILY_TIME_WINDOW", start_time=_utc(window.from_), end_time=_utc(window.to))
    if window.lookback is not None:
        return Window(type="SLIDING_WINDOW", length=window.lookback)
    return Window(length=window.every or _DAY, advance=window.offset or timedelta(0))


def _utc(moment: time) -> time:
    """A time of day in UTC (windows are computed in UTC); one written with an offset is converted."""
    if moment.tzinfo is None:
        return moment
    shifted = datetime.combine(datetime(2000, 1, 3).date(), moment).astimezone(UTC)
    return shifted.time().replace(tzinfo=None)


def _depends_on_item(item_id: str, entry: DependsOn) -> Item:
    wanted_states = frozenset(entry.states or FLOW_TRIGGER_STATES)
    wanted_labels = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (entry.labels or {}).items()}

    def matches(execution: Execution, ctx: cond.ConditionContext) -> bool:
        if entry.namespace is not None and execution.namespace != entry.namespace:
            return False
        if entry.flowId is not None and execution.flow_id != entry.flowId:
            return False
        labels = {lb.key: lb.value for lb in execution.labels}
        if execution.state not in wanted_states or any(labels.get(k) != v for k, v in wanted_labels.items()):
            return False
        if entry.when is None:
            return True
        try:
            return cond.when_holds(entry.when, cond.with_upstream(ctx, entry.when))
        except cond.ConditionError:
            return False  # an expression this execution cannot satisfy (a missing output): not this entry

    return Item(item_id, matches)


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
        try:
            return all(results) if where.operand == "AND" else any(results)
        except cond.ConditionError:
            return False  # an expression this execution cannot satisfy (a label it lacks): not this group

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
    """What one ended execution did to a trigger's preconditions; `met` is what was met when it fired."""

    state: PreconditionState
    fire: bool
    changed: bool
    met: Mapping[str, Any] | None = None


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
    count = sum(1 for i in ids if i in met)
    fire = (count >= plan.minimum if plan.minimum else count == len(ids)) if plan.every else True
    fired_before = same_window and bool(state.met.get(_FIRED))
    if fire and plan.fire_once and fired_before:
        fire = False
    snapshot = {k: v for k, v in met.items() if k != _FIRED} if fire else None
    if fire and (plan.reset_on_success or not plan.every):
        met = {}
    if fire and (plan.fire_once or plan.scoped_outputs):
        met[_FIRED] = at.isoformat()  # fireOnce and onMiss look for it
    return Outcome(PreconditionState(window_start=start, window_end=end, met=met), fire, True, snapshot)


def _met_at(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(value["at"])
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
