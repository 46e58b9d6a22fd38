"""Polymorphic task (and trigger) fields: a YAML map is validated as the class its `type` names.

The registry comes from the validation context (`context["registry"]` for tasks, `context["triggers"]` for
triggers), defaulting to the process-wide ones, so a test or a sandboxed loader can use its own. Plugin
defaults (`pluginDefaults`, formerly `taskDefaults`) are merged here too, from `context["defaults"]`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, TypeAlias

from pydantic import Field, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import InitErrorDetails, PydanticCustomError

from legato.model.errors import name_unknown_properties, suggest
from legato.model.task import TASKS, TRIGGERS, Frozen, Task, TaskRegistry, missing_extra

# Context keys shared with the flow model and the loader.
CTX_TASKS = "registry"
CTX_TRIGGERS = "triggers"
CTX_DEFAULTS = "defaults"


class PluginDefault(Frozen):
    """Default property values for every plugin of a type (or of every type under a name prefix)."""

    type: str = Field(min_length=1, description="A type name (canonical or alias) or a prefix such as 'io.kestra.plugin.scripts'.")
    values: dict[str, Any] = Field(default_factory=dict, description="Properties to merge into each matching task or trigger.")
    forced: bool = Field(default=False, description="When true these values override the task's own; otherwise the task's win.")


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`base` overlaid with `top`: maps merge key by key, anything else in `top` replaces `base`'s value."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(below, value)
        else:
            out[key] = value
    return out


def _names_of(cls: type[Any]) -> tuple[str, ...]:
    return (cls.TYPE, *cls.ALIASES)


def _default_values(default: PluginDefault, type_name: str, cls: type[Any]) -> dict[str, Any] | None:
    """The values `default` contributes to a plugin of `cls` written as `type_name`, or None if it does not match."""
    # Compared with cls's own names, not looked up: a prefix or another plugin's name must not import anything.
    if default.type in _names_of(cls):
        values = dict(default.values)
    elif any(name.startswith(default.type) for name in (type_name, *_names_of(cls))):
        # A prefix covers a family of types: give each one only the properties it has.
        fields = getattr(cls, "model_fields", {})
        values = {k: v for k, v in default.values.items() if k in fields}
    else:
        return None
    values.pop("id", None)
    values.pop("type", None)
    return values


def apply_defaults(raw: Mapping[str, Any], cls: type[Any], defaults: Sequence[PluginDefault]) -> dict[str, Any]:
    """`raw` with the matching defaults merged in. `defaults` is in priority order, highest first."""
    merged = dict(raw)
    forced: list[dict[str, Any]] = []
    type_name = str(raw.get("type", ""))
    for default in defaults:
        values = _default_values(default, type_name, cls)
        if values is None:
            continue
        if default.forced:
            forced.append(values)
        else:
            merged = deep_merge(values, merged)
    for values in reversed(forced):  # the highest-priority forced default is applied last, so it wins
        merged = deep_merge(merged, values)
    return merged


def located_error(loc: tuple[str | int, ...], kind: str, message: str, value: Any, **ctx: Any) -> ValidationError:
    detail: InitErrorDetails = {"type": PydanticCustomError(kind, message, ctx or None), "loc": loc, "input": value}
    return ValidationError.from_exception_data("Plugin", [detail])


# The plugin defaults of the flow being validated (set by Flow around the validation of its fields). A context
# variable rather than the validation context, so it also works for `Flow(...)` built in code.
FLOW_DEFAULTS: ContextVar[tuple[PluginDefault, ...]] = ContextVar("legato_flow_defaults", default=())


def _context_defaults(info: ValidationInfo) -> Sequence[PluginDefault]:
    """The flow's own defaults first, then those of the validation context (server-wide ones, say)."""
    context = info.context if isinstance(info.context, Mapping) else {}
    found = context.get(CTX_DEFAULTS) or ()
    extra = [d if isinstance(d, PluginDefault) else PluginDefault.model_validate(d) for d in found]
    return [*FLOW_DEFAULTS.get(), *extra]


def resolver(kind: str, context_key: str, fallback: TaskRegistry, *, with_defaults: bool) -> Callable[..., Any]:
    """A wrap validator that validates a map as the registered class its `type` names."""

    article = "an" if kind[0] in "aeiou" else "a"

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if isinstance(value, Frozen) and hasattr(type(value), "TYPE"):
            return value  # already a model (built in code): trust it
        if not isinstance(value, Mapping):
            raise PydanticCustomError(
                f"{kind}_not_a_map", f"{article} {kind} must be a map with 'id' and 'type', got {{got}}", {"got": type(value).__name__}
            )
        context = info.context if isinstance(info.context, Mapping) else {}
        registry: TaskRegistry = context.get(context_key) or fallback
        type_name = value.get("type")
        if type_name is None:
            raise located_error(("type",), "missing", "Field required", value)
        if not isinstance(type_name, str):
            raise located_error(("type",), "string_type", "Input should be a valid string", type_name)
        cls = registry.lookup(type_name)
        if cls is None:
            hint = suggest(type_name, registry.names())
            raise located_error(
                ("type",), f"unknown_{kind}_type", f"unknown {kind} type '{{name}}'{{hint}}", type_name, name=type_name, hint=hint
            )
        missing = missing_extra(cls)
        if missing is not None:
            raise located_error(("type",), "missing_extra", f"{kind} type '{{name}}' {{why}}", type_name, name=type_name, why=missing)
        data = apply_defaults(value, cls, _context_defaults(info)) if with_defaults else dict(value)
        try:
            return cls.model_validate(data, context=info.context)
        except ValidationError as exc:
            raise name_unknown_properties(cls, exc) from None

    return validate


TaskField: TypeAlias = Annotated[Task, WrapValidator(resolver("task", CTX_TASKS, TASKS, with_defaults=True))]
TaskList: TypeAlias = list[TaskField]
# Triggers subclass Task's common base in spirit but not in type; their base model lives in triggers.py.
TriggerValidator = WrapValidator(resolver("trigger", CTX_TRIGGERS, TRIGGERS, with_defaults=True))
