"""Trigger rules of the 2.0 migration: `conditions` (and Schedule's `scheduleConditions`) become a `when`
expression with 2.0's calendar helpers; a Flow trigger's `conditions` / `preconditions` become `dependsOn`
entries and a `window`. A trigger whose conditions have no faithful 2.0 form is reported and left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from legato.model.dialect_yaml import new_map, new_seq

if TYPE_CHECKING:
    from legato.model.dialect import Path, Upgrade

OBSERVED = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "PAUSED")
DEFAULT_DATE = "{{ trigger.date }}"


class Unsupported(ValueError):
    """A condition without a faithful 2.0 form."""


def kind(condition: Any) -> str:
    """A condition's simple name, without Kestra's older `Condition` suffix."""
    name = str(condition.get("type", "")).rsplit(".", 1)[-1] if isinstance(condition, dict) else ""
    return name[: -len("Condition")] if name.endswith("Condition") and name != "Condition" else name


def inner(expression: Any) -> str:
    """The expression of a `{{ ... }}` template, for use inside a larger one."""
    text = str(expression).strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        return text[2:-2].strip()
    raise Unsupported(f"expression {text!r} is not a single {{{{ }}}} template")


def migrate(up: Upgrade, path: Path, trigger: CommentedMap) -> None:
    flow_trigger = str(trigger.get("type", "")).rsplit(".", 1)[-1] == "Flow"
    if flow_trigger and any(k in trigger for k in ("conditions", "preconditions")):
        _flow_trigger(up, path, trigger)
        return
    for key in ("conditions", "scheduleConditions"):
        if key in trigger:
            _to_when(up, path, trigger, key)


# Schedule, Webhook, polling triggers -------------------------------------------------------------------
def _to_when(up: Upgrade, path: Path, trigger: CommentedMap, key: str) -> None:
    conditions = trigger.get(key) or []
    try:
        parts = [_expression(c) for c in conditions]
        if isinstance(trigger.get("when"), str):
            parts.insert(0, inner(trigger["when"]))
    except Unsupported as exc:
        up.found((*path, key), f"trigger {key}", f"a `when` expression ({exc})", False)
        return
    up.found((*path, key), f"trigger {key}", "a `when` expression with the calendar helpers", True)
    if not up.rewrite:
        return
    position = list(trigger.keys()).index(key)
    del trigger[key]
    trigger.pop("when", None)
    if parts:
        trigger.insert(min(position, len(trigger)), "when", "{{ " + " and ".join(_paren(p, len(parts)) for p in parts) + " }}")
    up.changed = True


def _paren(part: str, count: int) -> str:
    return f"({part})" if count > 1 and (" and " in part or " or " in part) else part


def _expression(condition: Any) -> str:
    name = kind(condition)
    date = _date(condition)
    match name:
        case "DayWeek":
            return f"dayOfWeek({date}) == '{condition['dayOfWeek']}'"
        case "DayWeekInMonth":
            return f"isDayWeekInMonth({date}, '{condition['dayOfWeek']}', '{condition['dayInMonth']}')"
        case "Weekend":
            return f"isWeekend({date})"
        case "PublicHoliday":
            if not condition.get("country"):
                raise Unsupported("PublicHoliday without a country uses the server's locale")
            sub = f", '{condition['subDivision']}'" if condition.get("subDivision") else ""
            return f"isPublicHoliday({date}, '{condition['country']}'{sub})"
        case "TimeBetween":
            return _between(condition, f"({date} | date('HH:mm:ss', timeZone='UTC'))", _plain_time)
        case "DateTimeBetween":
            return _between(condition, f"({date} | timestamp)", lambda v: f"('{v}' | timestamp)")
        case "Expression":
            return inner(condition["expression"])
        case "Not":
            return "not (" + " or ".join(_expression(c) for c in condition.get("conditions") or ()) + ")"
        case "Or":
            return "(" + " or ".join(_expression(c) for c in condition.get("conditions") or ()) + ")"
    raise Unsupported(f"condition {name or '?'} has no `when` form here")


def _date(condition: Any) -> str:
    date = str(condition.get("date") or DEFAULT_DATE)
    return "trigger.date" if date.replace(" ", "") == DEFAULT_DATE.replace(" ", "") else inner(date)


def _plain_time(value: Any) -> str:
    text = str(value)
    if any(sign in text[1:] for sign in ("+", "-", "Z")):
        raise Unsupported("TimeBetween with a time zone offset")
    return f"'{text if text.count(':') == 2 else text + ':00'}'"


def _between(condition: Any, subject: str, literal: Any) -> str:
    parts = []
    if condition.get("after") is not None:
        parts.append(f"{subject} > {literal(condition['after'])}")
    if condition.get("before") is not None:
        parts.append(f"{subject} < {literal(condition['before'])}")
    if not parts:
        raise Unsupported("a between condition with neither after nor before")
    return " and ".join(parts)


# Flow triggers ---------------------------------------------------------------------------------------------
def _flow_trigger(up: Upgrade, path: Path, trigger: CommentedMap) -> None:
    try:
        entries, window, fire_once = _depends_on(trigger)
    except Unsupported as exc:
        up.found((*path, "conditions" if "conditions" in trigger else "preconditions"),
                 "Flow trigger conditions / preconditions", f"`dependsOn` entries and a `window` ({exc})", False)
        return
    up.found((*path, "conditions" if "conditions" in trigger else "preconditions"),
             "Flow trigger conditions / preconditions", "`dependsOn` entries (namespace, flowId, states, labels, when) "
             "and a `window`", True)
    if not up.rewrite:
        return
    position = min(list(trigger.keys()).index(k) for k in ("conditions", "preconditions", "states") if k in trigger)
    for key in ("conditions", "preconditions", "states"):
        trigger.pop(key, None)
    trigger.insert(position, "dependsOn", new_seq([new_map(e) for e in entries]))
    if window is not None or fire_once:
        spec = dict(window or {})
        if fire_once:
            spec["fireOnce"] = True
        trigger.insert(position + 1, "window", new_map(spec))
    up.changed = True


def _depends_on(trigger: CommentedMap) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
    """The dependsOn entries, window and fireOnce of a 1.x Flow trigger."""
    states = [str(s) for s in trigger.get("states") or ()] or None
    if "preconditions" in trigger:
        if trigger.get("conditions"):
            raise Unsupported("conditions and preconditions together")
        return _from_preconditions(trigger["preconditions"], states)
    conditions = list(trigger.get("conditions") or ())
    multiple = [c for c in conditions if kind(c) == "Multiple"]
    if multiple:
        if len(multiple) > 1 or len(conditions) > 1:
            raise Unsupported("a MultipleCondition with other conditions")
        return _from_multiple(multiple[0], states)
    return [_entry(conditions, states)], None, False


def _entry(conditions: list[Any], states: list[str] | None) -> dict[str, Any]:
    """One dependsOn entry equivalent to all `conditions` holding for one upstream execution."""
    entry: dict[str, Any] = {}
    when: list[str] = []
    for condition in conditions:
        name = kind(condition)
        match name:
            case "ExecutionFlow" | "Flow":
                if "flowId" in entry:
                    raise Unsupported("two ExecutionFlow conditions")
                entry["namespace"], entry["flowId"] = condition["namespace"], condition["flowId"]
            case "ExecutionNamespace" | "FlowNamespace":
                comparison = condition.get("comparison") or ("PREFIX" if condition.get("prefix") else "EQUALS")
                if comparison == "EQUALS":
                    entry["namespace"] = condition["namespace"]
                else:
                    test = "startsWith" if comparison == "PREFIX" else "endsWith"
                    when.append(f"namespace | {test}('{condition['namespace']}')")
            case "ExecutionStatus":
                states = _intersect(states, condition)
            case "ExecutionLabels":
                labels = condition.get("labels")
                pairs = labels.items() if isinstance(labels, dict) else [(x["key"], x["value"]) for x in labels or ()]
                entry["labels"] = new_map(dict(pairs))
            case "ExecutionOutputs":
                when.append(f"outputs != null and ({inner(condition['expression'])})")
            case "HasRetryAttempt":
                if condition.get("in") or condition.get("notIn"):
                    raise Unsupported("HasRetryAttempt with in/notIn")
                when.append("hasRetryAttempt")
            case "Expression":
                when.append(inner(condition["expression"]))
            case _:
                raise Unsupported(f"condition {name or '?'} on a Flow trigger")
    if states:
        entry["states"] = new_seq(states)
    if when:
        entry["when"] = "{{ " + " and ".join(f"({w})" if len(when) > 1 else w for w in when) + " }}"
    return entry


def _intersect(states: list[str] | None, condition: Any) -> list[str]:
    allowed = [str(s) for s in condition.get("in") or OBSERVED]
    refused = {str(s) for s in condition.get("notIn") or ()}
    kept = [s for s in allowed if s not in refused and (states is None or s in states)]
    if not kept:
        raise Unsupported("ExecutionStatus that no state satisfies")
    return kept


def _from_multiple(condition: Any, states: list[str] | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
    entries = [_entry([inner_condition], states) for inner_condition in (condition.get("conditions") or {}).values()]
    window: dict[str, Any] = {}
    if condition.get("window"):
        window["every"] = condition["window"]
    if condition.get("windowAdvance") and str(condition["windowAdvance"]) not in ("P0D", "PT0S"):
        window["offset"] = condition["windowAdvance"]
    if condition.get("timeSLA"):
        raise Unsupported("a MultipleCondition with a timeSLA")
    return entries, window or None, condition.get("resetOnSuccess", True) is not False


def _from_preconditions(pre: Any, states: list[str] | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None, bool]:
    entries: list[dict[str, Any]] = []
    for flow in pre.get("flows") or ():
        entry: dict[str, Any] = {"namespace": flow["namespace"], "flowId": flow["flowId"]}
        entry["states"] = new_seq([str(s) for s in flow.get("states") or ("SUCCESS",)])  # 1.x's default: SUCCESS
        if flow.get("labels"):
            entry["labels"] = new_map(dict(flow["labels"]))
        entries.append(entry)
    for group in pre.get("where") or ():
        entries.append(_where(group, states))
    if not entries:
        raise Unsupported("preconditions without flows or where")
    return entries, _window(pre.get("timeWindow")), pre.get("resetOnSuccess", True) is not False


def _where(group: Any, states: list[str] | None) -> dict[str, Any]:
    filters = list(group.get("filters") or ())
    if str(group.get("operand", "AND")) == "OR" and len(filters) > 1:
        raise Unsupported("a where group with operand OR")
    entry: dict[str, Any] = {}
    when: list[str] = []
    for f in filters:
        field_, test, value = str(f.get("field")), str(f.get("type")), f.get("value")
        if field_ == "EXPRESSION" and test == "IS_TRUE":
            when.append(inner(value))
        elif field_ in ("FLOW_ID", "NAMESPACE") and test == "EQUAL_TO":
            entry["flowId" if field_ == "FLOW_ID" else "namespace"] = value
        elif field_ in ("FLOW_ID", "NAMESPACE") and test in ("STARTS_WITH", "ENDS_WITH"):
            variable = "flowId" if field_ == "FLOW_ID" else "namespace"
            when.append(f"{variable} | {'startsWith' if test == 'STARTS_WITH' else 'endsWith'}('{value}')")
        elif field_ == "STATE" and test in ("EQUAL_TO", "IN"):
            wanted = f.get("values") or (value if isinstance(value, list) else [value])
            entry["states"] = new_seq([str(s) for s in wanted])
        else:
            raise Unsupported(f"a where filter {field_} {test}")
    if states and "states" not in entry:
        entry["states"] = new_seq(states)
    if when:
        entry["when"] = "{{ " + " and ".join(f"({w})" if len(when) > 1 else w for w in when) + " }}"
    return entry


def _window(spec: Any) -> dict[str, Any] | None:
    if not spec:
        return None
    match str(spec.get("type", "DURATION_WINDOW")):
        case "DAILY_TIME_DEADLINE":
            return {"deadline": spec["deadline"]}
        case "DAILY_TIME_WINDOW":
            return {"from": spec["startTime"], "to": spec["endTime"]}
        case "SLIDING_WINDOW":
            return {"lookback": spec.get("window") or "P1D"}
    window = {"every": spec.get("window") or "P1D"}
    if spec.get("windowAdvance"):
        window["offset"] = spec["windowAdvance"]
    return window


def is_seq(value: Any) -> bool:
    return isinstance(value, CommentedSeq | list)
