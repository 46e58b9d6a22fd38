"""Flow inputs: Kestra's input types, one class each, resolved by `type` (STRING, INT, SELECT, ...).

Each class converts a raw value (text from the CLI or a form, or a typed YAML/JSON value) with `convert`,
raising ValueError with a message a user can act on. `validate_inputs` (inputs_values.py) applies them.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import Field, WrapValidator, model_validator

from legato import regex, sealing
from legato.model import inputs_parse as p
from legato.model.durations import Duration
from legato.model.errors import check_regex
from legato.model.task import Frozen, TaskRegistry
from legato.model.taskfield import located_error, resolver

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"
INPUT_TYPES = TaskRegistry()
ItemType = Literal[
    "STRING", "ENUM", "SELECT", "INT", "FLOAT", "BOOLEAN", "BOOL", "DATETIME", "DATE", "TIME", "DURATION",
    "FILE", "JSON", "YAML", "URI", "EMAIL", "SECRET",
]


class DependsOn(Frozen):
    inputs: list[str] = Field(default_factory=list, description="Ids of the inputs this one depends on (they are resolved first).")
    condition: str | None = Field(default=None, description="Expression; when it renders false the input is skipped.")


class Input(Frozen):
    """Properties every input has."""

    TYPE: ClassVar[str] = ""
    ALIASES: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=INPUT_ID_PATTERN, description="Id of the input; dots nest it (`a.b` gives inputs.a.b).")
    name: str | None = Field(default=None, description="Deprecated: the old name of `id`.")
    type: str = Field(description="Input type.")
    description: str | None = Field(default=None, description="Shown next to the field in the UI (Markdown).")
    displayName: str | None = Field(default=None, description="Label of the field in the UI (defaults to the id).")
    required: bool = Field(default=True, description="An execution cannot start without a value (or a default).")
    defaults: Any = Field(default=None, description="Value used when none is given; may be an expression.")
    prefill: Any = Field(default=None, description="Value the UI puts in the field, which the user may clear.")
    dependsOn: DependsOn | None = Field(default=None, description="Inputs this one waits for, and a condition to show it.")

    @model_validator(mode="before")
    @classmethod
    def _name_is_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and "name" in data:
            return {**data, "id": data["name"]}
        return data

    @model_validator(mode="after")
    def _check_defaults(self) -> Input:
        for field in ("defaults", "prefill"):
            value = getattr(self, field)
            if value is None or p.is_expression(value) or self._is_dynamic():
                continue
            try:
                self.convert(value)
            except ValueError as exc:
                raise located_error((field,), "input_default", str(exc), value) from None
        return self

    def _is_dynamic(self) -> bool:
        return False

    @abstractmethod
    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        """The typed value of `value`, checked against this input's constraints; `choices` are rendered options."""


def _between(value: Any, low: Any, high: Any, words: tuple[str, str] = ("less than the minimum", "greater than the maximum")) -> None:
    if low is not None and value < low:
        raise ValueError(f"{p.show(_text(value))} is {words[0]} {_text(low)}")
    if high is not None and value > high:
        raise ValueError(f"{p.show(_text(value))} is {words[1]} {_text(high)}")


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | time) else value


def _pattern(regex: str | None) -> str | None:
    return check_regex(regex, "'validator' is not a valid regular expression")


def _matches(pattern: str, text: str) -> bool:
    """The whole text matches (linear time on RE2, or a backtracking match stopped at its deadline)."""
    try:
        return regex.fullmatch(pattern, text)
    except regex.RegexError as exc:
        raise ValueError(f"the pattern '{pattern}' could not be checked: {exc}") from None


@INPUT_TYPES.register
class StringInput(Input):
    TYPE: ClassVar[str] = "STRING"
    type: Literal["STRING"] = Field(description="Free text.")
    validator: str | None = Field(default=None, description="Regular expression the whole value must match.")
    minLength: int | None = Field(default=None, ge=0, description="Fewest characters allowed.")
    maxLength: int | None = Field(default=None, ge=0, description="Most characters allowed.")

    @model_validator(mode="after")
    def _check(self) -> StringInput:
        _pattern(self.validator)
        return self

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        text = p.to_str(value)
        if self.validator is not None and not _matches(self.validator, text):
            raise ValueError(f"{p.show(text)} does not match the pattern '{self.validator}'")
        if self.minLength is not None and len(text) < self.minLength:
            raise ValueError(f"{p.show(text)} is shorter than {self.minLength} characters")
        if self.maxLength is not None and len(text) > self.maxLength:
            raise ValueError(f"{p.show(text)} is longer than {self.maxLength} characters")
        return text


@INPUT_TYPES.register
class SecretInput(StringInput):
    TYPE: ClassVar[str] = "SECRET"
    type: Literal["SECRET"] = Field(description="Text stored encrypted and masked in logs and the UI.")  # type: ignore[assignment]

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        if sealing.is_sealed(value):  # a value this installation sealed already (a restart, a replay)
            return value
        return sealing.seal(str(super().convert(value, choices)))


@INPUT_TYPES.register
class EnumInput(Input):
    TYPE: ClassVar[str] = "ENUM"
    type: Literal["ENUM"] = Field(description="Deprecated: use SELECT. One of `values`.")
    values: list[str] = Field(min_length=1, description="The allowed values.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        text = p.to_str(value)
        if text not in self.values:
            raise ValueError(f"{p.show(text)} is not one of {self.values}")
        return text


@INPUT_TYPES.register
class SelectInput(Input):
    TYPE: ClassVar[str] = "SELECT"
    type: Literal["SELECT"] = Field(description="One value picked from a list.")
    values: list[str] | None = Field(default=None, description="The values to choose from.")
    expression: str | None = Field(default=None, description="Expression rendering the list of values.")
    allowCustomValue: bool = Field(default=False, description="Accept a value not in the list.")
    allowInput: bool = Field(default=False, description="Deprecated name of allowCustomValue.")
    isRadio: bool = Field(default=False, description="Show radio buttons instead of a drop-down.")
    autoSelectFirst: bool = Field(default=False, description="Preselect the first value in the UI.")

    @model_validator(mode="after")
    def _check(self) -> SelectInput:
        if self.values is None and self.expression is None:
            raise ValueError(f"a {self.TYPE} input needs 'values' or 'expression'")
        return self

    def _is_dynamic(self) -> bool:
        return self.expression is not None

    def _allowed(self, text: str, choices: list[str] | None) -> None:
        options = choices if choices is not None else self.values
        if options is not None and not (self.allowCustomValue or self.allowInput) and text not in options:
            raise ValueError(f"{p.show(text)} is not one of {options}")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        text = p.to_str(value)
        self._allowed(text, choices)
        return text


@INPUT_TYPES.register
class MultiselectInput(SelectInput):
    TYPE: ClassVar[str] = "MULTISELECT"
    type: Literal["MULTISELECT"] = Field(description="Several values picked from a list.")  # type: ignore[assignment]
    options: list[str] | None = Field(default=None, description="Deprecated name of values.")
    itemType: ItemType = Field(default="STRING", description="Type of each value.")

    @model_validator(mode="before")
    @classmethod
    def _options_are_values(cls, data: Any) -> Any:
        if isinstance(data, dict) and "options" in data and "values" in data:
            raise ValueError("use 'values' only ('options' is its deprecated name)")
        if isinstance(data, dict) and "options" in data:
            return {**data, "values": data["options"]}
        return data

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        items = [p.to_str(v) for v in p.to_list(value)]
        for item in items:
            self._allowed(item, choices)
        return items


@INPUT_TYPES.register
class IntInput(Input):
    TYPE: ClassVar[str] = "INT"
    type: Literal["INT"] = Field(description="A whole number.")
    min: int | None = Field(default=None, description="Smallest value allowed.")
    max: int | None = Field(default=None, description="Largest value allowed.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        number = p.to_int(value)
        _between(number, self.min, self.max)
        return number


@INPUT_TYPES.register
class FloatInput(Input):
    TYPE: ClassVar[str] = "FLOAT"
    type: Literal["FLOAT"] = Field(description="A decimal number.")
    min: float | None = Field(default=None, description="Smallest value allowed.")
    max: float | None = Field(default=None, description="Largest value allowed.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        number = p.to_float(value)
        _between(number, self.min, self.max)
        return number


@INPUT_TYPES.register
class BoolInput(Input):
    TYPE: ClassVar[str] = "BOOL"
    type: Literal["BOOL"] = Field(description="true or false.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        return p.to_bool(value)


@INPUT_TYPES.register
class BooleanInput(BoolInput):
    TYPE: ClassVar[str] = "BOOLEAN"
    type: Literal["BOOLEAN"] = Field(description="Deprecated: use BOOL.")  # type: ignore[assignment]


@INPUT_TYPES.register
class DateTimeInput(Input):
    TYPE: ClassVar[str] = "DATETIME"
    type: Literal["DATETIME"] = Field(description="An instant (ISO-8601; without an offset it is UTC).")
    after: datetime | None = Field(default=None, description="The value must be later than this.")
    before: datetime | None = Field(default=None, description="The value must be earlier than this.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        moment = p.to_datetime(value)
        after = p.to_datetime(self.after) if self.after is not None else None
        before = p.to_datetime(self.before) if self.before is not None else None
        _between(moment, after, before, words=("not after", "not before"))
        return moment


@INPUT_TYPES.register
class DateInput(Input):
    TYPE: ClassVar[str] = "DATE"
    type: Literal["DATE"] = Field(description="A calendar date (ISO-8601, 2024-01-31).")
    after: date | None = Field(default=None, description="The value must be later than this.")
    before: date | None = Field(default=None, description="The value must be earlier than this.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        day = p.to_date(value)
        _between(day, self.after, self.before, words=("not after", "not before"))
        return day


@INPUT_TYPES.register
class TimeInput(Input):
    TYPE: ClassVar[str] = "TIME"
    type: Literal["TIME"] = Field(description="A time of day (ISO-8601, 10:30:00).")
    after: time | None = Field(default=None, description="The value must be later than this.")
    before: time | None = Field(default=None, description="The value must be earlier than this.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        moment = p.to_time(value)
        _between(moment, self.after, self.before, words=("not after", "not before"))
        return moment


@INPUT_TYPES.register
class DurationInput(Input):
    TYPE: ClassVar[str] = "DURATION"
    type: Literal["DURATION"] = Field(description="An ISO-8601 duration (PT5M).")
    min: Duration | None = Field(default=None, description="Shortest duration allowed.")
    max: Duration | None = Field(default=None, description="Longest duration allowed.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        span: timedelta = p.to_duration(value)
        _between(span, self.min, self.max, words=("shorter than the minimum", "longer than the maximum"))
        return span


@INPUT_TYPES.register
class FileInput(Input):
    TYPE: ClassVar[str] = "FILE"
    type: Literal["FILE"] = Field(description="An uploaded file; the value is its internal-storage URI.")
    allowedFileExtensions: list[str] | None = Field(default=None, description="Accepted file name extensions (such as .csv).")
    extension: str | None = Field(default=None, description="Deprecated: a single accepted extension.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        ref = p.to_str(value)
        allowed = [*(self.allowedFileExtensions or []), *([self.extension] if self.extension else [])]
        suffix = PurePosixPath(ref.split("?")[0]).suffix.lower()
        if allowed and suffix not in {("." + a.lstrip(".")).lower() for a in allowed}:
            raise ValueError(f"file {p.show(ref)} does not have one of the extensions {allowed}")
        return ref


@INPUT_TYPES.register
class JsonInput(Input):
    TYPE: ClassVar[str] = "JSON"
    type: Literal["JSON"] = Field(description="A JSON document (text is parsed).")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        return p.to_json(value)


@INPUT_TYPES.register
class YamlInput(Input):
    TYPE: ClassVar[str] = "YAML"
    type: Literal["YAML"] = Field(description="A YAML document (text is parsed).")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        if not isinstance(value, str):
            return value
        from legato.model.loader import load_yaml_value  # the loader imports the flow, which imports inputs

        return load_yaml_value(value)


@INPUT_TYPES.register
class UriInput(Input):
    TYPE: ClassVar[str] = "URI"
    type: Literal["URI"] = Field(description="A URI with a scheme (https://..., s3://..., kestra:///...).")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        return p.to_uri(value)


@INPUT_TYPES.register
class EmailInput(Input):
    TYPE: ClassVar[str] = "EMAIL"
    type: Literal["EMAIL"] = Field(description="An email address.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        return p.to_email(value)


@INPUT_TYPES.register
class ArrayInput(Input):
    TYPE: ClassVar[str] = "ARRAY"
    type: Literal["ARRAY"] = Field(description="A list of values of `itemType`.")
    itemType: ItemType = Field(description="Type of each item (any input type but ARRAY and MULTISELECT).")
    minItems: int | None = Field(default=None, ge=0, description="Fewest items allowed.")
    maxItems: int | None = Field(default=None, ge=0, description="Most items allowed.")

    def convert(self, value: Any, choices: list[str] | None = None) -> Any:
        items = p.to_list(value)
        if self.minItems is not None and len(items) < self.minItems:
            raise ValueError(f"has {len(items)} items, fewer than the minimum {self.minItems}")
        if self.maxItems is not None and len(items) > self.maxItems:
            raise ValueError(f"has {len(items)} items, more than the maximum {self.maxItems}")
        item_cls = INPUT_TYPES.lookup(self.itemType)
        if item_cls is None or item_cls in (EnumInput, SelectInput):  # these need values; compare as text
            return [p.to_str(v) for v in items]
        template = item_cls.model_construct(id=self.id, type=self.itemType)
        out = []
        for index, item in enumerate(items):
            try:
                out.append(template.convert(item))
            except ValueError as exc:
                raise ValueError(f"item {index}: {exc}") from None
        return out


InputField: TypeAlias = Annotated[Input, WrapValidator(resolver("input", "input_types", INPUT_TYPES, with_defaults=False))]
